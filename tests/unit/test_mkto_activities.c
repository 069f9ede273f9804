#include "core/common.h"

/* Unit tests for Marketo's activities in the panel (sync/mkto_activities:
 * the panel's item of an activities.json record, keeping the newest) and
 * the embeddable panel's store (store/panel: the two spellings of a
 * Salesforce id, the allowlist's origin check, which record an id names
 * among those a viewer sees, on SQLite and on PostgreSQL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "store/panel.h"
#include "sync/mkto_activities.h"
#define ENGINE_FIXTURE_NAME "mkto_activities"
#include "engine_fixture.h"

static json_t *rec(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fail_msg("bad test JSON: %s", err.text);
    return j;
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(mka_type_key(1), "web_visit");
    assert_string_equal(mka_type_name(1), "Visit Webpage");
    assert_string_equal(mka_type_key(2), "form_fill");
    assert_string_equal(mka_type_key(3), "link_click");
    assert_string_equal(mka_type_key(6), "email_sent");
    assert_string_equal(mka_type_key(10), "email_open");
    assert_string_equal(mka_type_key(11), "email_click");
    assert_string_equal(mka_type_key(46), "interesting_moment");
    assert_string_equal(mka_type_name(46), "Interesting Moment");
    assert_null(mka_type_key(13));
    assert_null(mka_type_name(12));
    assert_string_equal(MKA_TYPE_IDS, "1,2,3,6,10,11,46");
}

static void test_item_of_a_record(void **state)
{
    (void)state;
    json_t *r = rec("{\"id\":42,\"marketoGUID\":\"42\",\"leadId\":7,"
                    "\"activityDate\":\"2024-03-02T10:00:00+0000\",\"activityTypeId\":1,"
                    "\"primaryAttributeValueId\":5,\"primaryAttributeValue\":\"pricing.html\","
                    "\"attributes\":[{\"name\":\"Webpage URL\",\"value\":\"/pricing.html\"},"
                    "{\"name\":\"Is Mobile Device\",\"value\":false},"
                    "{\"name\":\"Score\",\"value\":12},{\"name\":\"Empty\",\"value\":null},"
                    "{\"value\":\"no name\"}]}");
    json_t *item = mka_item(r);
    assert_non_null(item);
    char *text = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"attrs\":{\"Empty\":null,\"Is Mobile Device\":\"false\","
                              "\"Score\":\"12\",\"Webpage URL\":\"/pricing.html\"},"
                              "\"id\":42,\"occurred_at\":\"2024-03-02T10:00:00Z\","
                              "\"primary\":\"pricing.html\",\"type\":\"web_visit\","
                              "\"type_name\":\"Visit Webpage\"}");
    free(text);
    json_decref(item);
    json_decref(r);

    /* no primary value, Z offset, no attributes */
    r = rec("{\"id\":43,\"activityDate\":\"2024-03-02T11:00:00Z\",\"activityTypeId\":46}");
    item = mka_item(r);
    text = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"attrs\":{},\"id\":43,\"occurred_at\":\"2024-03-02T11:00:00Z\","
                              "\"primary\":null,\"type\":\"interesting_moment\","
                              "\"type_name\":\"Interesting Moment\"}");
    free(text);
    json_decref(item);
    json_decref(r);

    /* not usable: a type not asked for, no id, a bad date */
    const char *bad[] = {
        "{\"id\":1,\"activityDate\":\"2024-03-02T11:00:00Z\",\"activityTypeId\":13}",
        "{\"activityDate\":\"2024-03-02T11:00:00Z\",\"activityTypeId\":1}",
        "{\"id\":1,\"activityDate\":\"yesterday\",\"activityTypeId\":1}",
        "{\"id\":1,\"activityTypeId\":1}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = rec(bad[i]);
        assert_null(mka_item(r));
        json_decref(r);
    }
}

