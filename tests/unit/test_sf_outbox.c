#include "core/common.h"

/* Unit tests for sync/sf_outbox's pure parts: which types are logged (the
 * admin's list and its default), WhoId / WhatId, the subject (template,
 * default, cut to 255 bytes on a UTF-8 boundary, the reconcile suffix), the
 * hail id read back from a subject, and the Task record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "svc/activity.h"
#include "sync/sf_outbox.h"

static void types_logged(void **state)
{
    (void)state;
    /* the default: sends, replies and calls */
    assert_true(sf_type_logged(NULL, ACT_EMAIL_SEND));
    assert_true(sf_type_logged(NULL, ACT_EMAIL_REPLY));
    assert_true(sf_type_logged(NULL, ACT_CALL));
    assert_false(sf_type_logged(NULL, ACT_EMAIL_OPEN));
    assert_false(sf_type_logged("not json", ACT_EMAIL_OPEN));
    assert_true(sf_type_logged("[1, \"call\"]", ACT_EMAIL_SEND)); /* not strings: the default */
    /* the admin's list */
    assert_true(sf_type_logged("[\"email_open\",\"email_click\"]", ACT_EMAIL_OPEN));
    assert_false(sf_type_logged("[\"email_open\",\"email_click\"]", ACT_EMAIL_SEND));
    assert_false(sf_type_logged("[]", ACT_CALL));
    /* never Tasks, even when listed */
    assert_false(sf_type_logged("[\"campaign_add\",\"unsubscribe\"]", ACT_CAMPAIGN_ADD));
    assert_false(sf_type_logged("[\"campaign_add\",\"unsubscribe\"]", ACT_UNSUBSCRIBE));
}

static void who_and_what(void **state)
{
    (void)state;
    outbox_row r = {.type = ACT_EMAIL_SEND};
    const char *who, *what;
    sf_who_what(&r, &who, &what);
    assert_null(who);
    assert_null(what);
    r.sfdc_lead_id = "00QDn0000000001";
    r.sfdc_account_id = "001Dn0000000001";
    sf_who_what(&r, &who, &what);
    assert_string_equal(who, "00QDn0000000001");
    assert_string_equal(what, "001Dn0000000001");
    r.sfdc_contact_id = "003Dn0000000001";
    r.sfdc_opportunity_id = "006Dn0000000001";
    sf_who_what(&r, &who, &what);
    assert_string_equal(who, "003Dn0000000001");
    assert_string_equal(what, "006Dn0000000001");
    r.sfdc_contact_id = "";
    r.sfdc_opportunity_id = "";
    sf_who_what(&r, &who, &what);
    assert_string_equal(who, "00QDn0000000001");
    assert_string_equal(what, "001Dn0000000001");
}

static void utf8_cut(void **state)
{
    (void)state;
    const char *s = "ab\xc3\xa9\xe2\x82\xac"; /* a b é € : 7 bytes */
    assert_int_equal(sf_utf8_cut(s, 7, 10), 7);
    assert_int_equal(sf_utf8_cut(s, 7, 7), 7);
    assert_int_equal(sf_utf8_cut(s, 7, 6), 4); /* not inside € */
    assert_int_equal(sf_utf8_cut(s, 7, 5), 4);
    assert_int_equal(sf_utf8_cut(s, 7, 4), 4);
    assert_int_equal(sf_utf8_cut(s, 7, 3), 2); /* not inside é */
    assert_int_equal(sf_utf8_cut(s, 7, 0), 0);
}

static outbox_row sample_email(void)
{
    outbox_row r = {.type = ACT_EMAIL_SEND,
                    .pos = {0, 42},
                    .person_id = 7,
                    .occurred_at = INT64_C(1764417600) * 1000000, /* 2025-11-29T12:00:00Z */
                    .person_email = "pat@acme.example",
                    .sfdc_lead_id = "00QDn0000000001",
                    .user_name = "Rita Rep",
                    .user_email = "rita@hail.example",
                    .email_subject = "Quick question",
                    .template_name = "Intro",
                    .campaign_name = "Q4 outreach"};
    return r;
}

