/* UTF-8 text measured as people (and JSON Schema's minLength/maxLength) count
 * it: in characters (Unicode code points), not bytes. */
#ifndef HAIL_CORE_UTF8_H
#define HAIL_CORE_UTF8_H

#include <stddef.h>

/* The number of code points in the NUL-terminated UTF-8 string s: every byte
 * that does not continue a sequence (10xxxxxx) starts one. */
size_t utf8_chars(const char *s);

/* 1 when s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF), as PostgreSQL's text requires. */
int utf8_is_valid(const char *s, size_t n);

#endif
