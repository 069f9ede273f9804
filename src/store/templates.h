/* Templates' SQL (owner: templates; the service is mail/templates.h), and
 * what personalization reads of a sender and a user (mail/render.h).
 *
 * Visibility: a user sees their own templates, those shared with everyone,
 * and those shared with teams whose owner is in one of the user's teams;
 * admins see all. Per-template analytics come from the emails table: sent
 * (emails with a sent_at, or bounced), opens and clicks (emails with at
 * least one human open / click: the counters there are human-only),
 * replies (replied_at), bounces (status bounced).
 */
#ifndef HAIL_STORE_TEMPLATES_H
#define HAIL_STORE_TEMPLATES_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* A write: NULL strings and -1 flags are left as they are (update); insert
 * needs name, subject, body_html and sharing (category defaults to ""). */
typedef struct tmpl_write {
    const char *name, *category, *subject, *body_html, *sharing;
    int commercial; /* 0/1, -1: unchanged (insert: 1) */
    int archived;   /* 0/1, -1: unchanged (insert: 0) */
} tmpl_write;

hail_err tmpl_db_insert(db *d, int64_t owner_id, const tmpl_write *w, int64_t *id_out);
/* HAIL_ENOTFOUND (no message) when id does not exist. */
hail_err tmpl_db_update(db *d, int64_t id, const tmpl_write *w);
hail_err tmpl_db_delete(db *d, int64_t id);

/* Who owns id and whether user_id may see it (admin: 1 when user is an
 * admin). HAIL_ENOTFOUND (no message) when id does not exist. */
typedef struct tmpl_access {
    int64_t owner_id;
    int archived, commercial;
    int visible; /* to the user asking */
} tmpl_access;
hail_err tmpl_db_access(db *d, int64_t id, int64_t user_id, int admin, tmpl_access *out);

/* The subject and body of id (malloc'd), and its name. */
hail_err tmpl_db_texts(db *d, int64_t id, char **name, char **subject, char **body_html);

/* A template as API JSON (without "prompts": the service adds them), seen
 * by user_id (favorite is theirs). HAIL_ENOTFOUND (no message) if none. */
hail_err tmpl_db_json(db *d, int64_t id, int64_t user_id, json_t **out);

/* A page of templates visible to user_id, newest first: view is NULL (all
 * but archived), "mine", "shared" (others'), "favorites" or "archived"; q
 * (NULL: any) matches name, category or subject, case-insensitively for
 * ASCII. Up to limit with id < before_id (0: from the newest); *next gets
 * the last id when more follow, else 0. */
hail_err tmpl_db_page(db *d, int64_t user_id, int admin, const char *view, const char *q,
                      int64_t before_id, int limit, json_t **out, int64_t *next);

/* Favorite on (1) or off (0) for user_id; idempotent. */
hail_err tmpl_db_favorite(db *d, int64_t user_id, int64_t id, int on);

/* How many emails were made from id (any status). */
hail_err tmpl_db_use_count(db *d, int64_t id, int64_t *n);

/* A sender for personalization: its user, address, display name and
 * signature (malloc'd), and its user's name. HAIL_ENOTFOUND (no message). */
typedef struct tmpl_sender {
    int64_t user_id;
    char *address, *display_name, *signature_html, *user_name;
} tmpl_sender;
hail_err tmpl_db_sender(db *d, int64_t sender_id, tmpl_sender *out);
void tmpl_sender_free(tmpl_sender *s);

#endif
