#include "core/common.h"

#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char errbuf[512];

static const char *const names[HAIL_ERR__COUNT] = {
    [HAIL_OK] = "ok",
    [HAIL_ENOMEM] = "out_of_memory",
    [HAIL_EINVAL] = "bad_request",
    [HAIL_ENOTFOUND] = "not_found",
    [HAIL_EEXIST] = "conflict",
    [HAIL_ETOOBIG] = "too_large",
    [HAIL_EAUTH] = "unauthorized",
    [HAIL_EFORBIDDEN] = "forbidden",
    [HAIL_EBUSY] = "busy",
    [HAIL_EIO] = "io_error",
    [HAIL_EDB] = "database_error",
    [HAIL_ESCHEMA] = "schema_too_new",
    [HAIL_EREMOTE] = "remote_error",
    [HAIL_EQUOTA] = "quota_exhausted",
    [HAIL_ECANCELLED] = "cancelled",
    [HAIL_EUNAVAIL] = "unavailable",
};

const char *hail_strerror(hail_err e)
{
    if ((unsigned)e >= HAIL_ERR__COUNT)
        return "unknown";
    return names[e];
}

hail_err hail_errf(hail_err e, const char *fmt, ...)
{
    /* Format into a scratch buffer first: callers add context to the last
     * detail with hail_errf(e, "line %d: %s", n, hail_errmsg()), which passes
     * errbuf itself as an argument (vsnprintf into its own source is undefined
     * and garbled such messages). */
    char tmp[sizeof errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(errbuf, tmp, strlen(tmp) + 1);
    return e;
}

const char *hail_errmsg(void)
{
    return errbuf;
}

void hail_errclear(void)
{
    errbuf[0] = '\0';
}
