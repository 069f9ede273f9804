#include "core/common.h"

/* Saved filters (store/filters.h) on both engines: whole messages for bad
 * definitions, CRUD and who reads what, matching (template, window, count,
 * human only, link, negation, the owner scope), pages without gaps or
 * repeats under each driver, a rep's page only holding the people they
 * cover, and the plans (EXPLAIN): each driver reads its index, a
 * condition's test reads activities_insight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/timeutil.h"
#include "store/filters.h"
#define ENGINE_FIXTURE_NAME "filters"
#include "engine_fixture.h"
#include "plan.h"

#define DAY (INT64_C(86400) * US_PER_SEC)

static int64_t NOW;

static void exec(db *d, const char *sql)
{
    if (db_exec(d, sql))
        fail_msg("%s: %s", sql, hail_errmsg());
}

static int64_t insert(db *d, const char *sql, const char *a, const char *b)
{
    db_st *st = db_prepare(d, sql);
    if (!st)
        fail_msg("%s: %s", sql, hail_errmsg());
    if (a)
        db_bind_text(st, 1, a, -1);
    if (b)
        db_bind_text(st, 2, b, -1);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t v = db_col_i64(st, 0);
    db_st_free(st);
    return v;
}

static int64_t user(db *d, const char *email, const char *role)
{
    return insert(d,
                  "INSERT INTO users (email, name, role, created_at, updated_at)"
                  " VALUES ($1, 'U', $2, 0, 0) RETURNING id",
                  email, role);
}

static int64_t person(db *d, const char *owner)
{
    return insert(d,
                  "INSERT INTO people (marketo_id, first_name, last_name, email, owner_email,"
                  " active, created_at, updated_at)"
                  " VALUES ((SELECT coalesce(max(marketo_id), 0) + 1 FROM people), 'P', 'Lee',"
                  " 'p@x.example', $1, 1, 0, 0) RETURNING id",
                  owner, NULL);
}

static void act(db *d, const char *type, int64_t who, int64_t tmpl, int64_t days_ago, int machine,
                const char *link)
{
    db_st *st = db_prepare(d, "INSERT INTO activities (type, person_id, template_id, occurred_at,"
                              " machine, attrs, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0)");
    assert_non_null(st);
    db_bind_text(st, 1, type, -1);
    db_bind_i64(st, 2, who);
    if (tmpl)
        db_bind_i64(st, 3, tmpl);
    else
        db_bind_null(st, 3);
    db_bind_i64(st, 4, NOW - days_ago * DAY - 1000);
    db_bind_i64(st, 5, machine);
    char attrs[256];
    snprintf(attrs, sizeof attrs, link ? "{\"link\":\"%s\"}" : "{}", link);
    db_bind_text(st, 6, attrs, -1);
    assert_int_equal(db_step(st), DB_DONE);
    db_st_free(st);
}

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fail_msg("%s: %s", text, err.text);
    return j;
}

static void bad(const char *def, const char *msg)
{
    json_t *j = J(def);
    hail_err e = filter_check(j, NULL);
    json_decref(j);
    if (e != HAIL_EINVAL || strcmp(hail_errmsg(), msg))
        fail_msg("%s: got %d '%s', want '%s'", def, e, hail_errmsg(), msg);
}

static void test_check(void **state)
{
    (void)state;
    bad("[]", "the definition must be an object");
    bad("{\"conditions\":[{\"type\":\"email_open\"}],\"x\":1}",
        "the definition has no member 'x': its members are conditions and owner_email");
    bad("{}", "conditions must be an array of 1 to 20 conditions");
    bad("{\"conditions\":[]}", "conditions must be an array of 1 to 20 conditions");
    bad("{\"conditions\":[1]}", "conditions[0] must be an object");
    bad("{\"conditions\":[{}]}", "conditions[0].type is required");
    bad("{\"conditions\":[{\"type\":\"email_open\",\"tpl\":1}]}",
        "conditions[0] has no member 'tpl': its members are type, template_id, campaign_id, "
        "link, min_count, within_days, human_only and negate");
    bad("{\"conditions\":[{\"type\":\"opened\"}]}",
        "conditions[0].type must be one of email_send, email_open, email_click, email_reply, "
        "email_autoreply, email_bounce, call, campaign_add, campaign_remove, unsubscribe and "
        "resubscribe, not 'opened'");
    bad("{\"conditions\":[{\"type\":\"email_open\",\"template_id\":0}]}",
        "conditions[0].template_id must be a positive integer");
    bad("{\"conditions\":[{\"type\":\"email_open\",\"campaign_id\":\"1\"}]}",
        "conditions[0].campaign_id must be a positive integer");
    bad("{\"conditions\":[{\"type\":\"email_open\",\"min_count\":1001}]}",
        "conditions[0].min_count must be an integer from 1 to 1000");
    bad("{\"conditions\":[{\"type\":\"email_open\"},{\"type\":\"call\",\"within_days\":0}]}",
        "conditions[1].within_days must be an integer from 1 to 3650");
    bad("{\"conditions\":[{\"type\":\"email_open\",\"link\":\"https://x\"}]}",
        "conditions[0].link applies to email_click only, not to email_open");
    bad("{\"conditions\":[{\"type\":\"email_click\",\"link\":\"\"}]}",
        "conditions[0].link must be a string of 1 to 2000 characters");
    bad("{\"conditions\":[{\"type\":\"email_open\",\"negate\":1}]}",
        "conditions[0].negate must be true or false");
    bad("{\"conditions\":[{\"type\":\"email_reply\",\"negate\":true}]}",
        "a filter needs a condition that is not negated: the people are found through it");
    bad("{\"conditions\":[{\"type\":\"email_open\"}],\"owner_email\":\"nobody\"}",
        "owner_email must be an email address");

    json_t *in = J("{\"owner_email\":\"Rep@X.example\",\"conditions\":[{\"negate\":false,"
                   "\"type\":\"email_open\",\"within_days\":7}]}");
    json_t *out = NULL;
    assert_int_equal(filter_check(in, &out), HAIL_OK);
    char *s = json_dumps(out, JSON_COMPACT);
    assert_string_equal(s, "{\"conditions\":[{\"type\":\"email_open\",\"min_count\":1,"
                           "\"within_days\":7,\"human_only\":false,\"negate\":false}],"
                           "\"owner_email\":\"rep@x.example\"}");
    free(s);
    json_decref(out);
    json_decref(in);
}

typedef struct world {
    int64_t admin, rep1, mgr, rep2;
    int64_t p[6]; /* p0..p3 rep1's, p4..p5 rep2's */
} world;

