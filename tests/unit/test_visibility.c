#include "core/common.h"

/* Unit tests for store/visibility: the one rule of who sees what (a rep
 * covers themself, a manager themself and every member of their teams, an
 * admin everyone), owners compared case-insensitively, the JSON forms of the
 * scope and the SQL conditions built from them. On SQLite and on
 * PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/auth.h"
#include "store/visibility.h"
#define ENGINE_FIXTURE_NAME "visibility"
#include "engine_fixture.h"

static int64_t add_user(db *d, const char *email, const char *role, const char *team)
{
    int64_t id = 0;
    assert_int_equal(auth_user_add(d, email, "U", role, team, NULL, -1, NULL, &id), HAIL_OK);
    return id;
}

static int64_t person(db *d, int64_t mid, const char *owner)
{
    db_st *st = db_stmt(d, "INSERT INTO people (marketo_id, email, owner_email, active, "
                           "created_at, updated_at) VALUES ($1, 'p@example.com', $2, 1, 0, 0) "
                           "RETURNING id");
    assert_non_null(st);
    db_bind_i64(st, 1, mid);
    db_bind_text(st, 2, owner, -1);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

static void test_scopes_by_role(void **state)
{
    db *d = efx(state)->f.d;
    int64_t mia = add_user(d, "Mia@Example.com", "manager", "A");
    int64_t ann = add_user(d, "ann@example.com", "rep", "A");
    int64_t bob = add_user(d, "bob@example.com", "rep", "B");
    int64_t adm = add_user(d, "root@example.com", "admin", NULL);

    vis_scope s;
    email_viewer v = {ann, "rep"};
    assert_int_equal(vis_scope_load(d, &v, &s), HAIL_OK);
    assert_int_equal(s.all, 0);
    assert_int_equal(s.nusers, 1);
    assert_int_equal(s.user_ids[0], ann);
    assert_string_equal(s.emails[0], "ann@example.com");
    char want[64];
    snprintf(want, sizeof want, "[%lld]", (long long)ann);
    assert_string_equal(s.user_ids_json, want);
    assert_string_equal(s.emails_json, "[\"ann@example.com\"]");
    assert_true(vis_covers_user(&s, ann));
    assert_false(vis_covers_user(&s, bob));
    assert_false(vis_covers_user(&s, 0));
    assert_true(vis_covers_owner(&s, "ANN@example.COM"));
    assert_false(vis_covers_owner(&s, "bob@example.com"));
    assert_false(vis_covers_owner(&s, NULL));
    assert_false(vis_covers_owner(&s, ""));
    vis_scope_free(&s);

    v = (email_viewer){mia, "manager"};
    assert_int_equal(vis_scope_load(d, &v, &s), HAIL_OK);
    assert_int_equal(s.nusers, 2); /* Mia and Ann, not Bob */
    assert_true(vis_covers_user(&s, mia) && vis_covers_user(&s, ann));
    assert_false(vis_covers_user(&s, bob));
    assert_string_equal(s.emails_json, "[\"ann@example.com\",\"mia@example.com\"]");
    assert_true(vis_covers_owner(&s, "mia@example.com"));
    assert_false(vis_covers_owner(&s, "bob@example.com"));
    vis_scope_free(&s);

    v = (email_viewer){adm, "admin"};
    assert_int_equal(vis_scope_load(d, &v, &s), HAIL_OK);
    assert_int_equal(s.all, 1);
    assert_true(vis_covers_user(&s, bob));
    assert_true(vis_covers_owner(&s, "anyone@example.org"));
    assert_true(vis_covers_owner(&s, NULL));
    vis_scope_free(&s);

    /* A manager of no team covers only themself. */
    int64_t lone = add_user(d, "lone@example.com", "manager", NULL);
    v = (email_viewer){lone, "manager"};
    assert_int_equal(vis_scope_load(d, &v, &s), HAIL_OK);
    assert_int_equal(s.nusers, 1);
    assert_int_equal(s.user_ids[0], lone);
    vis_scope_free(&s);
}

static void test_vis_person(void **state)
{
    db *d = efx(state)->f.d;
    int64_t mia = add_user(d, "mia@example.com", "manager", "A");
    int64_t ann = add_user(d, "ann@example.com", "rep", "A");
    int64_t bob = add_user(d, "bob@example.com", "rep", "B");
    int64_t adm = add_user(d, "root@example.com", "admin", NULL);
    int64_t pa = person(d, 1, "ANN@example.com");
    int64_t pb = person(d, 2, "bob@example.com");
    int64_t pn = person(d, 3, NULL);
    email_viewer vann = {ann, "rep"}, vbob = {bob, "rep"}, vmia = {mia, "manager"},
                 vadm = {adm, "admin"};
    assert_true(vis_person(d, &vann, pa));
    assert_false(vis_person(d, &vann, pb));
    assert_false(vis_person(d, &vann, pn));
    assert_true(vis_person(d, &vbob, pb));
    assert_false(vis_person(d, &vbob, pa));
    assert_true(vis_person(d, &vmia, pa));
    assert_false(vis_person(d, &vmia, pb));
    assert_true(vis_person(d, &vadm, pn));
    assert_false(vis_person(d, &vadm, 999999)); /* no such person */
}

/* The SQL conditions pick the same people as vis_covers_owner. */
static void test_sql_conditions(void **state)
{
    db *d = efx(state)->f.d;
    int64_t mia = add_user(d, "mia@example.com", "manager", "A");
    int64_t ann = add_user(d, "ann@example.com", "rep", "A");
    add_user(d, "bob@example.com", "rep", "B");
    int64_t pa = person(d, 1, "Ann@Example.com");
    int64_t pm = person(d, 2, "mia@example.com");
    person(d, 3, "bob@example.com");
    person(d, 4, NULL);
    email_viewer v = {mia, "manager"};
    vis_scope s;
    assert_int_equal(vis_scope_load(d, &v, &s), HAIL_OK);
    db_st *st = db_stmt(d, DB_SQL(d,
                                  "SELECT p.id FROM people p WHERE " VIS_OWNER_IN_SQLITE(
                                      "p.owner_email", "$1") " ORDER BY p.id",
                                  "SELECT p.id FROM people p WHERE " VIS_OWNER_IN_PG(
                                      "p.owner_email", "$1") " ORDER BY p.id"));
    assert_non_null(st);
    db_bind_text(st, 1, s.emails_json, -1);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_i64(st, 0), pa);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_i64(st, 0), pm);
    assert_int_equal(db_step(st), DB_DONE);
    db_reset(st);
    st = db_stmt(
        d,
        DB_SQL(d,
               "SELECT u.id FROM users u WHERE " VIS_USER_IN_SQLITE("u.id", "$1") " ORDER BY u.id",
               "SELECT u.id FROM users u WHERE " VIS_USER_IN_PG("u.id", "$1") " ORDER BY u.id"));
    assert_non_null(st);
    db_bind_text(st, 1, s.user_ids_json, -1);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_i64(st, 0), mia);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_i64(st, 0), ann);
    assert_int_equal(db_step(st), DB_DONE);
    db_reset(st);
    vis_scope_free(&s);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_scopes_by_role),
        ON_SQLITE(test_vis_person),
        ON_SQLITE(test_sql_conditions),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_scopes_by_role),
        ON_PG(test_vis_person),
        ON_PG(test_sql_conditions),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
