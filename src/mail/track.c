#include "core/common.h"

/* STUB until the tracking work lands (owner: helper D replaces this file). */
#include "mail/track.h"

#include <stdio.h>

#include "svc/settings.h"

hail_err track_url(db *d, char kind, int64_t email_id, int link, char *out, size_t n)
{
    (void)d;
    snprintf(out, n, "%s/%s/stub-%c-%lld-%d", settings()->public_url, kind == 'u' ? "u" : "t", kind,
             (long long)email_id, link);
    return HAIL_OK;
}
