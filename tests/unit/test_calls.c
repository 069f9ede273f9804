#include "core/common.h"

/* Unit tests for svc/calls and store/calls: call_log_tx inside the caller's
 * transaction with its Receive Sales Call activity (PRODUCT.md §8's
 * attributes, the campaign's name and URL; rolled back with its cause),
 * the input rules (unknown outcome, require-outcome, an answered outcome on
 * an unanswered call, numbers in E.164), a started call logged once by
 * its first final change, local presence from the stored pool, the dialer
 * events applied once per event id, the seeded outcomes and reasons, and
 * the audio checks of voicemail drops. On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "store/calls.h"
#include "svc/activity.h"
#include "svc/calls.h"
#define ENGINE_FIXTURE_NAME "calls"
#include "engine_fixture.h"

static int64_t insert_id(db *d, const char *sql, const char *text)
{
    db_st *st = db_stmt(d, sql);
    assert_non_null(st);
    if (text)
        db_bind_text(st, 1, text, -1);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

static int64_t add_user(db *d, const char *email)
{
    return insert_id(d,
                     "INSERT INTO users (email, name, role, created_at, updated_at)"
                     " VALUES ($1, 'Rita Rep', 'rep', 0, 0) RETURNING id",
                     email);
}

static int64_t add_person(db *d, const char *phone)
{
    return insert_id(d,
                     "INSERT INTO people (marketo_id, first_name, last_name, email, phone, active,"
                     " created_at, updated_at) VALUES ((SELECT coalesce(max(marketo_id), 0) + 1"
                     " FROM people), 'Pat', 'Lee', 'pat@example.com', $1, 1, 0, 0) RETURNING id",
                     phone);
}

static int64_t outcome_id(db *d, const char *name)
{
    return insert_id(d, "SELECT id FROM call_outcomes WHERE name = $1", name);
}

static json_t *call_activities(db *d, int64_t person)
{
    json_t *page;
    int64_t next;
    assert_int_equal(activity_person_page(d, person, ACT_CALL, 0, 50, &page, &next), HAIL_OK);
    return page;
}

static void test_seeded_choices(void **state)
{
    db *d = efx(state)->f.d;
    json_t *a;
    assert_int_equal(calls_choices_list(d, CALL_OUTCOMES, &a), HAIL_OK);
    assert_int_equal(json_array_size(a), 11);
    json_t *first = json_array_get(a, 0), *last = json_array_get(a, 10);
    assert_string_equal(json_string_value(json_object_get(first, "name")), "Connected: interested");
    assert_true(json_is_true(json_object_get(first, "answered")));
    assert_string_equal(json_string_value(json_object_get(last, "name")), "Number disconnected");
    assert_true(json_is_false(json_object_get(last, "answered")));
    json_decref(a);
    assert_int_equal(calls_choices_list(d, CALL_REASONS, &a), HAIL_OK);
    assert_int_equal(json_array_size(a), 6);
    json_decref(a);
    /* Archived: gone from the list and from the choices. */
    int64_t busy = outcome_id(d, "Busy");
    assert_int_equal(calls_choice_archive(d, CALL_OUTCOMES, busy), HAIL_OK);
    assert_int_equal(calls_choice_archive(d, CALL_OUTCOMES, busy), HAIL_ENOTFOUND);
    assert_int_equal(calls_choices_list(d, CALL_OUTCOMES, &a), HAIL_OK);
    assert_int_equal(json_array_size(a), 10);
    json_decref(a);
    char *name;
    int answered;
    assert_int_equal(calls_outcome_of(d, busy, &name, &answered), HAIL_ENOTFOUND);
}

