#include "core/common.h"

/* Unit tests for the Marketo outbox's records (sync/mkto_outbox.h): each
 * activity type becomes the external.json record of PRODUCT.md §8 — lead,
 * date, type id, a primary value that is never blank, the attributes the
 * activity holds with their Marketo data types, hailActivityId and machine;
 * long texts are cut to 255 bytes on a UTF-8 boundary; types Marketo does
 * not get and (by the admin setting) machine events pass; a person without a
 * Marketo id and an unregistered type are skipped with whole reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "svc/activity.h"
#include "sync/mkto_outbox.h"
#include "sync/mkto_types.h"

static int64_t type_ids[16];
static mkto_type_ids types = {type_ids, 0};

static int setup(void **state)
{
    (void)state;
    types.n = mkto_ctype_count();
    for (size_t i = 0; i < types.n; i++)
        type_ids[i] = 100001 + (int64_t)i;
    return 0;
}

static outbox_row row(const char *type, const char *attrs)
{
    outbox_row r;
    memset(&r, 0, sizeof r);
    r.pos.id = 42;
    r.type = (char *)type;
    r.marketo_id = 777;
    r.occurred_at = INT64_C(1764000000000000); /* 2025-11-24T16:00:00Z */
    json_error_t jerr;
    r.attrs = json_loads(attrs, 0, &jerr);
    assert_non_null(r.attrs);
    return r;
}

/* The record as JSON, and its attributes as an object apiName -> value. */
static json_t *record(outbox_row *r, int send_machine, json_t **attrs)
{
    buf b = BUF_INIT(1 << 20);
    const char *why = "unset";
    assert_int_equal(mkto_outbox_record(r, &types, send_machine, &b, &why), MKTO_OUT_SEND);
    assert_null(why);
    json_error_t jerr;
    json_t *rec = json_loads(buf_cstr(&b), 0, &jerr);
    assert_non_null(rec);
    buf_release(&b);
    *attrs = json_object();
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(rec, "attributes"), i, a)
    {
        const char *name = json_string_value(json_object_get(a, "apiName"));
        assert_non_null(name);
        assert_null(json_object_get(*attrs, name)); /* each once */
        json_object_set(*attrs, name, json_object_get(a, "value"));
    }
    return rec;
}

static void test_click(void **state)
{
    (void)state;
    outbox_row r =
        row(ACT_EMAIL_CLICK, "{\"sent_by\":\"ann@example.com\",\"source\":\"hail\","
                             "\"sales_person_id\":5,\"email_subject\":\"Hello\",\"template_id\":3,"
                             "\"template_name\":\"Intro\",\"template_url\":\"https://h/t/3\","
                             "\"link\":\"https://example.com/p\",\"campaign_name\":null}");
    json_t *attrs;
    json_t *rec = record(&r, 1, &attrs);
    assert_int_equal(json_integer_value(json_object_get(rec, "leadId")), 777);
    assert_string_equal(json_string_value(json_object_get(rec, "activityDate")),
                        "2025-11-24T16:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(rec, "activityTypeId")), 100003);
    assert_string_equal(json_string_value(json_object_get(rec, "primaryAttributeValue")), "Hello");
    json_t *want =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:b}", "link", "https://example.com/p",
                  "sentBy", "ann@example.com", "source", "hail", "templateId", (json_int_t)3,
                  "templateName", "Intro", "templateUrl", "https://h/t/3", "salesPersonId",
                  (json_int_t)5, "hailActivityId", (json_int_t)42, "machine", 0);
    assert_true(json_equal(attrs, want)); /* campaign_name null: left out */
    json_decref(want);
    json_decref(attrs);
    json_decref(rec);
    json_decref(r.attrs);
}

