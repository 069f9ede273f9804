#include "core/common.h"

#include "core/log.h"

#include "core/esc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Read by every thread that logs; relaxed is enough for a setting. */
static atomic_int level = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(enum log_level lvl)
{
    atomic_store_explicit(&level, (int)lvl, memory_order_relaxed);
}

hail_err log_level_parse(const char *s, enum log_level *out)
{
    for (int i = LOG_DEBUG; i <= LOG_OFF; i++)
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return HAIL_OK;
        }
    return hail_errf(HAIL_EINVAL,
                     "HAIL_LOG_LEVEL must be one of debug, info, warn, error, off, not '%.40s'", s);
}

hail_err log_init(const char *v)
{
    enum log_level lvl = LOG_INFO;
    if (v && *v) {
        hail_err e = log_level_parse(v, &lvl);
        if (e)
            return e;
    }
    log_set_level(lvl);
    return HAIL_OK;
}

int log_enabled(enum log_level lvl)
{
    return (int)lvl >= atomic_load_explicit(&level, memory_order_relaxed);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (!log_enabled(lvl) || lvl >= LOG_OFF)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, names[lvl]);
    char msg[sizeof line];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages carry text from outside (paths, names, peers' errors): control
     * characters are escaped so nobody can forge a line or a terminal escape. */
    esc_ctl_str(line + n, sizeof line - (size_t)n - 1, msg);
    size_t len = strlen(line);
    line[len++] = '\n';
    /* One write per line so concurrent threads do not interleave. */
    fwrite(line, 1, len, stderr);
}
