#include "core/common.h"

/* Unit tests for mail/track (the install's key, track_url, track_record: what
 * a hit writes) and mail/unsub (unsub_record: once, inside a transaction,
 * with its activity). On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/timeutil.h"
#include "mail/track.h"
#include "mail/unsub.h"
#include "svc/settings.h"
#define ENGINE_FIXTURE_NAME "track"
#include "engine_fixture.h"

static int64_t one_id(db *d, const char *sql)
{
    db_st *st = db_prepare(d, sql);
    assert_non_null(st);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_st_free(st);
    return id;
}

/* A user, a sender, a person and a sent email with two links; the email id. */
static int64_t setup_email(db *d, int64_t *user, int64_t *person)
{
    *user = one_id(d, "INSERT INTO users (email, name, role, active, created_at, updated_at) "
                      "VALUES ('rep@example.com', 'Rep', 'rep', 1, 0, 0) RETURNING id");
    *person = one_id(d, "INSERT INTO people (marketo_id, email, active, created_at, updated_at) "
                        "VALUES (1, 'p@example.org', 1, 0, 0) RETURNING id");
    int64_t sender = one_id(d, "INSERT INTO senders (user_id, address, display_name, channel_id, "
                               "created_at, updated_at) SELECT id, 'rep@example.com', 'Rep', 1, "
                               "0, 0 FROM users RETURNING id");
    (void)sender;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO emails (person_id, user_id, sender_id, channel_id, status, to_address, "
             "to_domain, subject, body_html, links, sent_at, created_at, updated_at) VALUES "
             "(%lld, %lld, %lld, 1, 'sent', 'p@example.org', 'example.org', 'Hi', '<p>hi</p>', "
             "'[\"https://example.com/a\", \"https://example.com/b\"]', %lld, 0, 0) RETURNING id",
             (long long)*person, (long long)*user, (long long)sender,
             (long long)(time_now_us() - INT64_C(3600) * 1000000));
    return one_id(d, sql);
}

static int64_t count(db *d, const char *sql)
{
    return one_id(d, sql);
}

static void test_key_and_urls(void **state)
{
    db *d = efx(state)->f.d;
    unsigned char k1[TRACK_KEY_BYTES], k2[TRACK_KEY_BYTES];
    assert_int_equal(track_key(d, k1), HAIL_OK);
    assert_int_equal(track_key(d, k2), HAIL_OK);
    assert_memory_equal(k1, k2, TRACK_KEY_BYTES);
    /* the key is the database's: another connection finds the same one */
    db *d2;
    assert_int_equal(db_open(efx(state)->url, 0, &d2), HAIL_OK);
    char *hex = NULL;
    assert_int_equal(db_kv_get(d2, "track.key", &hex), HAIL_OK);
    assert_non_null(hex);
    assert_int_equal(strlen(hex), 64);
    free(hex);
    db_close(d2);

    hail_settings s = *settings();
    s.public_url = "https://mail.example.com";
    settings_set(&s);
    char url[TRACK_URL_MAX], tok[TRACK_TOKEN_LEN + 1];
    assert_int_equal(track_url(d, 'c', 42, 3, url, sizeof url), HAIL_OK);
    assert_int_equal(track_token_make(k1, 'c', 42, 3, tok), 0);
    char want[TRACK_URL_MAX];
    snprintf(want, sizeof want, "https://mail.example.com/t/c/%s", tok);
    assert_string_equal(url, want);
    assert_int_equal(track_url(d, 'u', 42, 0, url, sizeof url), HAIL_OK);
    assert_int_equal(strncmp(url, "https://mail.example.com/u/", 27), 0);
    assert_int_equal(track_url(d, 'x', 42, 0, url, sizeof url), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "no tracking link of kind 'x'");
    assert_int_equal(track_url(d, 'o', 0, 0, url, sizeof url), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "no tracking link for email 0, link 0");
    assert_int_equal(track_url(d, 'o', 1, 0, url, 20), HAIL_ETOOBIG);
}

static track_hit hit(char kind, int64_t email, int link, const char *ua)
{
    track_hit h = {.kind = kind, .email_id = email, .link = link, .at = time_now_us()};
    snprintf(h.user_agent, sizeof h.user_agent, "%s", ua);
    snprintf(h.client, sizeof h.client, "198.51.100.7");
    return h;
}

