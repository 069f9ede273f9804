#include "core/common.h"

/* STUB until the tracking work lands (owner: helper D replaces this file). */
#include "mail/unsub.h"

hail_err unsub_state(db *d, int64_t person_id, int *unsubscribed)
{
    (void)d, (void)person_id;
    *unsubscribed = 0;
    return HAIL_OK;
}

hail_err unsub_record(db *d, int64_t person_id, const char *action, const char *source,
                      int64_t user_id, int64_t email_id)
{
    (void)d, (void)person_id, (void)action, (void)source, (void)user_id, (void)email_id;
    return hail_errf(HAIL_EIO, "unsubscribes are not built yet");
}
