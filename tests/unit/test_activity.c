#include "core/common.h"

/* Unit tests for svc/activity: the one writer of the activity log (only
 * inside a transaction, known types only, references and attributes kept),
 * a person's page newest first with a cursor and a type filter, and the
 * log read after an id. On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "svc/activity.h"
#define ENGINE_FIXTURE_NAME "activity"
#include "engine_fixture.h"

static int64_t add_person(db *d, int64_t marketo_id)
{
    db_st *st = db_stmt(d, "INSERT INTO people (marketo_id, email, active, created_at, updated_at)"
                           " VALUES ($1, 'p@example.com', 1, 0, 0) RETURNING id");
    assert_non_null(st);
    db_bind_i64(st, 1, marketo_id);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

static int64_t record(db *d, const char *type, int64_t person, int64_t email, int machine)
{
    json_t *attrs = json_pack("{ss}", "email_subject", "Hello");
    activity a = {
        .type = type, .person_id = person, .email_id = email, .machine = machine, .attrs = attrs};
    int64_t id = 0;
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(activity_record(d, &a, &id), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    json_decref(attrs);
    assert_true(id > 0);
    return id;
}

static void test_record_needs_tx_and_known_type(void **state)
{
    db *d = efx(state)->f.d;
    int64_t p = add_person(d, 1);
    activity a = {.type = ACT_EMAIL_SEND, .person_id = p};
    assert_int_equal(activity_record(d, &a, NULL), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "an activity is recorded inside its cause's transaction");
    assert_int_equal(db_begin(d), HAIL_OK);
    a.type = "email_sent";
    assert_int_equal(activity_record(d, &a, NULL), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "unknown activity type 'email_sent'");
    a.type = ACT_EMAIL_SEND;
    a.person_id = 0;
    assert_int_equal(activity_record(d, &a, NULL), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "an activity needs a person");
    db_rollback(d);
    assert_string_equal(activity_type_name(ACT_EMAIL_BOUNCE), "Sales Email Bounced");
    assert_null(activity_type_name("nope"));
}

static void test_rolled_back_with_its_cause(void **state)
{
    db *d = efx(state)->f.d;
    int64_t p = add_person(d, 2);
    activity a = {.type = ACT_EMAIL_OPEN, .person_id = p};
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(activity_record(d, &a, NULL), HAIL_OK);
    db_rollback(d);
    json_t *page;
    int64_t next;
    assert_int_equal(activity_person_page(d, p, NULL, 0, 10, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 0);
    json_decref(page);
}

static void test_person_page_newest_first(void **state)
{
    db *d = efx(state)->f.d;
    int64_t p = add_person(d, 3), other = add_person(d, 4);
    int64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = record(d, i % 2 ? ACT_EMAIL_OPEN : ACT_EMAIL_SEND, p, 40 + i, i == 3);
    record(d, ACT_EMAIL_SEND, other, 0, 0);

    json_t *page;
    int64_t next;
    assert_int_equal(activity_person_page(d, p, NULL, 0, 3, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), ids[4]);
    assert_int_equal(next, ids[2]);
    json_t *first = json_array_get(page, 1); /* ids[3]: an open, machine */
    assert_string_equal(json_string_value(json_object_get(first, "type")), ACT_EMAIL_OPEN);
    assert_string_equal(json_string_value(json_object_get(first, "type_name")), "Open Sales Email");
    assert_true(json_is_true(json_object_get(first, "machine")));
    assert_int_equal(json_integer_value(json_object_get(first, "email_id")), 43);
    assert_true(json_is_null(json_object_get(first, "campaign_id")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "attrs"), "email_subject")),
        "Hello");
    json_decref(page);

    assert_int_equal(activity_person_page(d, p, NULL, next, 3, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 1), "id")), ids[0]);
    assert_int_equal(next, 0);
    json_decref(page);

    assert_int_equal(activity_person_page(d, p, ACT_EMAIL_OPEN, 0, 10, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 2);
    json_decref(page);

    assert_int_equal(activity_person_page(d, 999999, NULL, 0, 10, &page, &next), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no person with id 999999");

    assert_int_equal(activity_after(d, ids[3], 10, &page), HAIL_OK);
    assert_int_equal(json_array_size(page), 2); /* ids[4] and the other person's */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), ids[4]);
    json_decref(page);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_record_needs_tx_and_known_type),
        ON_SQLITE(test_rolled_back_with_its_cause),
        ON_SQLITE(test_person_page_newest_first),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_record_needs_tx_and_known_type),
        ON_PG(test_rolled_back_with_its_cause),
        ON_PG(test_person_page_newest_first),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