static world make_world(db *d)
{
    world w;
    NOW = time_now_us();
    w.admin = user(d, "admin@example.com", "admin");
    w.rep1 = user(d, "rep1@example.com", "rep");
    w.mgr = user(d, "mgr@example.com", "manager");
    w.rep2 = user(d, "rep2@example.com", "rep");
    exec(d, "INSERT INTO teams (name, created_at) VALUES ('East', 0)");
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO team_members (team_id, user_id) VALUES"
             " ((SELECT id FROM teams WHERE name = 'East'), %lld),"
             " ((SELECT id FROM teams WHERE name = 'East'), %lld)",
             (long long)w.rep1, (long long)w.mgr);
    exec(d, sql);
    for (int i = 0; i < 6; i++)
        w.p[i] = person(d, i < 4 ? "Rep1@Example.com" : "rep2@example.com");
    /* p0: opened template 5 two days ago, no reply */
    act(d, "email_open", w.p[0], 5, 2, 0, NULL);
    /* p1: opened template 5 yesterday and replied */
    act(d, "email_open", w.p[1], 5, 1, 0, NULL);
    act(d, "email_reply", w.p[1], 5, 0, 0, NULL);
    /* p2: opened template 5 twenty days ago (outside a 7-day window) */
    act(d, "email_open", w.p[2], 5, 20, 0, NULL);
    /* p3: only a machine open of template 5, and a click on a link */
    act(d, "email_open", w.p[3], 5, 3, 1, NULL);
    act(d, "email_click", w.p[3], 5, 3, 0, "https://a.example/x");
    /* p4: three opens of template 5 this week; p5: an open of template 6 */
    for (int k = 0; k < 3; k++)
        act(d, "email_open", w.p[4], 5, k + 1, 0, NULL);
    act(d, "email_open", w.p[5], 6, 1, 0, NULL);
    return w;
}

static int matches(db *d, const char *def, int64_t person_id)
{
    json_t *j = J(def);
    int m = -1;
    hail_err e = filter_matches_person(d, j, person_id, NOW, &m);
    if (e)
        fail_msg("%s: %s", def, hail_errmsg());
    json_decref(j);
    return m;
}