static void test_long_texts_are_cut_by_characters(void **state)
{
    (void)state;
    /* 600 two-byte characters: kept 500 whole ones (1,000 bytes) */
    char big[1300];
    size_t n = 0;
    for (int i = 0; i < 600; i++) {
        big[n++] = '\xc3';
        big[n++] = '\xa9';
    }
    big[n] = '\0';
    json_t *r =
        json_pack("{sI ss sI ss s[{ss ss}]}", "id", (json_int_t)1, "activityDate",
                  "2024-03-02T11:00:00Z", "activityTypeId", (json_int_t)2, "primaryAttributeValue",
                  big, "attributes", "name", "Form Fields", "value", big);
    json_t *item = mka_item(r);
    assert_int_equal(json_string_length(json_object_get(item, "primary")), 1000);
    assert_int_equal(
        json_string_length(json_object_get(json_object_get(item, "attrs"), "Form Fields")), 1000);
    json_decref(item);
    json_decref(r);
}

static void test_keep_newest(void **state)
{
    (void)state;
    json_t *list = json_array();
    json_t *page = json_array();
    for (int i = 1; i <= 7; i++)
        json_array_append_new(page, json_pack("{si ss si}", "id", i, "activityDate",
                                              "2024-03-02T11:00:00Z", "activityTypeId",
                                              i == 4 ? 13 : 10));
    /* one record (id 4) is of a type not asked for */
    assert_int_equal(mka_keep_newest(list, page, 3), 1);
    assert_int_equal(json_array_size(list), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 2), "id")), 7);
    /* a missing result (Marketo leaves it out when empty) adds nothing */
    assert_int_equal(mka_keep_newest(list, NULL, 3), 0);
    assert_int_equal(json_array_size(list), 3);
    json_decref(page);
    json_decref(list);
}

static void test_not_configured(void **state)
{
    (void)state;
    /* the unit tests run without HAIL_MARKETO_* */
    json_t *a = mka_for_lead(7);
    char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"data\":[],\"message\":\"Marketo is not configured on this "
                              "server (HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, "
                              "HAIL_MARKETO_CLIENT_SECRET): only hail's own activities are "
                              "shown.\",\"status\":\"not_configured\"}");
    free(text);
    json_decref(a);
}

