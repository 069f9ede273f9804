/* Making untrusted text safe to print on a terminal or in a log line.
 *
 * Anything a user or a peer supplied (a URL path, a token name, a person's
 * name) may hold control characters: a newline forges a log line, an escape
 * sequence repaints the operator's terminal. esc_ctl() appends such text with
 * those characters made visible, so one line of output stays one line and
 * shows what was sent.
 */
#ifndef HAIL_CORE_ESC_H
#define HAIL_CORE_ESC_H

#include <stddef.h>

#include "core/buf.h"

/* Appends s[0..n) to b with \n \r \t and \\ written as such, other C0
 * controls, DEL, C1 controls (U+0080..U+009F) and bytes that are not UTF-8
 * written as \xHH; other UTF-8 text is kept as it is. Fails only as
 * buf_append() does. */
hail_err esc_ctl(buf *b, const char *s, size_t n);

/* esc_ctl() into out (size outsz, always NUL-terminated, cut at a character
 * boundary when it does not fit). Returns out. */
char *esc_ctl_str(char *out, size_t outsz, const char *s);

#endif