static void test_log_in_tx_with_activity(void **state)
{
    db *d = efx(state)->f.d;
    int64_t u = add_user(d, "rita@example.com");
    int64_t p = add_person(d, "(415) 555-0100");
    int64_t camp =
        insert_id(d,
                  "INSERT INTO campaigns (owner_id, name, sharing, created_at, updated_at)"
                  " VALUES ((SELECT min(id) FROM users), $1, 'private', 0, 0)"
                  " RETURNING id",
                  "Q3 outreach");
    json_t *in =
        json_pack("{sI ss sI sI ss ss}", "person_id", (json_int_t)p, "status", "completed",
                  "outcome_id", (json_int_t)outcome_id(d, "Meeting booked"), "duration_s",
                  (json_int_t)60, "started_at", "2026-03-02T15:00:00Z", "answered_by", "human");
    int64_t id = 0;
    /* Rolled back with its cause: no call, no activity. */
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(call_log_tx(d, u, "rep", in, 0, camp, &id), HAIL_OK);
    assert_true(id > 0);
    db_rollback(d);
    json_t *acts = call_activities(d, p);
    assert_int_equal(json_array_size(acts), 0);
    json_decref(acts);

    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(call_log_tx(d, u, "rep", in, 0, camp, &id), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    json_decref(in);
    json_t *c;
    assert_int_equal(calls_json(d, id, &c), HAIL_OK);
    assert_string_equal(json_string_value(json_object_get(c, "number_dialed")), "+14155550100");
    assert_int_equal(json_integer_value(json_object_get(c, "campaign_id")), camp);
    assert_string_equal(json_string_value(json_object_get(c, "started_at")),
                        "2026-03-02T15:00:00Z");
    json_decref(c);
    acts = call_activities(d, p);
    assert_int_equal(json_array_size(acts), 1);
    json_t *a = json_array_get(acts, 0);
    assert_int_equal(json_integer_value(json_object_get(a, "call_id")), id);
    assert_int_equal(json_integer_value(json_object_get(a, "campaign_id")), camp);
    json_t *want = json_pack(
        "{ss ss ss ss ss sI sn ss sI ss sI}", "made_by", "rita@example.com", "status", "completed",
        "subject", "Meeting booked", "number_called", "+14155550100", "source", "hail", "duration",
        (json_int_t)60, "recording_url", "answered_by", "human", "sales_person_id", (json_int_t)u,
        "campaign_name", "Q3 outreach", "campaign_id", (json_int_t)camp);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:8080/campaigns/%lld", (long long)camp);
    json_object_set_new(want, "campaign_url", json_string(url));
    assert_true(json_equal(json_object_get(a, "attrs"), want));
    json_decref(want);
    json_decref(acts);
}

static void expect_refused(db *d, int64_t u, json_t *in, const char *code, const char *msg)
{
    int64_t id;
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(call_log_tx(d, u, "rep", in, 0, 0, &id), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), msg);
    assert_string_equal(calls_errcode(), code);
    db_rollback(d);
    json_decref(in);
}

static void test_input_rules(void **state)
{
    db *d = efx(state)->f.d;
    int64_t u = add_user(d, "rita@example.com");
    int64_t p = add_person(d, NULL);
    int64_t meeting = outcome_id(d, "Meeting booked");
    expect_refused(d, u, json_pack("{ss}", "status", "completed"), "invalid",
                   "person_id is required");
    expect_refused(d, u, json_pack("{sI ss}", "person_id", (json_int_t)p, "status", "ringing"),
                   "invalid", "status is required: one of completed, no_answer, cancelled, failed");
    expect_refused(d, u, json_pack("{sI ss}", "person_id", (json_int_t)999999, "status", "failed"),
                   "unknown_person", "no person with id 999999");
    expect_refused(d, u,
                   json_pack("{sI ss sI}", "person_id", (json_int_t)p, "status", "cancelled",
                             "outcome_id", (json_int_t)meeting),
                   "outcome_mismatch",
                   "outcome 'Meeting booked' is for answered calls, and the call's status is "
                   "cancelled");
    expect_refused(d, u,
                   json_pack("{sI ss ss}", "person_id", (json_int_t)p, "status", "completed",
                             "number_dialed", "12"),
                   "invalid_number", "number_dialed: '12' is too short to be a phone number");
    assert_int_equal(db_kv_set(d, "calls.require_outcome", "1"), HAIL_OK);
    expect_refused(d, u, json_pack("{sI ss}", "person_id", (json_int_t)p, "status", "no_answer"),
                   "outcome_required",
                   "an outcome is required to log a call (call settings: require_outcome)");
    json_t *s;
    assert_int_equal(calls_settings_get(d, &s), HAIL_OK);
    assert_true(json_is_true(json_object_get(s, "require_outcome")));
    assert_true(json_is_false(json_object_get(s, "dialer_secret_set")));
    json_decref(s);
    /* No number given and the person has none: none. */
    json_t *in = json_pack("{sI ss sI}", "person_id", (json_int_t)p, "status", "no_answer",
                           "outcome_id", (json_int_t)outcome_id(d, "No answer"));
    json_t *out;
    assert_int_equal(calls_log(d, u, "rep", in, &out), HAIL_OK);
    assert_true(json_is_null(json_object_get(out, "number_dialed")));
    json_decref(out);
    json_decref(in);
}