static void test_call_and_campaign_primaries(void **state)
{
    (void)state;
    outbox_row r = row(ACT_CALL, "{\"status\":\"no_answer\",\"duration\":61,"
                                 "\"number_called\":\"+15551234567\",\"subject\":null}");
    json_t *attrs;
    json_t *rec = record(&r, 1, &attrs);
    /* no outcome: the status stands in */
    assert_string_equal(json_string_value(json_object_get(rec, "primaryAttributeValue")),
                        "no_answer");
    assert_int_equal(json_integer_value(json_object_get(attrs, "duration")), 61);
    assert_string_equal(json_string_value(json_object_get(attrs, "numberCalled")), "+15551234567");
    json_decref(attrs);
    json_decref(rec);
    json_decref(r.attrs);

    r = row(ACT_CAMPAIGN_ADD, "{\"campaign_id\":\"9\"}");
    r.campaign_id = 9;
    rec = record(&r, 1, &attrs);
    assert_string_equal(json_string_value(json_object_get(rec, "primaryAttributeValue")),
                        "Sales campaign 9");
    /* an integer attribute given as text is left out, not sent wrong */
    assert_null(json_object_get(attrs, "campaignId"));
    json_decref(attrs);
    json_decref(rec);
    json_decref(r.attrs);
}

static void test_long_text_cut_on_utf8(void **state)
{
    (void)state;
    char subject[600];
    size_t n = 0;
    while (n + 2 < 520) { /* "é" is 2 bytes: 254 is its start, 255 its second byte */
        subject[n++] = (char)0xC3;
        subject[n++] = (char)0xA9;
    }
    subject[n] = '\0';
    json_t *attrs = json_pack("{s:s}", "email_subject", subject);
    char *text = json_dumps(attrs, 0);
    outbox_row r = row(ACT_EMAIL_SEND, text);
    free(text);
    json_decref(attrs);
    json_t *rec = record(&r, 1, &attrs);
    const char *primary = json_string_value(json_object_get(rec, "primaryAttributeValue"));
    assert_int_equal(strlen(primary), 254);
    assert_memory_equal(primary, subject, 254);
    json_decref(attrs);
    json_decref(rec);
    json_decref(r.attrs);
}

static void test_pass_and_skip(void **state)
{
    (void)state;
    buf b = BUF_INIT(1 << 20);
    const char *why;
    outbox_row r = row(ACT_UNSUBSCRIBE, "{\"source\":\"link\"}");
    assert_int_equal(mkto_outbox_record(&r, &types, 1, &b, &why), MKTO_OUT_PASS);
    json_decref(r.attrs);

    r = row(ACT_EMAIL_OPEN, "{}");
    r.machine = 1;
    assert_int_equal(mkto_outbox_record(&r, &types, 0, &b, &why), MKTO_OUT_PASS);
    json_t *attrs;
    json_t *rec = record(&r, 1, &attrs); /* sent, flagged */
    assert_true(json_is_true(json_object_get(attrs, "machine")));
    /* no subject anywhere: the type's name, never blank */
    assert_string_equal(json_string_value(json_object_get(rec, "primaryAttributeValue")),
                        "Open Sales Email");
    json_decref(attrs);
    json_decref(rec);

    r.marketo_id = 0;
    assert_int_equal(mkto_outbox_record(&r, &types, 1, &b, &why), MKTO_OUT_SKIP);
    assert_string_equal(why, "the person has no Marketo lead id");
    r.marketo_id = 777;
    type_ids[1] = 0;
    assert_int_equal(mkto_outbox_record(&r, &types, 1, &b, &why), MKTO_OUT_SKIP);
    assert_string_equal(why, "the custom activity type is not registered in Marketo");
    type_ids[1] = 100002;
    assert_int_equal(b.len, 0); /* nothing written for a pass or a skip */
    buf_release(&b);
    json_decref(r.attrs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_click),
        cmocka_unit_test(test_call_and_campaign_primaries),
        cmocka_unit_test(test_long_text_cut_on_utf8),
        cmocka_unit_test(test_pass_and_skip),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
