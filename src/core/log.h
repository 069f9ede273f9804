/* Logging to stderr: one line per event, UTC timestamp, level.
 * HAIL_LOG_LEVEL=debug|info|warn|error|off (default info, any case). The
 * level may be read and set from any thread. Never log secrets:
 * tokens, passwords, cookies and Authorization headers stay out of logs.
 */
#ifndef HAIL_CORE_LOG_H
#define HAIL_CORE_LOG_H

#include "core/err.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

void log_set_level(enum log_level lvl);
/* "debug", "info", "warn", "error" or "off" in any case; HAIL_EINVAL (with a
 * message naming HAIL_LOG_LEVEL) for anything else. */
hail_err log_level_parse(const char *s, enum log_level *out);
/* Sets the level from HAIL_LOG_LEVEL (unset or empty: info); a bad value is
 * refused with HAIL_EINVAL and leaves the level as it was. */
/* Sets the level from HAIL_LOG_LEVEL's value as the settings hold it (NULL
 * or "": info); a bad value is an error and leaves the level alone. */
hail_err log_init(const char *level);
int log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
