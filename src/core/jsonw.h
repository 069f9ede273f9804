/* Writing JSON text straight into a buffer, for hot list endpoints where
 * building a jansson tree per row costs more than the query. */
#ifndef HAIL_CORE_JSONW_H
#define HAIL_CORE_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Appends s[0..n) as a JSON string (quoted, escaped). s must be UTF-8;
 * NULL appends null. */
hail_err jsonw_str(buf *b, const char *s, size_t n);
/* Appends "key": (the key is a trusted literal, not escaped). */
hail_err jsonw_key(buf *b, const char *key);
hail_err jsonw_int(buf *b, int64_t v);

#endif
