/* UTF-8 text measured as people (and JSON Schema's minLength/maxLength) count
 * it: in characters (Unicode code points), not bytes. */
#ifndef HAIL_CORE_UTF8_H
#define HAIL_CORE_UTF8_H

#include <stddef.h>

/* The number of code points in the NUL-terminated UTF-8 string s: every byte
 * that does not continue a sequence (10xxxxxx) starts one. */
size_t utf8_chars(const char *s);

#endif
