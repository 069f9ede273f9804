#include "core/common.h"

/* Saved filters: CRUD and matching (store/filters.h; docs/outbox.md
 * "Filters and triggers"). */
#include "store/filters.h"

#include "core/timeutil.h"
#include "svc/activity.h"

#define US_PER_DAY   (INT64_C(86400) * 1000000)
#define CHUNK_MAX    4096
#define SHOWN_MAX    40 /* characters of a bad value repeated in a message */
#define EMAIL_MAX    254
#define MSG_TYPES_SZ 1024

/* ---- the definition ---- */

typedef struct fcond {
    const char *type;
    int64_t template_id, campaign_id;
    const char *link; /* NULL: any */
    int64_t min_count;
    int64_t within_days; /* 0: all time */
    int human_only, negate;
} fcond;

typedef struct fdef {
    json_t *norm; /* owns the strings below */
    fcond c[FILTER_MAX_CONDITIONS];
    int n;
    const char *owner; /* lowercased, or NULL */
} fdef;

static const char *const top_members[] = {"conditions", "owner_email", NULL};
static const char *const cond_members[] = {"type",       "template_id", "campaign_id",
                                           "link",       "min_count",   "within_days",
                                           "human_only", "negate",      NULL};

static int listed(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(list[i], name))
            return 1;
    return 0;
}

