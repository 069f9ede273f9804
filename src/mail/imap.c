#include "core/common.h"

/* STUB until the inbound work lands (owner: helper E replaces this file). */
#include "mail/imap.h"

hail_err imap_find_message_id(const imap_cfg *c, const char *folder, const char *message_id,
                              int *found)
{
    (void)c, (void)folder, (void)message_id;
    *found = 0;
    return hail_errf(HAIL_EUNAVAIL, "IMAP is not built yet");
}