/* Every page of def (limit) for viewer (NULL: everyone), the ids in order,
 * into got ("1,2,3"). */
static void all_pages(db *d, const char *def, const email_viewer *v, int limit, char *got, size_t n)
{
    json_t *j = J(def);
    vis_scope s, *sp = NULL;
    if (v) {
        assert_int_equal(vis_scope_load(d, v, &s), HAIL_OK);
        sp = &s;
    }
    got[0] = '\0';
    int64_t after = 0;
    for (int guard = 0; guard < 100; guard++) {
        json_t *a = NULL;
        int64_t next = 0;
        if (filter_people_page(d, j, sp, after, limit, NOW, &a, &next, 0, NULL, NULL))
            fail_msg("%s: %s", def, hail_errmsg());
        assert_true(json_array_size(a) <= (size_t)limit);
        for (size_t i = 0; i < json_array_size(a); i++) {
            size_t used = strlen(got);
            snprintf(got + used, n - used, "%s%lld", used ? "," : "",
                     (long long)json_integer_value(json_object_get(json_array_get(a, i), "id")));
        }
        json_decref(a);
        if (!next)
            break;
        assert_true(next > after);
        after = next;
    }
    if (sp)
        vis_scope_free(sp);
    json_decref(j);
}

static void ids(const world *w, const int *which, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%lld", i ? "," : "", (long long)w->p[which[i]]);
    }
}

#define EXPECT(def, v, ...)                                                                        \
    do {                                                                                           \
        static const int want_[] = {__VA_ARGS__};                                                  \
        char want[512], got[512];                                                                  \
        ids(&w, want_, sizeof want_ / sizeof *want_, want, sizeof want);                           \
        for (int limit = 1; limit <= 4; limit += 3) {                                              \
            all_pages(d, def, v, limit, got, sizeof got);                                          \
            if (strcmp(got, want))                                                                 \
                fail_msg("%s (limit %d): got [%s], want [%s]", def, limit, got, want);             \
        }                                                                                          \
    } while (0)

static void test_matching(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    const char *opened7 = "{\"conditions\":[{\"type\":\"email_open\",\"template_id\":5,"
                          "\"within_days\":7}]}";
    const char *opened7_not_replied =
        "{\"conditions\":[{\"type\":\"email_open\",\"template_id\":5,\"within_days\":7},"
        "{\"type\":\"email_reply\",\"negate\":true}]}";
    /* single people */
    assert_int_equal(matches(d, opened7_not_replied, w.p[0]), 1);
    assert_int_equal(matches(d, opened7_not_replied, w.p[1]), 0); /* replied */
    assert_int_equal(matches(d, opened7_not_replied, w.p[2]), 0); /* too long ago */
    assert_int_equal(matches(d, opened7_not_replied, 999999), 0); /* no such person */
    /* the pages, under each driver */
    EXPECT(opened7, NULL, 0, 1, 3, 4);
    EXPECT(opened7_not_replied, NULL, 0, 3, 4);
    EXPECT("{\"conditions\":[{\"type\":\"email_open\",\"template_id\":5,\"within_days\":7,"
           "\"human_only\":true}]}",
           NULL, 0, 1, 4);
    EXPECT("{\"conditions\":[{\"type\":\"email_open\",\"template_id\":5,\"min_count\":3}]}", NULL,
           4);
    EXPECT("{\"conditions\":[{\"type\":\"email_open\",\"within_days\":7}]}", NULL, 0, 1, 3, 4, 5);
    EXPECT("{\"conditions\":[{\"type\":\"email_open\"},{\"type\":\"email_click\",\"negate\":true}"
           "]}",
           NULL, 0, 1, 2, 4, 5);
    EXPECT("{\"conditions\":[{\"type\":\"email_click\",\"link\":\"https://a.example/x\"}]}", NULL,
           3);
    EXPECT("{\"conditions\":[{\"type\":\"email_click\",\"link\":\"https://a.example/y\"}]}", NULL);
    EXPECT("{\"conditions\":[{\"type\":\"email_open\"}],\"owner_email\":\"REP2@example.com\"}",
           NULL, 4, 5);
    /* who sees what: a rep their own people, a manager the team's, a rep
     * asking for another owner's people nothing */
    email_viewer r1 = {w.rep1, "rep"}, r2 = {w.rep2, "rep"}, mg = {w.mgr, "manager"},
                 ad = {w.admin, "admin"};
    EXPECT(opened7, &r1, 0, 1, 3);
    EXPECT(opened7, &r2, 4);
    EXPECT(opened7, &mg, 0, 1, 3);
    EXPECT(opened7, &ad, 0, 1, 3, 4);
    EXPECT("{\"conditions\":[{\"type\":\"email_open\"}]}", &r1, 0, 1, 2, 3);
    EXPECT("{\"conditions\":[{\"type\":\"email_open\"}],\"owner_email\":\"rep2@example.com\"}",
           &r1);
    /* the preview's count */
    json_t *j = J(opened7), *a = NULL;
    int64_t next = 0, count = 0;
    int more = -1;
    assert_int_equal(filter_people_page(d, j, NULL, 0, 2, NOW, &a, &next, 1000, &count, &more),
                     HAIL_OK);
    assert_int_equal(json_array_size(a), 2);
    assert_int_equal(next, w.p[1]);
    assert_int_equal(count, 4);
    assert_int_equal(more, 0);
    json_decref(a);
    assert_int_equal(filter_people_page(d, j, NULL, 0, 2, NOW, &a, &next, 3, &count, &more),
                     HAIL_OK);
    assert_int_equal(count, 3);
    assert_int_equal(more, 1);
    json_decref(a);
    json_decref(j);
}