static void test_started_call_logged_once_and_dialer(void **state)
{
    db *d = efx(state)->f.d;
    int64_t u = add_user(d, "rita@example.com");
    int64_t p = add_person(d, "+44 20 3000 1234");
    json_t *in = json_pack("{ss ss}", "number", "+1 212 555 0100", "label", "NY");
    json_t *out;
    assert_int_equal(calls_caller_id_create(d, in, &out), HAIL_OK);
    assert_true(json_is_true(json_object_get(out, "is_default"))); /* the first */
    json_decref(out);
    json_decref(in);
    in = json_pack("{ss}", "number", "+44 20 7946 0000");
    assert_int_equal(calls_caller_id_create(d, in, &out), HAIL_OK);
    assert_true(json_is_false(json_object_get(out, "is_default")));
    json_decref(out);
    assert_int_equal(calls_caller_id_create(d, in, &out), HAIL_EEXIST);
    assert_string_equal(hail_errmsg(), "+442079460000 is in the caller-id pool already");
    json_decref(in);

    assert_int_equal(calls_dial(d, p, &out), HAIL_OK);
    assert_string_equal(json_string_value(json_object_get(out, "caller_id")), "+442079460000");
    assert_string_equal(json_string_value(json_object_get(out, "tel_uri")), "tel:+442030001234");
    json_decref(out);

    assert_int_equal(calls_start(d, u, p, &out), HAIL_OK);
    int64_t cid = json_integer_value(json_object_get(json_object_get(out, "call"), "id"));
    json_decref(out);
    /* The dialer: each event once. */
    json_t *ev = json_pack("{ss sI ss sI}", "event_id", "e-1", "call_id", (json_int_t)cid, "type",
                           "ended", "duration_s", (json_int_t)42);
    assert_int_equal(calls_dialer_apply(d, ev, &out), HAIL_OK);
    assert_true(json_is_true(json_object_get(out, "applied")));
    json_decref(out);
    json_object_set_new(ev, "duration_s", json_integer(7));
    assert_int_equal(calls_dialer_apply(d, ev, &out), HAIL_OK);
    assert_true(json_is_false(json_object_get(out, "applied")));
    assert_int_equal(json_integer_value(json_object_get(out, "call_id")), cid);
    json_decref(out);
    json_decref(ev);
    call_row c;
    assert_int_equal(calls_row_get(d, cid, &c), HAIL_OK);
    assert_string_equal(c.status, "completed");
    assert_int_equal(c.duration_s, 42);
    assert_int_equal(c.logged, 0);
    calls_row_free(&c);
    json_t *acts = call_activities(d, p);
    assert_int_equal(json_array_size(acts), 0);
    json_decref(acts);
    /* The form logs it; later changes do not log again. */
    email_viewer v = {.user_id = u, .role = "rep"};
    in = json_pack("{ss}", "notes", "Spoke to Pat");
    assert_int_equal(calls_update_call(d, &v, cid, in, &out), HAIL_OK);
    json_decref(out);
    assert_int_equal(calls_update_call(d, &v, cid, in, &out), HAIL_OK);
    json_decref(out);
    json_decref(in);
    acts = call_activities(d, p);
    assert_int_equal(json_array_size(acts), 1);
    json_decref(acts);
    email_viewer other = {.user_id = u + 1000, .role = "rep"};
    assert_int_equal(calls_get(d, &other, cid, &out), HAIL_ENOTFOUND);
    char msg[64];
    snprintf(msg, sizeof msg, "no call with id %lld", (long long)cid);
    assert_string_equal(hail_errmsg(), msg);
}

static void test_audio_types(void **state)
{
    (void)state;
    static const unsigned char wav[16] = "RIFF\x24\0\0\0WAVEfmt ";
    static const unsigned char id3[12] = "ID3\x04\0\0\0\0\0\0\0\0";
    static const unsigned char frame[8] = {0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0};
    static const unsigned char bad_rate[8] = {0xff, 0xfb, 0xf0, 0x64, 0, 0, 0, 0};
    const char *t = NULL;
    assert_int_equal(calls_audio_type("audio/wav", wav, sizeof wav, &t), 1);
    assert_string_equal(t, "audio/wav");
    assert_int_equal(calls_audio_type("audio/x-wav", wav, sizeof wav, &t), 1);
    assert_int_equal(calls_audio_type("AUDIO/MPEG", id3, sizeof id3, &t), 1);
    assert_string_equal(t, "audio/mpeg");
    assert_int_equal(calls_audio_type("audio/mpeg; x=y", frame, sizeof frame, &t), 1);
    assert_int_equal(calls_audio_type("audio/mpeg", bad_rate, sizeof bad_rate, &t), -1);
    assert_string_equal(
        hail_errmsg(), "the body is not an MP3 file (no ID3 tag or MPEG audio frame at its start)");
    assert_string_equal(calls_errcode(), "content_mismatch");
    assert_int_equal(calls_audio_type("audio/wav", id3, sizeof id3, &t), -1);
    assert_string_equal(hail_errmsg(),
                        "the body is not a WAV file (no RIFF/WAVE header at its start)");
    assert_int_equal(calls_audio_type("audio/wav", wav, 8, &t), -1);
    assert_int_equal(calls_audio_type("audio/ogg", wav, sizeof wav, &t), 0);
    assert_int_equal(calls_audio_type("audio/wavx", wav, sizeof wav, &t), 0);
    assert_int_equal(calls_audio_type(NULL, wav, sizeof wav, &t), 0);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_seeded_choices),     ON_SQLITE(test_log_in_tx_with_activity),
        ON_SQLITE(test_input_rules),        ON_SQLITE(test_started_call_logged_once_and_dialer),
        cmocka_unit_test(test_audio_types),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_seeded_choices),
        ON_PG(test_log_in_tx_with_activity),
        ON_PG(test_input_rules),
        ON_PG(test_started_call_logged_once_and_dialer),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
