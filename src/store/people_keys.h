/* Private to store/: the search-key helpers shared by people.c (writing the
 * keys) and people_list.c (reading and searching). See docs/people.md. */
#ifndef HAIL_STORE_PEOPLE_KEYS_H
#define HAIL_STORE_PEOPLE_KEYS_H

#include <stddef.h>

#include "store/people.h"

#define SEARCH_KEY_MAX 64
#define SEARCH_KEYS    4
#define FOLD_BUF       (2 * PERSON_FIELD_MAX + 2)

/* The folded keys of one person: "first last", last, email, company. */
typedef struct search_keys {
    int n;
    char full[SEARCH_KEYS][FOLD_BUF]; /* untruncated folded values */
    size_t full_len[SEARCH_KEYS];
    size_t len[SEARCH_KEYS]; /* key length: full cut at SEARCH_KEY_MAX */
} search_keys;

/* Cuts a folded key to at most SEARCH_KEY_MAX bytes at a character boundary. */
size_t people_cut_key(const char *k, size_t n);
/* The keys of first name, last name, email, company (v[i] may be NULL with len 0). */
void people_keys(search_keys *k, const char *const v[4], const size_t len[4]);

#endif
