/* Templates (owner: templates): the service behind /api/v1/templates, and
 * what compose and campaigns need of a template. */
#ifndef HAIL_MAIL_TEMPLATES_H
#define HAIL_MAIL_TEMPLATES_H

#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

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

#endif
