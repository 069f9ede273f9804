#include "core/common.h"

/* The embeddable panel's data: store/panel.h. */
#include "store/panel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/visibility.h"

#define KV_ORIGINS "panel.frame_ancestors"
/* "$3 (an admin) or the owner is a covered email ($4)": store/visibility.h's
 * VIS_OWNER_IN_SQLITE/PG written out (test_store reads object-like macros only). */
#define IN_SCOPE_SQLITE                                                                            \
    "($3 = 1 OR p.owner_email COLLATE NOCASE IN (SELECT value FROM json_each($4)))"
#define IN_SCOPE_PG                                                                                \
    "($3 = 1 OR lower(p.owner_email) IN"                                                           \
    " (SELECT jsonb_array_elements_text(CAST($4 AS jsonb))))"
#define ACCOUNT_SQLITE                                                                             \
    "SELECT p.sfdc_account_id FROM people p WHERE p.active = 1 AND"                                \
    " p.sfdc_account_id IN ($1, $2) AND " IN_SCOPE_SQLITE " LIMIT 1"
#define ACCOUNT_PG                                                                                 \
    "SELECT p.sfdc_account_id FROM people p WHERE p.active = 1 AND"                                \
    " p.sfdc_account_id IN ($1, $2) AND " IN_SCOPE_PG " LIMIT 1"
#define OPPORTUNITY_SQLITE                                                                         \
    "SELECT p.sfdc_opportunity_id FROM people p WHERE p.active = 1 AND"                            \
    " p.sfdc_opportunity_id IN ($1, $2) AND " IN_SCOPE_SQLITE " LIMIT 1"
#define OPPORTUNITY_PG                                                                             \
    "SELECT p.sfdc_opportunity_id FROM people p WHERE p.active = 1 AND"                            \
    " p.sfdc_opportunity_id IN ($1, $2) AND " IN_SCOPE_PG " LIMIT 1"

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int panel_sfdc_forms(const char *id, char id15[16], char id18[19])
{
    static const char suffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    size_t n = strlen(id);
    if (n != 15 && n != 18)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(id[i]))
            return 0;
    memcpy(id15, id, 15);
    id15[15] = '\0';
    memcpy(id18, id, 15);
    /* Each block of five characters gives one suffix character: bit j set
     * when character j of the block is an upper-case letter. */
    for (int b = 0; b < 3; b++) {
        int bits = 0;
        for (int j = 0; j < 5; j++)
            if (id[b * 5 + j] >= 'A' && id[b * 5 + j] <= 'Z')
                bits |= 1 << j;
        id18[15 + b] = suffix[bits];
    }
    id18[18] = '\0';
    return 1;
}

static hail_err resolve_person(db *d, const vis_scope *s, const char *id15, const char *id18,
                               int64_t *found)
{
    *found = 0;
    db_st *st = db_stmt(d, "SELECT p.id, p.owner_email FROM people p WHERE p.active = 1 AND"
                           " (p.sfdc_lead_id IN ($1, $2) OR p.sfdc_contact_id IN ($1, $2))"
                           " ORDER BY p.id LIMIT 50");
    if (!st)
        return db_fail(d, "panel: person by Salesforce id");
    db_bind_text(st, 1, id15, -1);
    db_bind_text(st, 2, id18, -1);
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        if (vis_covers_owner(s, db_col_text(st, 1))) {
            *found = db_col_i64(st, 0);
            db_reset(st);
            return HAIL_OK;
        }
    return rc == DB_DONE ? HAIL_OK : db_fail(d, "panel: person by Salesforce id");
}

/* The stored spelling of an account (column 0) or opportunity id some
 * visible person carries, into out; "" when none. */
static hail_err resolve_group(db *d, db_st *st, const vis_scope *s, const char *id15,
                              const char *id18, char out[32])
{
    out[0] = '\0';
    if (!st)
        return db_fail(d, "panel: account or opportunity by Salesforce id");
    db_bind_text(st, 1, id15, -1);
    db_bind_text(st, 2, id18, -1);
    db_bind_i64(st, 3, s->all);
    db_bind_text(st, 4, s->emails_json, -1);
    int rc = db_step(st);
    if (rc == DB_ROW)
        snprintf(out, 32, "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "");
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "panel: account or opportunity by Salesforce id") : HAIL_OK;
}