static void test_sfdc_forms(void **state)
{
    (void)state;
    char id15[16], id18[19];
    /* Salesforce's documented example: 001A0000006Vm9r → 001A0000006Vm9rIAC */
    assert_int_equal(panel_sfdc_forms("001A0000006Vm9r", id15, id18), 1);
    assert_string_equal(id15, "001A0000006Vm9r");
    assert_string_equal(id18, "001A0000006Vm9rIAC");
    /* an 18-character id: its suffix recomputed, whatever case it came in */
    assert_int_equal(panel_sfdc_forms("001A0000006Vm9riac", id15, id18), 1);
    assert_string_equal(id15, "001A0000006Vm9r");
    assert_string_equal(id18, "001A0000006Vm9rIAC");
    assert_int_equal(panel_sfdc_forms("00Q000000000001", id15, id18), 1);
    assert_string_equal(id18, "00Q000000000001EAA");
    assert_int_equal(panel_sfdc_forms("00QABCDEABCDEAB", id15, id18), 1);
    /* bits: block 1 "00QAB" = Q,A,B upper at 2,3,4 → 28 → '2'; block 2 "CDEAB" all → 31
     * → '5'; block 3 "CDEAB" → '5' */
    assert_string_equal(id18, "00QABCDEABCDEAB255");
    const char *bad[] = {"",
                         "001A0000006Vm9",
                         "001A0000006Vm9rI",
                         "001A0000006Vm9rIACX",
                         "001A0000006Vm9-",
                         "001A0000006Vm9r\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(panel_sfdc_forms(bad[i], id15, id18), 0);
}

static void test_origin_check(void **state)
{
    (void)state;
    char out[PANEL_ORIGIN_LEN];
    struct {
        const char *in, *out;
    } good[] = {
        {"https://acme.my.salesforce.com", "https://acme.my.salesforce.com"},
        {"HTTPS://Acme.Lightning.Force.com/", "https://acme.lightning.force.com"},
        {"https://*.my.salesforce.com", "https://*.my.salesforce.com"},
        {"https://crm.example.com:8443", "https://crm.example.com:8443"},
        {"http://localhost:3000", "http://localhost:3000"},
        {"http://127.0.0.1:41234", "http://127.0.0.1:41234"},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        assert_int_equal(panel_origin_ok(good[i].in, out), 1);
        assert_string_equal(out, good[i].out);
    }
    const char *bad[] = {"",
                         "acme.my.salesforce.com",
                         "http://acme.example.com",
                         "https://acme.example.com/path",
                         "https://",
                         "https://a..b",
                         "https://-a.com",
                         "https://a-.b.com",
                         "https://a.com:0",
                         "https://a.com:65536",
                         "https://a.com:",
                         "https://a.com:80x",
                         "https://a.com; script-src *",
                         "https://a.com 'unsafe-inline'",
                         "https://*",
                         "https://a.*.com",
                         "ftp://a.com",
                         "*",
                         "'self'",
                         "https://user@a.com",
                         "https://a.com?x",
                         "https://a.com#x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (panel_origin_ok(bad[i], out))
            fail_msg("accepted %s", bad[i]);
}

/* ---- the store, on both engines ---- */

static int64_t exec_id(db *d, const char *sql)
{
    db_st *st = db_prepare(d, sql);
    assert_non_null(st);
    int rc = db_step(st);
    int64_t id = rc == DB_ROW ? db_col_i64(st, 0) : 0;
    if (rc == DB_ROW)
        rc = db_step(st);
    assert_int_equal(rc, DB_DONE);
    db_st_free(st);
    return id;
}

static void seed(db *d, int64_t *rep, int64_t *other)
{
    *rep = exec_id(d, "INSERT INTO users (email, name, role, created_at, updated_at)"
                      " VALUES ('rep@example.com', 'Rep', 'rep', 0, 0) RETURNING id");
    *other = exec_id(d, "INSERT INTO users (email, name, role, created_at, updated_at)"
                        " VALUES ('other@example.com', 'Other', 'rep', 0, 0) RETURNING id");
    exec_id(d, "INSERT INTO people (id, marketo_id, email, owner_email, sfdc_lead_id,"
               " sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id, active, created_at,"
               " updated_at) VALUES"
               " (1, 101, 'a@x.com', 'REP@example.com', '00Q000000000001EAA', NULL, NULL,"
               "  NULL, 1, 0, 0),"
               " (2, 102, 'b@x.com', 'rep@example.com', NULL, '003000000000002AAA',"
               "  '001000000000009AAA', '006000000000007AAA', 1, 0, 0),"
               " (3, 103, 'c@x.com', 'other@example.com', NULL, '003000000000003', "
               "  '001000000000008AAA', NULL, 1, 0, 0),"
               " (4, 104, 'd@x.com', 'rep@example.com', NULL, '003000000000004AAA', NULL,"
               "  NULL, 0, 0, 0)");
}

static char *resolve(db *d, int64_t user, const char *role, const char *id)
{
    email_viewer v = {user, role};
    json_t *j = NULL;
    hail_err e = panel_resolve(d, &v, id, &j);
    if (e == HAIL_ENOTFOUND)
        return strdup("not found");
    assert_int_equal(e, HAIL_OK);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return text;
}

#define ASSERT_RESOLVES(d, user, role, id, want)                                                   \
    do {                                                                                           \
        char *got_ = resolve(d, user, role, id);                                                   \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_resolve(void **state)
{
    db *d = efx(state)->f.d;
    int64_t rep, other;
    seed(d, &rep, &other);
    /* a lead id, in either spelling; owner compared case-insensitively */
    ASSERT_RESOLVES(d, rep, "rep", "00Q000000000001EAA", "{\"id\":1,\"kind\":\"person\"}");
    ASSERT_RESOLVES(d, rep, "rep", "00Q000000000001", "{\"id\":1,\"kind\":\"person\"}");
    /* a contact id stored with 15 characters, asked with 18 */
    ASSERT_RESOLVES(d, other, "rep", "003000000000003AAA", "{\"id\":3,\"kind\":\"person\"}");
    /* outside the viewer's scope: not found; an admin sees it */
    ASSERT_RESOLVES(d, rep, "rep", "003000000000003", "not found");
    ASSERT_RESOLVES(d, rep, "admin", "003000000000003", "{\"id\":3,\"kind\":\"person\"}");
    /* an inactive person is not found */
    ASSERT_RESOLVES(d, rep, "admin", "003000000000004AAA", "not found");
    /* accounts and opportunities, as stored */
    ASSERT_RESOLVES(d, rep, "rep", "001000000000009",
                    "{\"id\":\"001000000000009AAA\","
                    "\"kind\":\"account\"}");
    ASSERT_RESOLVES(d, rep, "rep", "006000000000007AAA",
                    "{\"id\":\"006000000000007AAA\","
                    "\"kind\":\"opportunity\"}");
    /* an account whose people the viewer does not see */
    ASSERT_RESOLVES(d, rep, "rep", "001000000000008AAA", "not found");
    ASSERT_RESOLVES(d, other, "rep", "001000000000008AAA",
                    "{\"id\":\"001000000000008AAA\","
                    "\"kind\":\"account\"}");
    ASSERT_RESOLVES(d, rep, "rep", "001000000000077AAA", "not found");
    ASSERT_RESOLVES(d, rep, "rep", "not an id", "not found");

    int64_t lead = 0;
    assert_int_equal(panel_person_lead(d, 2, &lead), HAIL_OK);
    assert_int_equal(lead, 102);
    assert_int_equal(panel_person_lead(d, 99, &lead), HAIL_ENOTFOUND);
}

static void test_allowlist(void **state)
{
    db *d = efx(state)->f.d;
    json_t *a = NULL;
    assert_int_equal(panel_origins_get(d, &a), HAIL_OK);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    assert_int_equal(panel_embedding_on(d), 0);
    buf b = BUF_INIT(4096);
    assert_int_equal(panel_origins_csp(d, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "");

    a = json_pack("[ss]", "https://acme.my.salesforce.com", "https://*.force.com");
    assert_int_equal(panel_origins_set(d, a), HAIL_OK);
    json_decref(a);
    assert_int_equal(panel_embedding_on(d), 1);
    assert_int_equal(panel_origins_csp(d, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "https://acme.my.salesforce.com https://*.force.com");
    buf_reset(&b);

    /* a stored value that no longer passes the check never reaches a header */
    assert_int_equal(db_kv_set(d, "panel.frame_ancestors",
                               "[\"https://ok.example.com\",\"https://x.com; script-src *\",3]"),
                     HAIL_OK);
    assert_int_equal(panel_origins_csp(d, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "https://ok.example.com");
    buf_release(&b);

    a = json_array();
    assert_int_equal(panel_origins_set(d, a), HAIL_OK);
    json_decref(a);
    assert_int_equal(panel_embedding_on(d), 0);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_item_of_a_record),
        cmocka_unit_test(test_long_texts_are_cut_by_characters),
        cmocka_unit_test(test_keep_newest),
        cmocka_unit_test(test_not_configured),
        cmocka_unit_test(test_sfdc_forms),
        cmocka_unit_test(test_origin_check),
    };
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_resolve),
        ON_SQLITE(test_allowlist),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_resolve),
        ON_PG(test_allowlist),
    };
    int failed = cmocka_run_group_tests_name("pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