static void record(db *d, track_hit *h)
{
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(track_record(d, h), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
}

static void test_record_hits(void **state)
{
    db *d = efx(state)->f.d;
    int64_t user, person;
    int64_t e = setup_email(d, &user, &person);
    const char *ff = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

    track_hit h = hit('o', e, 0, ff);
    record(d, &h);
    assert_int_equal(h.result, TRACK_RECORDED);
    assert_int_equal(h.machine, 0);
    h = hit('o', e, 0, "Mozilla/5.0");
    record(d, &h);
    assert_int_equal(h.result, TRACK_RECORDED);
    assert_int_equal(h.machine, 1);
    h = hit('c', e, 1, ff);
    record(d, &h);
    assert_int_equal(h.result, TRACK_RECORDED);
    assert_int_equal(h.machine, 0);
    assert_string_equal(h.location, "https://example.com/b");
    /* the sender's own view */
    h = hit('c', e, 0, ff);
    h.viewer_id = user;
    record(d, &h);
    assert_int_equal(h.result, TRACK_IGNORED);
    assert_string_equal(h.location, "https://example.com/a");
    /* no such link, no such email */
    h = hit('c', e, 2, ff);
    record(d, &h);
    assert_int_equal(h.result, TRACK_NOT_FOUND);
    assert_string_equal(h.location, "");
    h = hit('o', e + 100, 0, ff);
    record(d, &h);
    assert_int_equal(h.result, TRACK_NOT_FOUND);

    assert_int_equal(count(d, "SELECT count(*) FROM activities WHERE type = 'email_open'"), 2);
    assert_int_equal(count(d, "SELECT count(*) FROM activities WHERE machine = 1"), 1);
    assert_int_equal(count(d, "SELECT count(*) FROM activities WHERE type = 'email_click' AND "
                              "attrs LIKE '%\"link\":\"https://example.com/b\"%'"),
                     1);
    assert_int_equal(count(d, "SELECT opens * 1000 + machine_opens * 100 + clicks * 10 + "
                              "machine_clicks FROM emails"),
                     1110);

    /* rolled back with its transaction */
    h = hit('o', e, 0, ff);
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(track_record(d, &h), HAIL_OK);
    db_rollback(d);
    assert_int_equal(count(d, "SELECT opens FROM emails"), 1);
}

static void test_unsub_record(void **state)
{
    db *d = efx(state)->f.d;
    int64_t user, person;
    int64_t e = setup_email(d, &user, &person);
    assert_int_equal(unsub_record(d, person, "unsubscribe", UNSUB_LINK, 0, e), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "an unsubscribe is recorded inside a transaction");
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(unsub_record(d, person, "stop", UNSUB_LINK, 0, e), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "unknown unsubscribe action 'stop'");
    assert_int_equal(unsub_record(d, person, "unsubscribe", UNSUB_LINK, 0, e), HAIL_OK);
    assert_int_equal(unsub_record(d, person, "unsubscribe", UNSUB_ONE_CLICK, 0, e), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    int u = 0;
    assert_int_equal(unsub_state(d, person, &u), HAIL_OK);
    assert_int_equal(u, 1);
    assert_int_equal(count(d, "SELECT count(*) FROM unsubscribes"), 1);
    assert_int_equal(count(d, "SELECT count(*) FROM activities WHERE type = 'unsubscribe' AND "
                              "attrs = '{\"source\":\"link\"}'"),
                     1);

    json_t *out = NULL;
    assert_int_equal(unsub_change(d, person, "resubscribe", UNSUB_MANUAL, user, 0, &out), HAIL_OK);
    assert_false(json_is_true(json_object_get(out, "unsubscribed")));
    assert_true(json_is_null(json_object_get(out, "since")));
    assert_int_equal(json_array_size(json_object_get(out, "data")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(out, "data"), 0), "action")),
                        "resubscribe");
    json_decref(out);
    assert_int_equal(unsub_state(d, person, &u), HAIL_OK);
    assert_int_equal(u, 0);
    assert_int_equal(unsub_change(d, 999999, "unsubscribe", UNSUB_MANUAL, user, 0, &out),
                     HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no person with id 999999");
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_key_and_urls),
        ON_SQLITE(test_record_hits),
        ON_SQLITE(test_unsub_record),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_key_and_urls),
        ON_PG(test_record_hits),
        ON_PG(test_unsub_record),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