static void test_crud(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    json_t *def = J("{\"conditions\":[{\"type\":\"email_reply\"}]}"), *f = NULL;
    assert_int_equal(filter_create(d, w.rep1, "Replied", 0, def, NOW, &f), HAIL_OK);
    int64_t id = json_integer_value(json_object_get(f, "id"));
    assert_string_equal(json_string_value(json_object_get(f, "name")), "Replied");
    assert_int_equal(json_integer_value(json_object_get(f, "owner_id")), w.rep1);
    assert_true(json_is_false(json_object_get(f, "shared")));
    char *s = json_dumps(json_object_get(f, "definition"), JSON_COMPACT);
    assert_string_equal(s, "{\"conditions\":[{\"type\":\"email_reply\",\"min_count\":1,"
                           "\"human_only\":false,\"negate\":false}]}");
    free(s);
    json_decref(f);
    json_t *f2 = NULL;
    assert_int_equal(filter_create(d, w.rep2, "Shared", 1, def, NOW, &f2), HAIL_OK);
    int64_t id2 = json_integer_value(json_object_get(f2, "id"));
    json_decref(f2);
    assert_int_equal(filter_create(d, w.rep2, "Private", 0, def, NOW, &f2), HAIL_OK);
    int64_t id3 = json_integer_value(json_object_get(f2, "id"));
    json_decref(f2);
    /* lists: rep1 their own and the shared one; the manager the same (covers
     * rep1); rep2 theirs; an admin every one */
    struct {
        int64_t uid;
        const char *role;
        int64_t want[3];
    } cases[] = {{w.rep1, "rep", {id, id2, 0}},
                 {w.mgr, "manager", {id, id2, 0}},
                 {w.rep2, "rep", {id2, id3, 0}},
                 {w.admin, "admin", {id, id2, id3}}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        email_viewer v = {cases[c].uid, cases[c].role};
        vis_scope sc;
        assert_int_equal(vis_scope_load(d, &v, &sc), HAIL_OK);
        json_t *a = NULL;
        int64_t next = -1;
        assert_int_equal(filter_list(d, cases[c].uid, &sc, 0, 10, &a, &next), HAIL_OK);
        size_t n = 0;
        while (n < 3 && cases[c].want[n])
            n++;
        assert_int_equal(json_array_size(a), n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(json_integer_value(json_object_get(json_array_get(a, i), "id")),
                             cases[c].want[i]);
        assert_int_equal(next, 0);
        json_decref(a);
        if (c == 3) { /* pages of one */
            assert_int_equal(filter_list(d, cases[c].uid, &sc, 0, 1, &a, &next), HAIL_OK);
            assert_int_equal(json_array_size(a), 1);
            assert_int_equal(next, id);
            json_decref(a);
        }
        vis_scope_free(&sc);
    }
    /* update: name only, then the definition; a bad one changes nothing */
    json_t *u = NULL;
    assert_int_equal(filter_update(d, id, "Renamed", -1, NULL, NOW + 1, &u), HAIL_OK);
    assert_string_equal(json_string_value(json_object_get(u, "name")), "Renamed");
    json_decref(u);
    json_t *badd = J("{\"conditions\":[{\"type\":\"nope\"}]}");
    assert_int_equal(filter_update(d, id, NULL, 1, badd, NOW + 2, &u), HAIL_EINVAL);
    json_decref(badd);
    assert_int_equal(filter_get(d, id, &u), HAIL_OK);
    assert_true(json_is_false(json_object_get(u, "shared")));
    json_decref(u);
    assert_int_equal(filter_delete(d, id), HAIL_OK);
    assert_int_equal(filter_get(d, id, &u), HAIL_ENOTFOUND);
    char want[64];
    snprintf(want, sizeof want, "no filter with id %lld", (long long)id);
    assert_string_equal(hail_errmsg(), want);
    assert_int_equal(filter_delete(d, id), HAIL_ENOTFOUND);
    json_decref(def);
}

/* The plan of sql (EXPLAIN) names index; "|" separates alternatives. */
static void uses_index(db *d, int pg, const char *sql, const char *binds, const char *index)
{
    db_st *st = plan_prepare(d, pg, sql);
    /* binds: one letter per parameter: i an integer, t a type, e an empty text, j a JSON list */
    for (int i = 0; binds[i]; i++) {
        if (binds[i] == 'i')
            db_bind_i64(st, i + 1, 5);
        else if (binds[i] == 't')
            db_bind_text(st, i + 1, "email_open", -1);
        else if (binds[i] == 'e')
            db_bind_text(st, i + 1, "", -1);
        else
            db_bind_text(st, i + 1, "[\"rep1@example.com\"]", -1);
    }
    char plan[8192];
    plan_read(st, pg, plan, sizeof plan);
    int found = 0;
    char alt[128];
    snprintf(alt, sizeof alt, "%s", index);
    for (char *save = NULL, *one = strtok_r(alt, "|", &save); one; one = strtok_r(NULL, "|", &save))
        found |= strstr(plan, one) != NULL;
    if (!found)
        fail_msg("%s does not use %s: %s", sql, index, plan);
    const char *scan = pg ? "Seq Scan on activities" : "SCAN activities";
    const char *p = strstr(plan, scan);
    if (p && (pg || p[strlen(scan)] == ' ' || p[strlen(scan)] == '|'))
        fail_msg("%s scans activities: %s", sql, plan);
}

static void test_plans(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    make_world(d);
    /* a log of 20,000 activities over 1,000 people and 20 templates */
    exec(d, "INSERT INTO people (marketo_id, owner_email, active, created_at, updated_at)"
            " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
            " SELECT 1000 + i, 'rep1@example.com', 1, 0, 0 FROM n");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO activities (type, person_id, template_id, occurred_at, machine, attrs,"
             " created_at) WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 19999) SELECT CASE WHEN i %% 3 = 0 THEN 'email_send' ELSE 'email_open'"
             " END, 7 + i %% 1000, 1 + i %% 20, %lld + CAST(i AS BIGINT) * 1000000000, 0, '{}', 0"
             " FROM n",
             (long long)(NOW - 300 * DAY));
    exec(d, sql);
    exec(d, "ANALYZE");
    if (x->pg)
        exec(d, "SET enable_seqscan = off");
    uses_index(d, x->pg, x->pg ? filter_sql_template_pg : filter_sql_template_sqlite, "tiiii",
               "activities_template");
    uses_index(d, x->pg, x->pg ? filter_sql_time_pg : filter_sql_time_sqlite, "itii",
               "activities_time");
    uses_index(d, x->pg, x->pg ? filter_sql_cond_pg : filter_sql_cond_sqlite, "iitiiiei",
               "activities_insight|activities_person");
    uses_index(d, x->pg, filter_sql_people, "iti", "activities_insight|activities_person");
    uses_index(d, x->pg, x->pg ? filter_sql_people_owner_pg : filter_sql_people_owner_sqlite,
               "ijti", "activities_insight|activities_person");
    if (x->pg)
        exec(d, "SET enable_seqscan = on");
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        cmocka_unit_test(test_check),
        ON_SQLITE(test_matching),
        ON_SQLITE(test_crud),
        ON_SQLITE(test_plans),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_matching),
        ON_PG(test_crud),
        ON_PG(test_plans),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
