#include "core/common.h"

/* Unit tests for mail/classify: a delivery-status report, free-text bounces
 * (Exim, qmail), hard and soft by status and words, a complaint (ARF), a
 * reply, auto-replies in six languages with their return dates, the hail
 * Message-ID, and input that is no message at all. (The corpus of real
 * bounces runs in tests/integration/test_bounce_corpus.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "mail/classify.h"

static classify_result classify(const char *raw)
{
    classify_result r;
    assert_int_equal(classify_message(raw, strlen(raw), &r), HAIL_OK);
    return r;
}

static void has_ref(const classify_result *r, const char *id)
{
    for (size_t i = 0; i < r->nrefs; i++)
        if (!strcmp(r->refs[i], id))
            return;
    fail_msg("%s is not among the %zu references", id, r->nrefs);
}

static void test_dsn(void **state)
{
    (void)state;
    classify_result r = classify(
        "From: MAILER-DAEMON@mx.example.com\r\n"
        "To: rep@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
        "\r\n--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; Ann@X.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <ann@x.example>: Recipient address\r\n"
        "  rejected: User unknown in virtual mailbox table\r\n\r\n"
        "Final-Recipient: rfc822; bob@y.example\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n"
        "Final-Recipient: rfc822; cat@z.example\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: rep@example.com\r\nMessage-ID: <hail.42.abc@example.com>\r\n\r\n--b--\r\n");
    assert_int_equal(r.kind, CLASSIFY_BOUNCE);
    assert_int_equal(r.nrcpt, 2);
    assert_string_equal(r.rcpt[0].address, "ann@x.example");
    assert_string_equal(r.rcpt[0].status, "5.1.1");
    assert_true(r.rcpt[0].hard);
    assert_string_equal(r.rcpt[0].detail, "550 5.1.1 <ann@x.example>: Recipient address rejected: "
                                          "User unknown in virtual mailbox table");
    assert_string_equal(r.rcpt[1].address, "bob@y.example");
    assert_string_equal(r.rcpt[1].status, "5.2.2");
    assert_false(r.rcpt[1].hard);
    assert_string_equal(r.message_id, "<dsn1@mx.example.com>");
    has_ref(&r, "<hail.42.abc@example.com>");
    classify_result_free(&r);

    /* only delivered: nothing came back */
    r = classify("From: MAILER-DAEMON@mx.example.com\r\nSubject: Delivered\r\n"
                 "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
                 "\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
                 "Final-Recipient: rfc822; cat@z.example\r\nAction: delivered\r\n"
                 "Status: 2.0.0\r\n\r\n--b--\r\n");
    assert_int_equal(r.kind, CLASSIFY_OTHER);
    classify_result_free(&r);
}