static void subjects(void **state)
{
    (void)state;
    outbox_row r = sample_email();
    buf b = BUF_INIT(4096);
    assert_int_equal(sf_subject(NULL, &r, NULL, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "Send Sales Email: Quick question");
    assert_int_equal(sf_subject("{{activity_type}} ({{sales_campaign_name}}) by {{sales_person}} "
                                "to {{person_email}}: {{activity_subject}} <&>",
                                &r, NULL, &b),
                     HAIL_OK);
    assert_string_equal(buf_cstr(&b), "Send Sales Email (Q4 outreach) by Rita Rep to "
                                      "pat@acme.example: Quick question <&>");
    /* a template that does not parse: the default */
    assert_int_equal(sf_subject("{{#open", &r, NULL, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "Send Sales Email: Quick question");
    /* the reconcile suffix */
    assert_int_equal(sf_subject(NULL, &r, " [hail 42]", &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "Send Sales Email: Quick question [hail 42]");
    /* a call: its outcome is the activity's subject; line breaks become spaces */
    outbox_row c = {.type = ACT_CALL, .call_outcome = "Left\nvoicemail"};
    assert_int_equal(sf_subject(NULL, &c, NULL, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "Receive Sales Call: Left voicemail");
    /* an empty rendering: the type's name */
    assert_int_equal(sf_subject("{{template_name}}", &c, NULL, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "Receive Sales Call");
    buf_release(&b);
}

static void subject_cut_to_255(void **state)
{
    (void)state;
    outbox_row r = sample_email();
    char long_subject[700];
    memset(long_subject, 0, sizeof long_subject);
    for (int i = 0; i < 300; i++)
        memcpy(long_subject + 2 * i, "\xc3\xa9", 2); /* é × 300 */
    r.email_subject = long_subject;
    buf b = BUF_INIT(4096);
    assert_int_equal(sf_subject(NULL, &r, NULL, &b), HAIL_OK);
    /* "Send Sales Email: " is 18 bytes; 237 left: 118 é (236 bytes), not half of one */
    assert_int_equal(b.len, 18 + 236);
    assert_memory_equal(b.data, "Send Sales Email: ", 18);
    assert_memory_equal(b.data + 18, long_subject, 236);
    assert_int_equal(sf_subject(NULL, &r, " [hail 42]", &b), HAIL_OK);
    /* 255 - 10 for the suffix: 227 after the prefix, 113 é (226 bytes) */
    assert_int_equal(b.len, 18 + 226 + 10);
    assert_memory_equal(b.data + 18 + 226, " [hail 42]", 10);
    assert_int_equal(sf_subject_hail_id(buf_cstr(&b)), 42);
    buf_release(&b);
}

static void hail_id_from_subject(void **state)
{
    (void)state;
    assert_int_equal(sf_subject_hail_id("Send Sales Email: Hi [hail 123]"), 123);
    assert_int_equal(sf_subject_hail_id(" [hail 9]"), 9);
    assert_int_equal(sf_subject_hail_id("Send Sales Email: Hi [hail ]"), 0);
    assert_int_equal(sf_subject_hail_id("Send Sales Email: Hi [hail 12] x"), 0);
    assert_int_equal(sf_subject_hail_id("Send Sales Email: Hi [hail x12]"), 0);
    assert_int_equal(sf_subject_hail_id("Hi[hail 12]"), 0);
    assert_int_equal(sf_subject_hail_id("[hail 12]"), 0);
    assert_int_equal(sf_subject_hail_id(""), 0);
    assert_int_equal(sf_subject_hail_id(NULL), 0);
}

static void task_records(void **state)
{
    (void)state;
    outbox_row r = sample_email();
    r.sfdc_account_id = "001Dn0000000001";
    json_t *t = sf_task_record(&r, "Send Sales Email: Quick question", SF_EXT_FIELD);
    char *s = json_dumps(t, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(
        s, "{\"ActivityDate\":\"2025-11-29\",\"Description\":\"Send Sales Email\\nEmail subject: "
           "Quick question\\nTemplate: Intro\\nSales campaign: Q4 outreach\\nSales person: Rita "
           "Rep <rita@hail.example>\\nhail activity 42\",\"Hail_Activity_Id__c\":\"42\","
           "\"Status\":\"Completed\",\"Subject\":\"Send Sales Email: Quick question\",\"Type\":"
           "\"Email\",\"WhatId\":\"001Dn0000000001\",\"WhoId\":\"00QDn0000000001\",\"attributes\":"
           "{\"type\":\"Task\"}}");
    free(s);
    json_decref(t);

    outbox_row c = {.type = ACT_CALL,
                    .pos = {0, 5},
                    .occurred_at = INT64_C(1764417600) * 1000000,
                    .sfdc_contact_id = "003Dn0000000001",
                    .call_outcome = "Connected",
                    .call_number = "+15551234567",
                    .call_notes = "Wants a demo",
                    .call_duration_s = 95};
    t = sf_task_record(&c, "Receive Sales Call: Connected", NULL);
    s = json_dumps(t, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(
        s, "{\"ActivityDate\":\"2025-11-29\",\"CallDisposition\":\"Connected\","
           "\"CallDurationInSeconds\":95,\"Description\":\"Receive Sales Call\\nNumber: "
           "+15551234567\\nNotes: Wants a demo\\nhail activity 5\",\"Status\":\"Completed\","
           "\"Subject\":\"Receive Sales Call: Connected\",\"Type\":\"Call\",\"WhoId\":"
           "\"003Dn0000000001\",\"attributes\":{\"type\":\"Task\"}}");
    free(s);
    json_decref(t);

    outbox_row reply = sample_email();
    reply.type = ACT_EMAIL_REPLY;
    t = sf_task_record(&reply, "x", NULL);
    assert_string_equal(json_string_value(json_object_get(t, "Type")), "Reply");
    json_decref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(types_logged),       cmocka_unit_test(who_and_what),
        cmocka_unit_test(utf8_cut),           cmocka_unit_test(subjects),
        cmocka_unit_test(subject_cut_to_255), cmocka_unit_test(hail_id_from_subject),
        cmocka_unit_test(task_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
