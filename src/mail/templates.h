/* Templates (owner: templates): the service behind /api/v1/templates, and
 * what compose and campaigns need of a template. */
#ifndef HAIL_MAIL_TEMPLATES_H
#define HAIL_MAIL_TEMPLATES_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/templates.h"

typedef struct tmpl {
    int64_t id, owner_id;
    char *name, *subject, *body_html;
    int commercial, archived;
} tmpl;

/* A template user_id (role "admin", "manager" or "rep") may send: their
 * own, one shared with everyone, one shared with teams by an owner in one of
 * their teams; admins any. HAIL_ENOTFOUND otherwise ("no template with id
 * N"), so a private template's existence is not revealed. An archived
 * template loads (archived = 1): the caller decides. */
hail_err templates_for_use(db *d, int64_t id, int64_t user_id, const char *role, tmpl *out);
void tmpl_free(tmpl *t);

/* The API's operations, for user_id with role. Templates are JSON as
 * docs/openapi.json's Template says (with prompts and analytics). A
 * template the user may not see is HAIL_ENOTFOUND "no template with id N";
 * one they may see but not change (not theirs, not an admin) is
 * HAIL_EFORBIDDEN. A subject or body that does not parse is HAIL_EINVAL
 * naming it and the line. */
hail_err templates_create(db *d, int64_t user_id, const tmpl_write *w, json_t **out);
hail_err templates_get(db *d, int64_t id, int64_t user_id, const char *role, json_t **out);
hail_err templates_update(db *d, int64_t id, int64_t user_id, const char *role, const tmpl_write *w,
                          json_t **out);
/* Only a template no email was made from: else HAIL_EEXIST "… archive it instead". */
hail_err templates_delete(db *d, int64_t id, int64_t user_id, const char *role);
/* view: NULL, "mine", "shared", "favorites" or "archived" (store/templates.h). */
hail_err templates_list(db *d, int64_t user_id, const char *role, const char *view, const char *q,
                        int64_t before_id, int limit, json_t **out, int64_t *next);
hail_err templates_favorite(db *d, int64_t id, int64_t user_id, const char *role, int on);

/* {"subject","html","text","unfilled","prompts"} for person_id, filled as
 * sender_id (0: as the user, see render_for_person_as). The sender must be
 * the user's own unless the user is an admin (else HAIL_ENOTFOUND "no
 * sender with id N"). With template_id (> 0) the template's subject and
 * body are used (it must be one the user may use; a subject given
 * replaces the template's), else subject and body_html. */
hail_err templates_preview(db *d, int64_t user_id, const char *role, int64_t template_id,
                           int64_t person_id, int64_t sender_id, const char *subject,
                           const char *body_html, json_t **out);

#endif