static void test_text_bounces(void **state)
{
    (void)state;
    classify_result r = classify(
        "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        "To: rep@example.com\n"
        "Subject: Mail delivery failed: returning message to sender\n"
        "X-Failed-Recipients: dan@w.example\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        "  dan@w.example\n"
        "    host mx.w.example [192.0.2.25]\n"
        "    SMTP error from remote mail server after RCPT TO:<dan@w.example>:\n"
        "    550 5.2.1 <dan@w.example>: mailbox disabled, account suspended\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        "From: rep@example.com\nTo: dan@w.example\nMessage-ID: <hail.7.q@example.com>\n\nHi\n");
    assert_int_equal(r.kind, CLASSIFY_BOUNCE);
    assert_int_equal(r.nrcpt, 1);
    assert_string_equal(r.rcpt[0].address, "dan@w.example");
    assert_string_equal(r.rcpt[0].status, "5.2.1");
    assert_false(r.rcpt[0].hard); /* suspended: it may come back */
    has_ref(&r, "<hail.7.q@example.com>");
    classify_result_free(&r);

    r = classify("From: MAILER-DAEMON@mail.example.jp\nTo: rep@example.com\n"
                 "Subject: failure notice\n\n"
                 "Hi. This is the qmail-send program at mail.example.jp.\n"
                 "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                 "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
                 "<eve@v.example>:\n"
                 "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
                 "--- Below this line is a copy of the message.\n\n"
                 "Return-Path: <rep@example.com>\nTo: eve@v.example\n\nHi\n");
    assert_int_equal(r.kind, CLASSIFY_BOUNCE);
    assert_int_equal(r.nrcpt, 1);
    assert_string_equal(r.rcpt[0].address, "eve@v.example");
    assert_string_equal(r.rcpt[0].status, "5.1.1");
    assert_true(r.rcpt[0].hard);
    classify_result_free(&r);
}

static void test_complaint(void **state)
{
    (void)state;
    classify_result r =
        classify("From: fbl@isp.example\r\nSubject: Abuse report\r\n"
                 "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n"
                 "\r\n--b\r\nContent-Type: text/plain\r\n\r\nAn abuse report.\r\n"
                 "--b\r\nContent-Type: message/feedback-report\r\n\r\n"
                 "Feedback-Type: abuse\r\nVersion: 1\r\nOriginal-Rcpt-To: <Fay@U.example>\r\n\r\n"
                 "--b\r\nContent-Type: message/rfc822\r\n\r\n"
                 "From: rep@example.com\r\nTo: fay@u.example\r\n"
                 "Message-ID: <hail.9.z@example.com>\r\n\r\nHi\r\n--b--\r\n");
    assert_int_equal(r.kind, CLASSIFY_COMPLAINT);
    assert_int_equal(r.nrcpt, 1);
    assert_string_equal(r.rcpt[0].address, "fay@u.example");
    has_ref(&r, "<hail.9.z@example.com>");
    classify_result_free(&r);
}

static void test_reply(void **state)
{
    (void)state;
    classify_result r =
        classify("From: Ann <Ann@X.example>\nTo: rep@example.com\nSubject: Re: Hello\n"
                 "Message-ID: <r@x.example>\nIn-Reply-To: <hail.42.abc@example.com>\n"
                 "References: <older@x.example> <hail.42.abc@example.com>\n\nYes!\n");
    assert_int_equal(r.kind, CLASSIFY_REPLY);
    assert_int_equal(r.nrcpt, 0);
    assert_string_equal(r.from, "ann@x.example");
    assert_string_equal(r.subject, "Re: Hello");
    assert_int_equal(r.nrefs, 2);
    assert_string_equal(r.refs[0], "<hail.42.abc@example.com>");
    assert_string_equal(r.refs[1], "<older@x.example>");
    assert_string_equal(r.return_date, "");
    classify_result_free(&r);

    r = classify("From: someone@x.example\nSubject: Lunch\n\nAre you free?\n");
    assert_int_equal(r.kind, CLASSIFY_OTHER);
    classify_result_free(&r);
}

static void test_hail_id(void **state)
{
    (void)state;
    assert_int_equal(classify_hail_email_id("<hail.42.abc@example.com>"), 42);
    assert_int_equal(classify_hail_email_id("hail.7.x@y"), 7);
    assert_int_equal(classify_hail_email_id("<hail.x.abc@example.com>"), 0);
    assert_int_equal(classify_hail_email_id("<hail.42abc@example.com>"), 0);
    assert_int_equal(classify_hail_email_id("<other@example.com>"), 0);
    assert_int_equal(classify_hail_email_id(NULL), 0);
}

/* An auto-reply dated 2026-05-28 with body text: its kind and return date. */
static void autoreply(const char *headers, const char *body, const char *want_date)
{
    char raw[4096];
    snprintf(raw, sizeof raw,
             "From: ann@x.example\nTo: rep@example.com\nDate: Thu, 28 May 2026 09:00:00 +0000\n"
             "Content-Type: text/plain; charset=utf-8\n%s\n%s",
             headers, body);
    classify_result r = classify(raw);
    if (r.kind != CLASSIFY_AUTOREPLY)
        fail_msg("not an auto-reply (%s): %s", classify_kind_name(r.kind), body);
    if (strcmp(r.return_date, want_date))
        fail_msg("return date '%s', expected '%s': %s", r.return_date, want_date, body);
    classify_result_free(&r);
}

static void test_autoreplies(void **state)
{
    (void)state;
    /* headers */
    autoreply("Subject: Re: Hello\nAuto-Submitted: auto-replied\n", "Thanks for your email.\n", "");
    autoreply("Subject: Hello\nX-Autoreply: yes\n", "Away.\n", "");
    autoreply("Subject: Hello\nPrecedence: auto_reply\n", "Away.\n", "");
    autoreply("Subject: Hello\nX-Autorespond: Hello\n", "Away.\n", "");
    /* English */
    autoreply("Subject: Automatic reply: Hello\n",
              "I am out of the office until Monday, June 15th, with limited access to email.\n",
              "2026-06-15");
    autoreply("Subject: Out of Office\n", "I'm away and will be back on 3 July 2026.\n",
              "2026-07-03");
    autoreply("Subject: Out of Office\n", "I'm on leave from June 1 to June 12.\n", "2026-06-12");
    /* French */
    autoreply("Subject: Réponse automatique : Hello\n",
              "Je suis absente jusqu'au 12 juin inclus.\n", "2026-06-12");
    /* German */
    autoreply("Subject: Abwesenheitsnotiz\n", "Ich bin bis zum 5. Juni 2026 nicht im Büro.\n",
              "2026-06-05");
    /* Spanish */
    autoreply("Subject: Respuesta automática: Hello\n",
              "Estoy fuera de la oficina hasta el 20 de junio.\n", "2026-06-20");
    /* Japanese */
    autoreply("Subject: 自動応答: Hello\n", "6月10日まで不在にしております。\n", "2026-06-10");
    /* Chinese */
    autoreply("Subject: 自动回复: Hello\n", "我在休假，2026年6月8日回来。\n", "2026-06-08");
    /* a date with no year before the message's date is next year's */
    autoreply("Subject: Out of Office\n", "I am out of the office until January 4.\n",
              "2027-01-04");
    /* no date stated */
    autoreply("Subject: Out of Office\n", "I am out of the office.\n", "");
}

static void test_return_dates(void **state)
{
    (void)state;
    char out[11];
    classify_return_date("back on 2026-07-01", 2026, 5, 28, out);
    assert_string_equal(out, "2026-07-01");
    classify_return_date("until 07/04/2026, the office is closed", 2026, 5, 28, out);
    assert_string_equal(out, "2026-07-04"); /* English: month first */
    classify_return_date("absent jusqu'au 07/04/2027", 2026, 5, 28, out);
    assert_string_equal(out, "2027-04-07"); /* French: day first */
    classify_return_date("meeting at 10.30, nothing else", 2026, 5, 28, out);
    assert_string_equal(out, "");
    classify_return_date("until February 30", 2026, 5, 28, out);
    assert_string_equal(out, "");
    classify_return_date("I will be traveling on July 10-31.", 2026, 5, 28, out);
    assert_string_equal(out, "2026-07-31");
    classify_return_date("", 2026, 5, 28, out);
    assert_string_equal(out, "");
}

static void test_not_a_message(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "\x00\x01\x02",
                         "no headers at all",
                         "From:\n\n",
                         "Content-Type: multipart/report; boundary=\"\"\n\n--\n--",
                         "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: "
                         "message/rfc822\n\n--x--"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        classify_result r;
        size_t n = i == 1 ? 3 : strlen(bad[i]);
        assert_int_equal(classify_message(bad[i], n, &r), HAIL_OK);
        assert_int_equal(r.kind, CLASSIFY_OTHER);
        classify_result_free(&r);
    }
    assert_string_equal(classify_kind_name(CLASSIFY_BOUNCE), "bounce");
    assert_string_equal(classify_kind_name(CLASSIFY_AUTOREPLY), "autoreply");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsn),          cmocka_unit_test(test_text_bounces),
        cmocka_unit_test(test_complaint),    cmocka_unit_test(test_reply),
        cmocka_unit_test(test_hail_id),      cmocka_unit_test(test_autoreplies),
        cmocka_unit_test(test_return_dates), cmocka_unit_test(test_not_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
