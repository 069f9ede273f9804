#include "core/common.h"

#include "core/log.h"

#include "core/esc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level level = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level lvl)
{
    level = lvl;
}

void log_init_from_env(void)
{
    const char *v = getenv("HAIL_LOG_LEVEL");
    if (!v)
        return;
    for (int i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0)
            level = (enum log_level)i;
    if (strcmp(v, "off") == 0)
        level = LOG_OFF;
}

int log_enabled(enum log_level lvl)
{
    return lvl >= level;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (lvl < level || lvl >= LOG_OFF)
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
