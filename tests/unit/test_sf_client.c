#include "core/common.h"

/* Unit tests for sync/sf_client's pure parts: the token answer, error
 * arrays (data API, OAuth, per record), the retry verdicts, a collection's
 * per-record results and SOQL quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "sync/sf_client.h"

static void token_answer(void **state)
{
    (void)state;
    const char *ok =
        "{\"access_token\":\"00D!AQabc\",\"instance_url\":\"https://acme.my.salesforce."
        "com/\",\"id\":\"https://login.salesforce.com/id/00D5g000004HAILEAW/"
        "005Dn000000001HAAQ\",\"token_type\":\"Bearer\",\"issued_at\":\"1700000000000\"}";
    char *tok, *inst, *uid;
    assert_int_equal(sf_token_parse(ok, strlen(ok), &tok, &inst, &uid), HAIL_OK);
    assert_string_equal(tok, "00D!AQabc");
    assert_string_equal(inst, "https://acme.my.salesforce.com");
    assert_string_equal(uid, "005Dn000000001HAAQ");
    free(tok);
    free(inst);
    free(uid);

    const char *no_id = "{\"access_token\":\"t\",\"instance_url\":\"http://127.0.0.1:9\"}";
    assert_int_equal(sf_token_parse(no_id, strlen(no_id), &tok, &inst, &uid), HAIL_OK);
    assert_string_equal(uid, "");
    free(tok);
    free(inst);
    free(uid);

    const char *bad[] = {"{\"access_token\":\"t\"}",
                         "{\"instance_url\":\"https://x\"}",
                         "{\"access_token\":\"\",\"instance_url\":\"https://x\"}",
                         "{\"access_token\":\"t\",\"instance_url\":\"ftp://x\"}",
                         "not json",
                         "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sf_token_parse(bad[i], strlen(bad[i]), &tok, &inst, &uid), HAIL_EREMOTE);
        assert_string_equal(hail_errmsg(),
                            "Salesforce's token answer has no access_token or instance_url");
        assert_null(tok);
        assert_null(inst);
        assert_null(uid);
    }
}

static void error_bodies(void **state)
{
    (void)state;
    char code[64], msg[256];
    const char *api =
        "[{\"message\":\"Session expired or invalid\",\"errorCode\":\"INVALID_SESSION_"
        "ID\"}]";
    sf_error_parse(api, strlen(api), code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "INVALID_SESSION_ID");
    assert_string_equal(msg, "Session expired or invalid");

    const char *oauth = "{\"error\":\"invalid_grant\",\"error_description\":\"authentication "
                        "failure\"}";
    sf_error_parse(oauth, strlen(oauth), code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "invalid_grant");
    assert_string_equal(msg, "authentication failure");

    const char *rec = "[{\"statusCode\":\"STRING_TOO_LONG\",\"message\":\"Subject: data value too "
                      "large\",\"fields\":[\"Subject\"]}]";
    sf_error_parse(rec, strlen(rec), code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "STRING_TOO_LONG");
    assert_string_equal(msg, "Subject: data value too large");

    sf_error_parse("<html>busy</html>", 17, code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "");
    assert_string_equal(msg, "");
}

static void verdicts(void **state)
{
    (void)state;
    assert_int_equal(sf_classify(200, ""), SF_OK);
    assert_int_equal(sf_classify(201, ""), SF_OK);
    assert_int_equal(sf_classify(204, ""), SF_OK);
    assert_int_equal(sf_classify(401, "INVALID_SESSION_ID"), SF_RENEW);
    assert_int_equal(sf_classify(403, "REQUEST_LIMIT_EXCEEDED"), SF_LIMIT);
    assert_int_equal(sf_classify(403, "INSUFFICIENT_ACCESS"), SF_FAIL);
    assert_int_equal(sf_classify(503, "SERVER_UNAVAILABLE"), SF_RETRY);
    assert_int_equal(sf_classify(500, "UNKNOWN_EXCEPTION"), SF_RETRY);
    assert_int_equal(sf_classify(429, ""), SF_RETRY);
    assert_int_equal(sf_classify(400, "INVALID_FIELD"), SF_FAIL);
    assert_int_equal(sf_classify(404, "NOT_FOUND"), SF_FAIL);
    assert_int_equal(sf_classify(300, ""), SF_FAIL);
}

static void record_results(void **state)
{
    (void)state;
    json_t *a = json_loads(
        "[{\"id\":\"00TDn0000000001MAA\",\"success\":true,\"errors\":[],\"created\":true},"
        " {\"id\":\"00TDn0000000002MAA\",\"success\":true,\"errors\":[],\"created\":false},"
        " {\"success\":false,\"errors\":[{\"statusCode\":\"INVALID_CROSS_REFERENCE_KEY\","
        "\"message\":\"invalid cross reference id\",\"fields\":[\"WhoId\"]}]},"
        " {\"success\":false,\"errors\":[]}]",
        0, NULL);
    sf_rec_result r[4];
    assert_int_equal(sf_results_parse(a, r, 4), HAIL_OK);
    assert_true(r[0].success);
    assert_true(r[0].created);
    assert_string_equal(r[0].id, "00TDn0000000001MAA");
    assert_true(r[1].success);
    assert_false(r[1].created);
    assert_false(r[2].success);
    assert_string_equal(r[2].error, "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id");
    assert_string_equal(r[2].id, "");
    assert_string_equal(r[3].error, "UNKNOWN_ERROR: Salesforce gave no reason");
    assert_int_equal(sf_results_parse(a, r, 3), HAIL_EREMOTE);
    assert_string_equal(hail_errmsg(),
                        "Salesforce answered a collection of 3 records with 4 results");
    json_decref(a);
    json_t *o = json_object();
    assert_int_equal(sf_results_parse(o, r, 1), HAIL_EREMOTE);
    assert_string_equal(hail_errmsg(),
                        "Salesforce answered a collection of 1 records with 0 results");
    json_decref(o);
}

static void soql_quoting(void **state)
{
    (void)state;
    buf b = BUF_INIT(1024);
    assert_int_equal(sf_soql_quote(&b, "O'Neil \\ 50%_off", 0), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "O\\'Neil \\\\ 50%_off");
    buf_reset(&b);
    assert_int_equal(sf_soql_quote(&b, "50%_off", 1), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "50\\%\\_off");
    buf_release(&b);
}

static void login_url_rule(void **state)
{
    (void)state;
    assert_int_equal(sf_login_url_check("https://login.salesforce.com"), HAIL_OK);
    assert_int_equal(sf_login_url_check("http://127.0.0.1:8443/"), HAIL_OK);
    assert_int_equal(sf_login_url_check("login.salesforce.com"), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "HAIL_SALESFORCE_LOGIN_URL must be an http(s) URL such as "
                                       "https://login.salesforce.com (no query, no spaces), not "
                                       "'login.salesforce.com'");
    assert_int_equal(sf_login_url_check("https://"), HAIL_EINVAL);
    assert_int_equal(sf_login_url_check("https://x/?a=b"), HAIL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_answer), cmocka_unit_test(error_bodies),
        cmocka_unit_test(verdicts),     cmocka_unit_test(record_results),
        cmocka_unit_test(soql_quoting), cmocka_unit_test(login_url_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