/* "a, b and c" of a NULL-terminated list. */
static void join_names(const char *const *list, char *out, size_t n)
{
    size_t count = 0, used = 0;
    while (list[count])
        count++;
    out[0] = '\0';
    for (size_t i = 0; i < count && used < n; i++) {
        const char *sep = i == 0 ? "" : i + 1 == count ? " and " : ", ";
        int w = snprintf(out + used, n - used, "%s%s", sep, list[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* s cut for a message: at most SHOWN_MAX bytes on a character boundary, with
 * "…" when cut. */
static void shown(const char *s, char out[SHOWN_MAX + 8])
{
    size_t n = strlen(s);
    if (n <= SHOWN_MAX) {
        snprintf(out, SHOWN_MAX + 8, "%s", s);
        return;
    }
    size_t k = SHOWN_MAX;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    snprintf(out, SHOWN_MAX + 8, "%.*s…", (int)k, s);
}

static int email_plain(const char *s)
{
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n == 0 || n > EMAIL_MAX || !at || at == s || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return 0;
    return 1;
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* An optional integer member from lo to hi: 0 when absent (*v = def). */
static int int_member(json_t *o, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *v)
{
    json_t *m = json_object_get(o, name);
    if (!m) {
        *v = def;
        return 0;
    }
    if (!json_is_integer(m) || json_integer_value(m) < lo || json_integer_value(m) > hi)
        return -1;
    *v = json_integer_value(m);
    return 0;
}

static hail_err check_cond(json_t *c, size_t i, json_t *out)
{
    if (!json_is_object(c))
        return hail_errf(HAIL_EINVAL, "conditions[%zu] must be an object", i);
    const char *key;
    json_t *val;
    json_object_foreach(c, key, val)
    {
        if (!listed(cond_members, key)) {
            char names[256], k[SHOWN_MAX + 8];
            join_names(cond_members, names, sizeof names);
            shown(key, k);
            return hail_errf(HAIL_EINVAL, "conditions[%zu] has no member '%s': its members are %s",
                             i, k, names);
        }
    }
    json_t *t = json_object_get(c, "type");
    if (!t)
        return hail_errf(HAIL_EINVAL, "conditions[%zu].type is required", i);
    if (!json_is_string(t) || !activity_type_name(json_string_value(t))) {
        char types[MSG_TYPES_SZ], v[SHOWN_MAX + 8];
        join_names(activity_types, types, sizeof types);
        if (json_is_string(t)) {
            shown(json_string_value(t), v);
            return hail_errf(HAIL_EINVAL, "conditions[%zu].type must be one of %s, not '%s'", i,
                             types, v);
        }
        return hail_errf(HAIL_EINVAL, "conditions[%zu].type must be one of %s", i, types);
    }
    const char *type = json_string_value(t);
    int64_t tid, cid, min, days;
    if (int_member(c, "template_id", 1, INT64_MAX, 0, &tid))
        return hail_errf(HAIL_EINVAL, "conditions[%zu].template_id must be a positive integer", i);
    if (int_member(c, "campaign_id", 1, INT64_MAX, 0, &cid))
        return hail_errf(HAIL_EINVAL, "conditions[%zu].campaign_id must be a positive integer", i);
    if (int_member(c, "min_count", 1, FILTER_MAX_COUNT, 1, &min))
        return hail_errf(HAIL_EINVAL, "conditions[%zu].min_count must be an integer from 1 to %d",
                         i, FILTER_MAX_COUNT);
    if (int_member(c, "within_days", 1, FILTER_MAX_DAYS, 0, &days))
        return hail_errf(HAIL_EINVAL, "conditions[%zu].within_days must be an integer from 1 to %d",
                         i, FILTER_MAX_DAYS);
    json_t *link = json_object_get(c, "link");
    if (link) {
        if (!json_is_string(link) || utf8_len(json_string_value(link)) < 1 ||
            utf8_len(json_string_value(link)) > FILTER_LINK_MAX)
            return hail_errf(HAIL_EINVAL,
                             "conditions[%zu].link must be a string of 1 to %d characters", i,
                             FILTER_LINK_MAX);
        if (strcmp(type, ACT_EMAIL_CLICK))
            return hail_errf(HAIL_EINVAL, "conditions[%zu].link applies to %s only, not to %s", i,
                             ACT_EMAIL_CLICK, type);
    }
    static const char *const bools[] = {"human_only", "negate"};
    int bv[2] = {0, 0};
    for (int b = 0; b < 2; b++) {
        json_t *m = json_object_get(c, bools[b]);
        if (m && !json_is_boolean(m))
            return hail_errf(HAIL_EINVAL, "conditions[%zu].%s must be true or false", i, bools[b]);
        bv[b] = json_is_true(m);
    }
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "type", json_string(type)) ||
        (tid && json_object_set_new(o, "template_id", json_integer(tid))) ||
        (cid && json_object_set_new(o, "campaign_id", json_integer(cid))) ||
        (link && json_object_set(o, "link", link)) ||
        json_object_set_new(o, "min_count", json_integer(min)) ||
        (days && json_object_set_new(o, "within_days", json_integer(days))) ||
        json_object_set_new(o, "human_only", json_boolean(bv[0])) ||
        json_object_set_new(o, "negate", json_boolean(bv[1])) || json_array_append_new(out, o))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    return HAIL_OK;
}

hail_err filter_check(const json_t *definition, json_t **out)
{
    if (out)
        *out = NULL;
    json_t *def = (json_t *)definition;
    if (!json_is_object(def))
        return hail_errf(HAIL_EINVAL, "the definition must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(def, key, val)
    {
        if (!listed(top_members, key)) {
            char k[SHOWN_MAX + 8];
            shown(key, k);
            return hail_errf(HAIL_EINVAL,
                             "the definition has no member '%s': its members are conditions and "
                             "owner_email",
                             k);
        }
    }
    json_t *conds = json_object_get(def, "conditions");
    if (!json_is_array(conds) || json_array_size(conds) < 1 ||
        json_array_size(conds) > FILTER_MAX_CONDITIONS)
        return hail_errf(HAIL_EINVAL, "conditions must be an array of 1 to %d conditions",
                         FILTER_MAX_CONDITIONS);
    json_t *norm = json_object(), *list = json_array();
    if (!norm || !list || json_object_set_new(norm, "conditions", list)) {
        json_decref(norm);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    hail_err e = HAIL_OK;
    int positive = 0;
    for (size_t i = 0; !e && i < json_array_size(conds); i++) {
        e = check_cond(json_array_get(conds, i), i, list);
        if (!e && !json_is_true(json_object_get(json_array_get(conds, i), "negate")))
            positive = 1;
    }
    if (!e && !positive)
        e = hail_errf(HAIL_EINVAL, "a filter needs a condition that is not negated: the people "
                                   "are found through it");
    json_t *owner = json_object_get(def, "owner_email");
    if (!e && owner && !json_is_null(owner)) {
        if (!json_is_string(owner) || !email_plain(json_string_value(owner)))
            e = hail_errf(HAIL_EINVAL, "owner_email must be an email address");
        else {
            char low[EMAIL_MAX + 1];
            snprintf(low, sizeof low, "%s", json_string_value(owner));
            for (char *p = low; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (json_object_set_new(norm, "owner_email", json_string(low)))
                e = hail_errf(HAIL_ENOMEM, "out of memory");
        }
    }
    if (e || !out)
        json_decref(norm);
    else
        *out = norm;
    return e;
}

static hail_err fdef_load(const json_t *definition, fdef *f)
{
    memset(f, 0, sizeof *f);
    hail_err e = filter_check(definition, &f->norm);
    if (e)
        return e;
    json_t *list = json_object_get(f->norm, "conditions");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *c = json_array_get(list, i);
        fcond *k = &f->c[f->n++];
        k->type = json_string_value(json_object_get(c, "type"));
        k->template_id = json_integer_value(json_object_get(c, "template_id"));
        k->campaign_id = json_integer_value(json_object_get(c, "campaign_id"));
        k->link = json_string_value(json_object_get(c, "link"));
        k->min_count = json_integer_value(json_object_get(c, "min_count"));
        k->within_days = json_integer_value(json_object_get(c, "within_days"));
        k->human_only = json_is_true(json_object_get(c, "human_only"));
        k->negate = json_is_true(json_object_get(c, "negate"));
    }
    f->owner = json_string_value(json_object_get(f->norm, "owner_email"));
    return HAIL_OK;
}

static void fdef_free(fdef *f)
{
    json_decref(f->norm);
    f->norm = NULL;
}

/* ---- CRUD ---- */

static json_t *filter_row_json(db *d, db_st *st)
{
    (void)d;
    char cr[TIME_ISO_LEN], up[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 6), cr);
    time_format_iso(db_col_i64(st, 7), up);
    const char *text = db_col_text(st, 5);
    json_t *def = json_loads(text ? text : "{}", 0, NULL);
    if (!def)
        def = json_object();
    const char *owner = db_col_text(st, 3);
    return json_pack("{s:I,s:s,s:I,s:s?,s:b,s:o,s:s,s:s}", "id", (json_int_t)db_col_i64(st, 0),
                     "name", db_col_text(st, 1) ? db_col_text(st, 1) : "", "owner_id",
                     (json_int_t)db_col_i64(st, 2), "owner_name", owner, "shared",
                     db_col_int(st, 4) != 0, "definition", def, "created_at", cr, "updated_at", up);
}

#define FILTER_COLS                                                                                \
    "SELECT f.id, f.name, f.owner_id, u.name, f.shared, f.definition, f.created_at,"               \
    " f.updated_at FROM filters f LEFT JOIN users u ON u.id = f.owner_id"

hail_err filter_get(db *d, int64_t id, json_t **filter_json)
{
    *filter_json = NULL;
    db_st *st = db_stmt(d, FILTER_COLS " WHERE f.id = $1");
    if (!st)
        return db_fail(d, "filters: get");
    db_bind_i64(st, 1, id);
    hail_err e = db_one_json(d, st, filter_row_json, filter_json, "filters: get");
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "no filter with id %" PRId64, id);
    return e;
}

static hail_err def_text(const json_t *definition, char **text)
{
    *text = NULL;
    json_t *norm = NULL;
    hail_err e = filter_check(definition, &norm);
    if (e)
        return e;
    *text = json_dumps(norm, JSON_COMPACT);
    json_decref(norm);
    return *text ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err filter_create(db *d, int64_t owner_id, const char *name, int shared,
                       const json_t *definition, int64_t now_us, json_t **out)
{
    if (out)
        *out = NULL;
    char *text;
    hail_err e = def_text(definition, &text);
    if (e)
        return e;
    db_st *st = db_stmt(d, "INSERT INTO filters (name, owner_id, shared, definition, created_at,"
                           " updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id");
    if (!st) {
        free(text);
        return db_fail(d, "filters: insert");
    }
    db_bind_text(st, 1, name, -1);
    db_bind_i64(st, 2, owner_id);
    db_bind_i64(st, 3, shared != 0);
    db_bind_text(st, 4, text, -1);
    db_bind_i64(st, 5, now_us);
    int64_t id = 0;
    if (db_step(st) == DB_ROW)
        id = db_col_i64(st, 0);
    else
        e = db_fail(d, "filters: insert");
    db_reset(st);
    free(text);
    if (!e && out)
        e = filter_get(d, id, out);
    return e;
}

hail_err filter_update(db *d, int64_t id, const char *name, int shared, const json_t *definition,
                       int64_t now_us, json_t **out)
{
    if (out)
        *out = NULL;
    char *text = NULL;
    if (definition) {
        hail_err e = def_text(definition, &text);
        if (e)
            return e;
    }
    db_st *st = db_stmt(d, "UPDATE filters SET name = COALESCE(CAST($1 AS TEXT), name),"
                           " shared = CASE WHEN CAST($2 AS BIGINT) < 0 THEN shared ELSE $2 END,"
                           " definition = COALESCE(CAST($3 AS TEXT), definition),"
                           " updated_at = $4 WHERE id = $5");
    if (!st) {
        free(text);
        return db_fail(d, "filters: update");
    }
    db_bind_text(st, 1, name, -1);
    db_bind_i64(st, 2, shared < 0 ? -1 : shared != 0);
    db_bind_text(st, 3, text, -1);
    db_bind_i64(st, 4, now_us);
    db_bind_i64(st, 5, id);
    hail_err e = db_step_done(d, st, "filters: update");
    free(text);
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "no filter with id %" PRId64, id);
    if (!e && out)
        e = filter_get(d, id, out);
    return e;
}

hail_err filter_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM filters WHERE id = $1");
    if (!st)
        return db_fail(d, "filters: delete");
    db_bind_i64(st, 1, id);
    hail_err e = db_step_done(d, st, "filters: delete");
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "no filter with id %" PRId64, id);
    return e;
}

/* The filters a viewer reads: $2 = 1 for an admin, $3 the viewer, $4 the
 * covered users (JSON; the text of store/visibility.h's VIS_USER_IN_*). */
static const char filter_sql_list_sqlite[] =
    FILTER_COLS " WHERE f.id > $1 AND ($2 = 1 OR f.shared = 1 OR f.owner_id = $3"
                " OR f.owner_id IN (SELECT value FROM json_each($4))) ORDER BY f.id LIMIT $5";
static const char filter_sql_list_pg[] =
    FILTER_COLS " WHERE f.id > $1 AND (CAST($2 AS BIGINT) = 1 OR f.shared = 1 OR f.owner_id = $3"
                " OR f.owner_id IN (SELECT CAST(jsonb_array_elements_text(CAST($4 AS jsonb))"
                " AS BIGINT))) ORDER BY f.id LIMIT $5";

hail_err filter_list(db *d, int64_t viewer_id, const vis_scope *s, int64_t after_id, int limit,
                     json_t **out, int64_t *next)
{
    *out = NULL;
    *next = 0;
    db_st *st = db_stmt(d, DB_SQL(d, filter_sql_list_sqlite, filter_sql_list_pg));
    if (!st)
        return db_fail(d, "filters: list");
    db_bind_i64(st, 1, after_id);
    db_bind_i64(st, 2, s->all ? 1 : 0);
    db_bind_i64(st, 3, viewer_id);
    db_bind_text(st, 4, s->user_ids_json ? s->user_ids_json : "[]", -1);
    db_bind_i64(st, 5, limit + 1);
    hail_err e = db_all_json(d, st, filter_row_json, out, "filters: list");
    if (!e && json_array_size(*out) > (size_t)limit) {
        json_array_remove(*out, (size_t)limit);
        *next = json_integer_value(json_object_get(json_array_get(*out, (size_t)limit - 1), "id"));
    }
    return e;
}

/* ---- matching ---- */

/* A condition's test for one person: a range of activities_insight
 * (person, time), at most min_count rows read. */
const char filter_sql_cond_sqlite[] =
    "SELECT count(*) FROM (SELECT 1 FROM activities"
    " WHERE person_id = $1 AND occurred_at >= $2 AND type = $3"
    " AND ($4 = 0 OR template_id = $4) AND ($5 = 0 OR campaign_id = $5)"
    " AND ($6 = 0 OR machine = 0)"
    " AND ($7 = '' OR json_extract(attrs, '$.link') = $7) LIMIT $8) x";
const char filter_sql_cond_pg[] =
    "SELECT count(*) FROM (SELECT 1 FROM activities"
    " WHERE person_id = $1 AND occurred_at >= $2 AND type = $3"
    " AND (CAST($4 AS BIGINT) = 0 OR template_id = $4)"
    " AND (CAST($5 AS BIGINT) = 0 OR campaign_id = $5)"
    " AND (CAST($6 AS BIGINT) = 0 OR machine = 0)"
    " AND (CAST($7 AS TEXT) = '' OR (CAST(attrs AS jsonb) ->> 'link') = $7)"
    " LIMIT $8) x";

/* How many activities (up to c->min_count) person has that meet c. */
static hail_err cond_count(db *d, const fcond *c, int64_t person_id, int64_t now_us, int64_t *count)
{
    db_st *st = db_stmt(d, DB_SQL(d, filter_sql_cond_sqlite, filter_sql_cond_pg));
    if (!st)
        return db_fail(d, "filters: match");
    db_bind_i64(st, 1, person_id);
    db_bind_i64(st, 2, c->within_days ? now_us - c->within_days * US_PER_DAY : INT64_MIN);
    db_bind_text_ref(st, 3, c->type, -1);
    db_bind_i64(st, 4, c->template_id);
    db_bind_i64(st, 5, c->campaign_id);
    db_bind_i64(st, 6, c->human_only);
    db_bind_text_ref(st, 7, c->link ? c->link : "", -1);
    db_bind_i64(st, 8, c->min_count);
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *count = db_col_i64(st, 0);
    else
        e = db_fail(d, "filters: match");
    db_reset(st);
    return e;
}

/* 1 in *ok when the person meets every condition (the cheap tests first:
 * the driver's own condition is the last one it can fail). */
static hail_err conds_met(db *d, const fdef *f, int64_t person_id, int64_t now_us, int *ok)
{
    *ok = 0;
    for (int i = 0; i < f->n; i++) {
        int64_t n = 0;
        hail_err e = cond_count(d, &f->c[i], person_id, now_us, &n);
        if (e)
            return e;
        if ((n >= f->c[i].min_count) == f->c[i].negate)
            return HAIL_OK;
    }
    *ok = 1;
    return HAIL_OK;
}

static int owner_is(const char *owner_email, const char *lower)
{
    return owner_email && !strcasecmp(owner_email, lower);
}

hail_err filter_matches_person(db *d, const json_t *definition, int64_t person_id, int64_t now_us,
                               int *match)
{
    *match = 0;
    fdef f;
    hail_err e = fdef_load(definition, &f);
    if (e)
        return e;
    db_st *st = db_stmt(d, "SELECT owner_email FROM people WHERE id = $1");
    if (!st) {
        fdef_free(&f);
        return db_fail(d, "filters: person");
    }
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st), seen = rc == DB_ROW;
    int owner_ok = seen && (!f.owner || owner_is(db_col_text(st, 0), f.owner));
    db_reset(st);
    if (rc == DB_ERROR)
        e = db_fail(d, "filters: person");
    else if (owner_ok)
        e = conds_met(d, &f, person_id, now_us, match);
    fdef_free(&f);
    return e;
}