hail_err panel_resolve(db *d, const email_viewer *v, const char *sfdc_id, json_t **out)
{
    *out = NULL;
    char id15[16], id18[19];
    if (!panel_sfdc_forms(sfdc_id, id15, id18))
        return HAIL_ENOTFOUND;
    vis_scope s;
    hail_err e = vis_scope_load(d, v, &s);
    if (e)
        return e;
    int64_t person = 0;
    char group[32] = "";
    const char *kind = NULL;
    if (!(e = resolve_person(d, &s, id15, id18, &person)) && person) {
        kind = "person";
    } else if (!e) {
        db_st *st = db_stmt(d, DB_SQL(d, ACCOUNT_SQLITE, ACCOUNT_PG));
        if (!(e = resolve_group(d, st, &s, id15, id18, group)) && group[0])
            kind = "account";
    }
    if (!e && !kind) {
        db_st *st = db_stmt(d, DB_SQL(d, OPPORTUNITY_SQLITE, OPPORTUNITY_PG));
        if (!(e = resolve_group(d, st, &s, id15, id18, group)) && group[0])
            kind = "opportunity";
    }
    vis_scope_free(&s);
    if (e)
        return e;
    if (!kind)
        return HAIL_ENOTFOUND;
    *out = person ? json_pack("{ss sI}", "kind", kind, "id", (json_int_t)person)
                  : json_pack("{ss ss}", "kind", kind, "id", group);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err panel_person_lead(db *d, int64_t person_id, int64_t *marketo_id)
{
    *marketo_id = 0;
    db_st *st = db_stmt(d, "SELECT marketo_id FROM people WHERE id = $1");
    if (!st)
        return db_fail(d, "panel: a person's Marketo lead");
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *marketo_id = db_col_i64(st, 0);
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, "panel: a person's Marketo lead");
    return *marketo_id > 0 ? HAIL_OK : HAIL_ENOTFOUND;
}

/* ---- the allowlist ---- */

static int host_ok(const char *h, size_t n)
{
    if (n >= 2 && h[0] == '*' && h[1] == '.') {
        h += 2;
        n -= 2;
    }
    if (n == 0 || n > 253)
        return 0;
    /* labels of letters, digits and '-', 1 to 63 long, neither starting nor ending with '-' */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && h[i] != '.') {
            if (!is_alnum(h[i]) && h[i] != '-')
                return 0;
            continue;
        }
        size_t len = i - start;
        if (len == 0 || len > 63 || h[start] == '-' || h[i - 1] == '-')
            return 0;
        start = i + 1;
    }
    return 1;
}

int panel_origin_ok(const char *origin, char out[PANEL_ORIGIN_LEN])
{
    size_t n = strlen(origin);
    if (n && origin[n - 1] == '/')
        n--;
    if (n == 0 || n >= PANEL_ORIGIN_LEN)
        return 0;
    char t[PANEL_ORIGIN_LEN];
    for (size_t i = 0; i < n; i++)
        t[i] = (origin[i] >= 'A' && origin[i] <= 'Z') ? (char)(origin[i] - 'A' + 'a') : origin[i];
    t[n] = '\0';
    const char *host;
    int secure;
    if (!strncmp(t, "https://", 8)) {
        host = t + 8;
        secure = 1;
    } else if (!strncmp(t, "http://", 7)) {
        host = t + 7;
        secure = 0;
    } else {
        return 0;
    }
    const char *colon = strchr(host, ':');
    size_t hn = colon ? (size_t)(colon - host) : strlen(host);
    if (!host_ok(host, hn))
        return 0;
    if (colon) {
        const char *p = colon + 1;
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 5 || p[digits] || atoi(p) < 1 || atoi(p) > 65535)
            return 0;
    }
    if (!secure && !((hn == 9 && !strncmp(host, "localhost", 9)) ||
                     (hn == 9 && !strncmp(host, "127.0.0.1", 9))))
        return 0;
    memcpy(out, t, n + 1);
    return 1;
}

hail_err panel_origins_get(db *d, json_t **out)
{
    *out = NULL;
    char *v = NULL;
    hail_err e = db_kv_get(d, KV_ORIGINS, &v);
    if (e)
        return e;
    json_t *a = v ? json_loads(v, 0, NULL) : NULL;
    free(v);
    if (!json_is_array(a)) {
        json_decref(a);
        a = json_array();
    }
    *out = a;
    return a ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err panel_origins_set(db *d, json_t *origins)
{
    char *text = json_dumps(origins, JSON_COMPACT);
    if (!text)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    hail_err e =
        json_array_size(origins) ? db_kv_set(d, KV_ORIGINS, text) : db_kv_del(d, KV_ORIGINS);
    free(text);
    return e;
}

hail_err panel_origins_csp(db *d, buf *b)
{
    json_t *a = NULL;
    hail_err e = panel_origins_get(d, &a);
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        /* Only what still passes the check reaches a header. */
        char norm[PANEL_ORIGIN_LEN];
        if (e || !json_is_string(o) || !panel_origin_ok(json_string_value(o), norm))
            continue;
        if ((b->len && (e = buf_putc(b, ' '))) || (e = buf_puts(b, norm)))
            break;
    }
    json_decref(a);
    return e;
}

int panel_embedding_on(db *d)
{
    json_t *a = NULL;
    int on = !panel_origins_get(d, &a) && json_array_size(a) > 0;
    json_decref(a);
    return on;
}
