#include "core/common.h"

/* Who sees what: store/visibility.h. */
#include "store/visibility.h"

#include <jansson.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

void vis_scope_free(vis_scope *s)
{
    for (size_t i = 0; i < s->nemails; i++)
        free(s->emails[i]);
    free(s->emails);
    free(s->user_ids);
    free(s->user_ids_json);
    free(s->emails_json);
    memset(s, 0, sizeof *s);
}

static hail_err to_json(vis_scope *s)
{
    json_t *u = json_array(), *e = json_array();
    hail_err err = u && e ? HAIL_OK : HAIL_ENOMEM;
    for (size_t i = 0; !err && i < s->nusers; i++)
        if (json_array_append_new(u, json_integer(s->user_ids[i])))
            err = HAIL_ENOMEM;
    for (size_t i = 0; !err && i < s->nemails; i++)
        if (json_array_append_new(e, json_string(s->emails[i])))
            err = HAIL_ENOMEM;
    if (!err && (!(s->user_ids_json = json_dumps(u, JSON_COMPACT)) ||
                 !(s->emails_json = json_dumps(e, JSON_COMPACT))))
        err = HAIL_ENOMEM;
    json_decref(u);
    json_decref(e);
    return err ? hail_errf(err, "out of memory") : HAIL_OK;
}

hail_err vis_scope_load(db *d, const email_viewer *v, vis_scope *out)
{
    memset(out, 0, sizeof *out);
    if (!strcmp(v->role, "admin")) {
        out->all = 1;
        return to_json(out);
    }
    db_st *st = !strcmp(v->role, "manager")
                    ? db_stmt(d, "SELECT u.id, u.email FROM users u WHERE u.id = $1 OR u.id IN"
                                 " (SELECT m2.user_id FROM team_members m1 JOIN team_members m2"
                                 " ON m2.team_id = m1.team_id WHERE m1.user_id = $1)")
                    : db_stmt(d, "SELECT u.id, u.email FROM users u WHERE u.id = $1");
    if (!st)
        return db_fail(d, "visibility: scope");
    db_bind_i64(st, 1, v->user_id);
    size_t cap = 0;
    hail_err e = HAIL_OK;
    int rc;
    while (!e && (rc = db_step(st)) == DB_ROW) {
        if (out->nusers == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            int64_t *ids = realloc(out->user_ids, ncap * sizeof *ids);
            if (ids)
                out->user_ids = ids;
            char **em = realloc(out->emails, ncap * sizeof *em);
            if (em)
                out->emails = em;
            if (!ids || !em) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            cap = ncap;
        }
        char *mail = strdup(db_col_text(st, 1) ? db_col_text(st, 1) : "");
        if (!mail) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
        ascii_lower(mail);
        out->user_ids[out->nusers++] = db_col_i64(st, 0);
        out->emails[out->nemails++] = mail;
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "visibility: scope");
    db_reset(st);
    if (!e) {
        if (out->nusers)
            qsort(out->user_ids, out->nusers, sizeof *out->user_ids, cmp_i64);
        if (out->nemails)
            qsort(out->emails, out->nemails, sizeof *out->emails, cmp_str);
        e = to_json(out);
    }
    if (e)
        vis_scope_free(out);
    return e;
}

int vis_covers_user(const vis_scope *s, int64_t user_id)
{
    if (s->all)
        return 1;
    return user_id && s->nusers &&
           bsearch(&user_id, s->user_ids, s->nusers, sizeof *s->user_ids, cmp_i64) != NULL;
}

int vis_covers_owner(const vis_scope *s, const char *owner_email)
{
    if (s->all)
        return 1;
    if (!owner_email || !*owner_email || !s->nemails)
        return 0;
    char *low = strdup(owner_email);
    if (!low)
        return 0;
    ascii_lower(low);
    int found = bsearch(&low, s->emails, s->nemails, sizeof *s->emails, cmp_str) != NULL;
    free(low);
    return found;
}

int vis_person(db *d, const email_viewer *v, int64_t person_id)
{
    db_st *st = db_stmt(d, "SELECT p.owner_email FROM people p WHERE p.id = $1");
    if (!st)
        return 0;
    db_bind_i64(st, 1, person_id);
    char *owner = NULL;
    int found = db_step(st) == DB_ROW;
    if (found && db_col_text(st, 0))
        owner = strdup(db_col_text(st, 0));
    db_reset(st);
    if (!found)
        return 0;
    vis_scope s;
    int ok = 0;
    if (!vis_scope_load(d, v, &s)) {
        ok = vis_covers_owner(&s, owner);
        vis_scope_free(&s);
    }
    free(owner);
    return ok;
}