/* The owners whose people a page may hold: *all (no restriction), or the
 * list (lowercased; may be empty: nobody). */
typedef struct owners {
    int all;
    const char **v;
    size_t n;
    char *json; /* the list as a JSON array */
} owners;

static hail_err owners_make(const fdef *f, const vis_scope *s, owners *o)
{
    memset(o, 0, sizeof *o);
    if (!f->owner && (!s || s->all)) {
        o->all = 1;
        return HAIL_OK;
    }
    size_t cap = f->owner ? 1 : s->nemails;
    o->v = calloc(cap ? cap : 1, sizeof *o->v);
    json_t *a = json_array();
    if (!o->v || !a) {
        json_decref(a);
        free(o->v);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    if (f->owner) {
        int seen = !s || s->all;
        for (size_t i = 0; !seen && i < s->nemails; i++)
            seen = !strcmp(s->emails[i], f->owner);
        if (seen)
            o->v[o->n++] = f->owner;
    } else
        for (size_t i = 0; i < s->nemails; i++)
            o->v[o->n++] = s->emails[i];
    for (size_t i = 0; i < o->n; i++)
        json_array_append_new(a, json_string(o->v[i]));
    o->json = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (!o->json) {
        free(o->v);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

static void owners_free(owners *o)
{
    free(o->v);
    free(o->json);
}

static int owners_have(const owners *o, const char *owner_email)
{
    if (o->all)
        return 1;
    for (size_t i = 0; owner_email && i < o->n; i++)
        if (!strcasecmp(owner_email, o->v[i]))
            return 1;
    return 0;
}

enum { DRIVE_TEMPLATE, DRIVE_TIME, DRIVE_PEOPLE };

/* The positive condition that drives the page: a template's range is the
 * narrowest, then a time window (the shorter the better), then the people. */
static int pick_driver(const fdef *f, int *kind)
{
    int best = -1;
    int64_t best_rank = INT64_MAX;
    for (int i = 0; i < f->n; i++) {
        const fcond *c = &f->c[i];
        if (c->negate)
            continue;
        int64_t days = c->within_days ? c->within_days : FILTER_MAX_DAYS + 1;
        int64_t rank = c->template_id ? days : c->within_days ? 10000 + days : 20000;
        if (rank < best_rank) {
            best_rank = rank;
            best = i;
        }
    }
    *kind = best < 0                 ? DRIVE_PEOPLE
            : f->c[best].template_id ? DRIVE_TEMPLATE
            : f->c[best].within_days ? DRIVE_TIME
                                     : DRIVE_PEOPLE;
    return best;
}

/* The driver's statements (kept here so the unit test can EXPLAIN them). */
/* PostgreSQL: the range is a MATERIALIZED CTE, planned without the LIMIT:
 * otherwise the planner walks activities_person in person order hoping to
 * stop early, which reads the whole log when the range is rare. SQLite:
 * INDEXED BY keeps it off activities_insight's person order (a skip-scan of
 * every person, to save sorting the range). */
const char filter_sql_template_sqlite[] =
    "SELECT person_id FROM activities INDEXED BY activities_template WHERE type = $1"
    " AND template_id = $2 AND occurred_at >= $3 AND person_id > $4 GROUP BY person_id"
    " ORDER BY person_id LIMIT $5";
const char filter_sql_template_pg[] =
    "WITH r AS MATERIALIZED (SELECT person_id FROM activities WHERE type = $1"
    " AND template_id = $2 AND occurred_at >= $3 AND person_id > $4)"
    " SELECT person_id FROM r GROUP BY person_id ORDER BY person_id LIMIT $5";
const char filter_sql_time_sqlite[] =
    "SELECT person_id FROM activities INDEXED BY activities_time WHERE occurred_at >= $1"
    " AND type = $2 AND person_id > $3 GROUP BY person_id ORDER BY person_id LIMIT $4";
const char filter_sql_time_pg[] =
    "WITH r AS MATERIALIZED (SELECT person_id FROM activities WHERE occurred_at >= $1"
    " AND type = $2 AND person_id > $3)"
    " SELECT person_id FROM r GROUP BY person_id ORDER BY person_id LIMIT $4";
const char filter_sql_people[] =
    "SELECT p.id FROM people p WHERE p.id > $1 AND p.active = 1 AND EXISTS (SELECT 1 FROM"
    " activities a WHERE a.person_id = p.id AND a.type = $2) ORDER BY p.id LIMIT $3";
/* The covered owners' people ($2: their emails, JSON; the text of
 * store/visibility.h's VIS_OWNER_IN_*). */
const char filter_sql_people_owner_sqlite[] =
    "SELECT p.id FROM people p WHERE p.id > $1 AND p.active = 1"
    " AND p.owner_email COLLATE NOCASE IN (SELECT value FROM json_each($2))"
    " AND EXISTS (SELECT 1 FROM activities a WHERE a.person_id = p.id AND a.type = $3)"
    " ORDER BY p.id LIMIT $4";
const char filter_sql_people_owner_pg[] =
    "SELECT p.id FROM people p WHERE p.id > $1 AND p.active = 1"
    " AND lower(p.owner_email) IN (SELECT jsonb_array_elements_text(CAST($2 AS jsonb)))"
    " AND EXISTS (SELECT 1 FROM activities a WHERE a.person_id = p.id AND a.type = $3)"
    " ORDER BY p.id LIMIT $4";

/* Up to want candidates after pos into ids (ascending). */
static hail_err candidates(db *d, int kind, const fcond *c, const owners *o, int64_t now_us,
                           int64_t pos, int want, int64_t *ids, int *n)
{
    *n = 0;
    db_st *st;
    int64_t since = c && c->within_days ? now_us - c->within_days * US_PER_DAY : INT64_MIN;
    if (kind == DRIVE_TEMPLATE) {
        st = db_stmt(d, DB_SQL(d, filter_sql_template_sqlite, filter_sql_template_pg));
        if (!st)
            return db_fail(d, "filters: candidates");
        db_bind_text_ref(st, 1, c->type, -1);
        db_bind_i64(st, 2, c->template_id);
        db_bind_i64(st, 3, since);
        db_bind_i64(st, 4, pos);
        db_bind_i64(st, 5, want);
    } else if (kind == DRIVE_TIME) {
        st = db_stmt(d, DB_SQL(d, filter_sql_time_sqlite, filter_sql_time_pg));
        if (!st)
            return db_fail(d, "filters: candidates");
        db_bind_i64(st, 1, since);
        db_bind_text_ref(st, 2, c->type, -1);
        db_bind_i64(st, 3, pos);
        db_bind_i64(st, 4, want);
    } else {
        if (o->all)
            st = db_stmt(d, filter_sql_people);
        else
            st = db_stmt(d, DB_SQL(d, filter_sql_people_owner_sqlite, filter_sql_people_owner_pg));
        if (!st)
            return db_fail(d, "filters: candidates");
        db_bind_i64(st, 1, pos);
        int k = 2;
        if (!o->all)
            db_bind_text_ref(st, k++, o->json, -1);
        db_bind_text_ref(st, k++, c->type, -1);
        db_bind_i64(st, k, want);
    }
    int rc;
    while ((rc = db_step(st)) == DB_ROW && *n < want)
        ids[(*n)++] = db_col_i64(st, 0);
    hail_err e = rc == DB_ERROR ? db_fail(d, "filters: candidates") : HAIL_OK;
    db_reset(st);
    return e;
}

static json_t *person_json(db_st *st)
{
    return json_pack("{s:I,s:s?,s:s?,s:s?,s:s?,s:s?}", "id", (json_int_t)db_col_i64(st, 0),
                     "first_name", db_col_text(st, 1), "last_name", db_col_text(st, 2), "email",
                     db_col_text(st, 3), "company", db_col_text(st, 4), "owner_email",
                     db_col_text(st, 5));
}

/* Tests one candidate: active, an owner the page may show, the conditions.
 * *row gets the person's JSON when it matches and want_row. */
static hail_err test_candidate(db *d, const fdef *f, const owners *o, int64_t id, int64_t now_us,
                               int want_row, int *ok, json_t **row)
{
    *ok = 0;
    *row = NULL;
    db_st *st = db_stmt(d, "SELECT id, first_name, last_name, email, company, owner_email, active"
                           " FROM people WHERE id = $1");
    if (!st)
        return db_fail(d, "filters: person");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc == DB_ERROR) {
        hail_err e = db_fail(d, "filters: person");
        db_reset(st);
        return e;
    }
    int pass = rc == DB_ROW && db_col_int(st, 6) == 1 && owners_have(o, db_col_text(st, 5));
    if (pass && want_row && !(*row = person_json(st))) {
        db_reset(st);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    db_reset(st);
    if (!pass)
        return HAIL_OK;
    hail_err e = conds_met(d, f, id, now_us, ok);
    if (e || !*ok) {
        json_decref(*row);
        *row = NULL;
    }
    return e;
}

hail_err filter_people_page(db *d, const json_t *definition, const vis_scope *s, int64_t after_id,
                            int limit, int64_t now_us, json_t **out, int64_t *next, int count_cap,
                            int64_t *count, int *count_more)
{
    *out = NULL;
    *next = 0;
    if (limit < 1 || limit > FILTER_PAGE_MAX)
        return hail_errf(HAIL_EINVAL, "limit must be from 1 to %d", FILTER_PAGE_MAX);
    fdef f;
    hail_err e = fdef_load(definition, &f);
    if (e)
        return e;
    owners o;
    if ((e = owners_make(&f, s, &o))) {
        fdef_free(&f);
        return e;
    }
    json_t *page = json_array();
    int64_t *ids = calloc(CHUNK_MAX, sizeof *ids);
    if (!page || !ids)
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    int kind;
    int drv = pick_driver(&f, &kind);
    const fcond *dc = drv >= 0 ? &f.c[drv] : NULL;
    int64_t want = (int64_t)limit + 1;
    if (count_cap > 0 && count_cap + 1 > want)
        want = count_cap + 1;
    int64_t nmatch = 0, scanned = 0, pos = after_id, page_last = 0;
    int exhausted = !o.all && o.n == 0; /* nobody's people may be shown */
    int chunk = limit * 2 + 16;
    while (!e && !exhausted && nmatch < want && scanned < FILTER_SCAN_BUDGET) {
        int n = 0, ask = chunk;
        if (ask > FILTER_SCAN_BUDGET - scanned)
            ask = (int)(FILTER_SCAN_BUDGET - scanned);
        e = candidates(d, kind, dc, &o, now_us, pos, ask, ids, &n);
        int i = 0;
        for (; !e && i < n && nmatch < want; i++) {
            int ok;
            json_t *row;
            scanned++;
            pos = ids[i];
            e = test_candidate(d, &f, &o, ids[i], now_us, nmatch < limit, &ok, &row);
            if (e || !ok)
                continue;
            nmatch++;
            if (row && json_array_append_new(page, row))
                e = hail_errf(HAIL_ENOMEM, "out of memory");
            if (nmatch == limit)
                page_last = ids[i];
        }
        if (!e && i == n && n < ask)
            exhausted = 1;
        if (chunk < CHUNK_MAX)
            chunk = chunk * 2 > CHUNK_MAX ? CHUNK_MAX : chunk * 2;
    }
    if (!e) {
        if (nmatch > limit)
            *next = page_last;
        else if (!exhausted)
            *next = pos; /* the budget ran out: the next page goes on from here */
        if (count_cap > 0) {
            *count = nmatch > count_cap ? count_cap : nmatch;
            *count_more = nmatch > count_cap || !exhausted;
        }
        *out = page;
        page = NULL;
    }
    json_decref(page);
    free(ids);
    owners_free(&o);
    fdef_free(&f);
    return e;
}
