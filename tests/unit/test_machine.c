#include "core/common.h"

/* Unit tests for core/machine: which tracking hits are a machine's, with the
 * reason recorded, and that ordinary mail clients and browsers stay human. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/machine.h"

#define SEC        INT64_C(1000000)
#define SENT       (INT64_C(1800000000) * SEC)
#define FIREFOX    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
#define IPHONE_APP "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
#define OUTLOOK    "Mozilla/4.0 (compatible; ms-office; MSOffice 16) Microsoft Outlook 16.0.17328; Pro"

static machine_hit open_hit(const char *ua, const char *client)
{
    return (machine_hit){
        .kind = 'o', .user_agent = ua, .client = client, .at = SENT + 3600 * SEC, .sent_at = SENT};
}

/* A click an hour after delivery, after an open, one of 3 links. */
static machine_hit click_hit(const char *ua)
{
    return (machine_hit){.kind = 'c',
                         .user_agent = ua,
                         .client = "203.0.113.9",
                         .at = SENT + 3600 * SEC,
                         .sent_at = SENT,
                         .opened = 1,
                         .links = 3,
                         .burst_links = 1};
}

static void human_opens(void **state)
{
    (void)state;
    const char *agents[] = {FIREFOX, IPHONE_APP, OUTLOOK,
                            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                            "like Gecko) Chrome/126.0 Safari/537.36",
                            "Thunderbird/115.0"};
    for (size_t i = 0; i < sizeof agents / sizeof *agents; i++) {
        machine_hit h = open_hit(agents[i], "198.51.100.7");
        assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
    }
    /* An open is human however soon after delivery it comes. */
    machine_hit h = open_hit(FIREFOX, "198.51.100.7");
    h.at = SENT + SEC;
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
    assert_null(machine_reason_name(MACHINE_HUMAN));
}

static void privacy_proxy_opens(void **state)
{
    (void)state;
    /* Apple Mail Privacy Protection: a bare "Mozilla/5.0", or Apple's network. */
    machine_hit h = open_hit("Mozilla/5.0", "104.28.1.2");
    assert_int_equal(machine_classify(&h), MACHINE_APPLE_PROXY);
    assert_string_equal(machine_reason_name(MACHINE_APPLE_PROXY), "apple_privacy_proxy");
    h = open_hit(IPHONE_APP, "17.58.100.4");
    assert_int_equal(machine_classify(&h), MACHINE_APPLE_PROXY);
    h = open_hit(IPHONE_APP, "170.58.100.4"); /* not 17.0.0.0/8 */
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
    h = open_hit("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
                 "GoogleImageProxy)",
                 "66.102.8.1");
    assert_int_equal(machine_classify(&h), MACHINE_GOOGLE_PROXY);
    assert_string_equal(machine_reason_name(MACHINE_GOOGLE_PROXY), "google_image_proxy");
    h = open_hit("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
                 "98.136.1.1");
    assert_int_equal(machine_classify(&h), MACHINE_YAHOO_PROXY);
    assert_string_equal(machine_reason_name(MACHINE_YAHOO_PROXY), "yahoo_image_proxy");
}

static void head_and_scanner_agents(void **state)
{
    (void)state;
    machine_hit h = open_hit(FIREFOX, NULL);
    h.head = 1;
    assert_int_equal(machine_classify(&h), MACHINE_HEAD);
    assert_string_equal(machine_reason_name(MACHINE_HEAD), "head");
    h = click_hit(FIREFOX);
    h.head = 1;
    assert_int_equal(machine_classify(&h), MACHINE_HEAD);

    const char *scanners[] = {
        "Mozilla/5.0 (compatible; Barracuda Sentinel (EE))",
        "Mimecast URL Protect",
        "Proofpoint URL Defense",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0 Safari/537.36",
        "python-requests/2.31.0",
        "curl/8.5.0",
        "Go-http-client/1.1",
        "Microsoft Office Existence Discovery",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "",
        NULL,
    };
    for (size_t i = 0; i < sizeof scanners / sizeof *scanners; i++) {
        machine_hit c = click_hit(scanners[i]);
        if (machine_classify(&c) != MACHINE_SCANNER_AGENT)
            fail_msg("click by '%s' is not a scanner's", scanners[i] ? scanners[i] : "(none)");
        machine_hit o = open_hit(scanners[i], "198.51.100.7");
        if (machine_classify(&o) != MACHINE_SCANNER_AGENT)
            fail_msg("open by '%s' is not a scanner's", scanners[i] ? scanners[i] : "(none)");
    }
    assert_string_equal(machine_reason_name(MACHINE_SCANNER_AGENT), "scanner_user_agent");
}

static void human_clicks(void **state)
{
    (void)state;
    machine_hit h = click_hit(FIREFOX);
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
    /* two of three links within the burst window: still a person */
    h.burst_links = 2;
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
    /* a one-link email's only link is not a burst */
    h.links = 1;
    h.burst_links = 1;
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
    /* exactly MACHINE_EARLY_US after delivery is no longer early */
    h = click_hit(FIREFOX);
    h.at = SENT + MACHINE_EARLY_US;
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
    /* delivery time unknown: never "early" */
    h.sent_at = 0;
    h.at = SENT;
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
}

static void scanner_clicks(void **state)
{
    (void)state;
    machine_hit h = click_hit(FIREFOX);
    h.at = SENT + 2 * SEC;
    assert_int_equal(machine_classify(&h), MACHINE_EARLY);
    assert_string_equal(machine_reason_name(MACHINE_EARLY), "soon_after_delivery");
    h = click_hit(FIREFOX);
    h.burst_links = 3;
    assert_int_equal(machine_classify(&h), MACHINE_BURST);
    assert_string_equal(machine_reason_name(MACHINE_BURST), "every_link_in_a_burst");
    h = click_hit(FIREFOX);
    h.opened = 0;
    assert_int_equal(machine_classify(&h), MACHINE_NO_OPEN);
    assert_string_equal(machine_reason_name(MACHINE_NO_OPEN), "click_without_open");
    /* The first reason in order is the one given. */
    h.at = SENT + SEC;
    h.burst_links = 3;
    assert_int_equal(machine_classify(&h), MACHINE_EARLY);
    /* "Mozilla/5.0" alone is Apple's proxy for an open, a plain agent for a click */
    h = click_hit("Mozilla/5.0");
    assert_int_equal(machine_classify(&h), MACHINE_HUMAN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(human_opens),
        cmocka_unit_test(privacy_proxy_opens),
        cmocka_unit_test(head_and_scanner_agents),
        cmocka_unit_test(human_clicks),
        cmocka_unit_test(scanner_clicks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
