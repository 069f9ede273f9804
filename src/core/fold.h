/* Search keys: text folded for case- and accent-insensitive prefix search.
 *
 * fold_key() lowercases, strips diacritics from Latin letters (é→e, ß→ss,
 * Æ→ae, Ł→l, …), drops combining marks (so NFD input folds like NFC), lowercases
 * Greek and Cyrillic, trims, and collapses runs of white space into one space.
 * Anything else is copied unchanged, so folding is idempotent and the same
 * function serves both stored keys and queries.
 */
#ifndef HAIL_CORE_FOLD_H
#define HAIL_CORE_FOLD_H

#include <stddef.h>

/* Writes the folded form of in[0..len) to out, which must hold len + 1 bytes
 * (the folded form is never longer). Returns its length; out is NUL-terminated. */
size_t fold_key(const char *in, size_t len, char *out);

/* The smallest string greater than every string with prefix p[0..len): used
 * as the exclusive upper bound of a prefix range scan (key >= p AND key < it),
 * the same on SQLite and PostgreSQL. For UTF-8 p it is valid UTF-8 (PostgreSQL
 * text takes nothing else): p with its last code point replaced by the next
 * one (past the surrogates; a trailing U+10FFFF is dropped first). Writes at
 * most len + 2 bytes to out (NUL-terminated) and returns the bound's length;
 * 0 when there is none (p empty or all U+10FFFF: every string from p on). */
size_t fold_prefix_upper(const char *p, size_t len, char *out);

#endif
