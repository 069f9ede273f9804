/* Triggers (svc/triggers.h, store/triggers.h): the webhook signature against
 * a published HMAC-SHA256 vector (RFC 4231 test case 2, and one made here
 * from the definition with SHA-256 alone), the backoff's bounds, the config
 * rules with their whole messages, the types a filter mentions, and on both
 * engines a firing that happens once and a delivery's claim and record. */
#include "core/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/err.h"
#include "net/outbound.h"
#include "store/lease.h"
#include "store/triggers.h"
#include "svc/triggers.h"

#define ENGINE_FIXTURE_NAME "triggers"
#include "engine_fixture.h"

static void test_signature_rfc4231(void **state)
{
    (void)state;
    char sig[TRIG_SIGNATURE_SIZE];
    const char *body = "what do ya want for nothing?";
    trig_sign("Jefe", 4, body, strlen(body), sig);
    assert_string_equal(sig,
                        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* HMAC by its definition, H((K ^ opad) || H((K ^ ipad) || m)), with a key
 * longer than the block (hashed first), against trig_sign. */
static void test_signature_long_key(void **state)
{
    (void)state;
    char key[200];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (char)('a' + i % 26);
    const char *body = "{\"trigger\":{\"id\":1}}";
    unsigned char k[64] = {0}, ipad[64], opad[64], inner[32], mac[32];
    crypto_hash_sha256(k, (const unsigned char *)key, sizeof key);
    for (int i = 0; i < 64; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, ipad, 64);
    crypto_hash_sha256_update(&h, (const unsigned char *)body, strlen(body));
    crypto_hash_sha256_final(&h, inner);
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, opad, 64);
    crypto_hash_sha256_update(&h, inner, 32);
    crypto_hash_sha256_final(&h, mac);
    char want[TRIG_SIGNATURE_SIZE] = "sha256=";
    sodium_bin2hex(want + 7, sizeof want - 7, mac, sizeof mac);
    char sig[TRIG_SIGNATURE_SIZE];
    trig_sign(key, sizeof key, body, strlen(body), sig);
    assert_string_equal(sig, want);
}

static void test_backoff(void **state)
{
    (void)state;
    /* attempt 1: base (2 s) with jitter in [1/2, 1]; doubling; capped at an hour */
    for (uint32_t rnd = 0; rnd < 50000; rnd += 997) {
        int64_t b1 = trig_wh_backoff_us(1, rnd), b3 = trig_wh_backoff_us(3, rnd);
        assert_true(b1 >= TRIG_WH_BASE_US / 2 && b1 <= TRIG_WH_BASE_US);
        assert_true(b3 >= 4 * TRIG_WH_BASE_US / 2 && b3 <= 4 * TRIG_WH_BASE_US);
        int64_t b = trig_wh_backoff_us(40, rnd);
        assert_true(b >= TRIG_WH_CAP_US / 2 && b <= TRIG_WH_CAP_US);
    }
}

static void bad(const char *action, const char *config, int create, const char *message)
{
    json_t *c = json_loads(config, 0, NULL);
    assert_non_null(c);
    assert_int_equal(trig_check_config(action, c, create), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), message);
    json_decref(c);
}

static void good(const char *action, const char *config, int create)
{
    json_t *c = json_loads(config, 0, NULL);
    assert_non_null(c);
    assert_int_equal(trig_check_config(action, c, create), HAIL_OK);
    json_decref(c);
}

static void test_config_rules(void **state)
{
    (void)state;
    good("webhook", "{\"url\":\"https://h.example/x\",\"secret\":\"0123456789abcdef\"}", 1);
    good("webhook", "{\"url\":\"http://127.0.0.1:9/\"}", 0);
    good("add_to_campaign", "{\"campaign_id\":3}", 1);
    good("create_task", "{\"task_name\":\"Call\",\"task_type\":\"call\",\"due_in_hours\":8760}", 1);
    bad("webhook", "{\"url\":\"https://h.example/x\"}", 1,
        "config.secret is required for a webhook trigger: the receiver checks X-Hail-Signature "
        "with it");
    bad("webhook", "{\"url\":\"https://h.example/x\",\"secret\":\"short\"}", 1,
        "config.secret must be 16 to 1024 characters");
    bad("webhook", "{\"url\":\"file:///etc/passwd\",\"secret\":\"0123456789abcdef\"}", 1,
        "config.url must start with http:// or https://");
    bad("webhook", "{\"url\":\"https:///x\"}", 0, "config.url has no host");
    bad("webhook", "{\"url\":\"https://h.example/a b\"}", 0,
        "config.url must not contain spaces or control characters");
    bad("webhook", "{\"url\":1}", 0, "config.url must be a string");
    bad("webhook", "{\"url\":\"https://h\",\"task_name\":\"x\"}", 0,
        "config.task_name is not a setting of a webhook trigger");
    bad("add_to_campaign", "{}", 1,
        "config.campaign_id is required for an add_to_campaign trigger");
    bad("add_to_campaign", "{\"campaign_id\":0}", 1,
        "config.campaign_id must be a positive integer");
    bad("create_task", "{\"task_name\":\"\"}", 1, "config.task_name must be 1 to 200 characters");
    bad("create_task", "{\"task_name\":\"x\",\"task_type\":\"email\"}", 1,
        "config.task_type must be one of call, linkedin, custom");
    bad("create_task", "{\"task_name\":\"x\",\"due_in_hours\":8761}", 1,
        "config.due_in_hours must be an integer from 0 to 8760");
    bad("create_task", "{\"task_name\":\"x\",\"task_priority\":\"urgent\"}", 1,
        "config.task_priority must be one of normal, high");
    bad("sms", "{}", 1, "action must be one of webhook, add_to_campaign, create_task, not 'sms'");
}

static void test_filter_types(void **state)
{
    (void)state;
    json_t *def = json_loads("{\"conditions\":[{\"type\":\"email_open\",\"template_id\":3},"
                             "{\"type\":\"email_reply\",\"negate\":true}],"
                             "\"owner_email\":\"a@b\"}",
                             0, NULL);
    json_t *t = trig_filter_types(def);
    char *s = json_dumps(t, JSON_COMPACT);
    assert_string_equal(s, "[\"email_open\",\"email_reply\"]");
    free(s);
    json_decref(t);
    json_decref(def);
    def = json_loads("{\"types\":[\"call\",3]}", 0, NULL);
    t = trig_filter_types(def);
    assert_int_equal(json_array_size(t), 1);
    json_decref(t);
    json_decref(def);
    t = trig_filter_types(NULL);
    assert_int_equal(json_array_size(t), 0);
    json_decref(t);
}

/* A firing is inserted once; a delivery is claimed, retried and recorded. */
static void test_fire_once_and_delivery(void **state)
{
    db *d = efx(state)->f.d;
    trig_write w = {.name = "t",
                    .filter_id = 1,
                    .action = "webhook",
                    .config = "{\"url\":\"http://127.0.0.1:9/\"}",
                    .enabled = 1};
    int64_t id = 0;
    assert_int_equal(trig_db_create(d, &w, 1000, &id), HAIL_OK);
    int fired = -1;
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(trig_db_fire(d, id, 42, 2000, "firing", &fired), HAIL_OK);
    assert_int_equal(fired, 1);
    assert_int_equal(trig_db_fire(d, id, 42, 3000, "firing", &fired), HAIL_OK);
    assert_int_equal(fired, 0);
    assert_int_equal(trig_db_fire_outcome(d, id, 42, "webhook delivery 1 queued", 77), HAIL_OK);
    int64_t wid = 0;
    assert_int_equal(wh_db_enqueue(d, id, 42, "{}", 2000, &wid), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    int yes = 0;
    assert_int_equal(trig_db_is_effect(d, 77, &yes), HAIL_OK);
    assert_int_equal(yes, 1);
    assert_int_equal(trig_db_is_effect(d, 42, &yes), HAIL_OK);
    assert_int_equal(yes, 0);

    int64_t ids[4];
    int n = 0;
    assert_int_equal(lease_claim(d, &wh_due_rows, "me", 5000, 1000000, 4, ids, &n), HAIL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], wid);
    /* taken: nobody else gets it */
    assert_int_equal(lease_claim(d, &wh_due_rows, "other", 6000, 1000000, 4, ids, &n), HAIL_OK);
    assert_int_equal(n, 0);
    int done = 0;
    assert_int_equal(wh_db_attempt(d, wid, "other", "delivered", 1, 200, NULL, 7000, 7000, &done),
                     HAIL_OK);
    assert_int_equal(done, 0);
    assert_int_equal(wh_db_attempt(d, wid, "me", "pending", 1, 503,
                                   "the receiver answered HTTP 503", 9000, 7000, &done),
                     HAIL_OK);
    assert_int_equal(done, 1);
    /* not due before next_at */
    assert_int_equal(lease_claim(d, &wh_due_rows, "me", 8999, 1000000, 4, ids, &n), HAIL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(lease_claim(d, &wh_due_rows, "me", 9000, 1000000, 4, ids, &n), HAIL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(wh_db_attempt(d, wid, "me", "delivered", 2, 204, NULL, 9500, 9500, &done),
                     HAIL_OK);
    json_t *page;
    int64_t next;
    assert_int_equal(wh_db_page(d, id, 0, 10, &page, &next), HAIL_OK);
    char *s = json_dumps(json_array_get(page, 0), JSON_COMPACT | JSON_SORT_KEYS);
    char want[512];
    snprintf(want, sizeof want,
             "{\"activity_id\":42,\"attempts\":2,\"created_at\":\"1970-01-01T00:00:00Z\","
             "\"delivered_at\":\"1970-01-01T00:00:00Z\",\"id\":%lld,\"last_error\":null,"
             "\"last_status\":204,\"next_at\":null,\"status\":\"delivered\",\"trigger_id\":%lld}",
             (long long)wid, (long long)id);
    assert_string_equal(s, want);
    free(s);
    json_decref(page);
    assert_int_equal(next, 0);
    /* deleting the trigger takes its firings and deliveries */
    assert_int_equal(trig_db_delete(d, id), HAIL_OK);
    int64_t cnt = -1;
    assert_int_equal(wh_db_count(d, id, "delivered", &cnt), HAIL_OK);
    assert_int_equal(cnt, 0);
    assert_int_equal(trig_db_delete(d, id), HAIL_ENOTFOUND);
    char msg[64];
    snprintf(msg, sizeof msg, "no trigger with id %lld", (long long)id);
    assert_string_equal(hail_errmsg(), msg);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_signature_rfc4231), cmocka_unit_test(test_signature_long_key),
        cmocka_unit_test(test_backoff),           cmocka_unit_test(test_config_rules),
        cmocka_unit_test(test_filter_types),
    };
    const struct CMUnitTest sqlite_tests[] = {ON_SQLITE(test_fire_once_and_delivery)};
    const struct CMUnitTest pg_tests[] = {ON_PG(test_fire_once_and_delivery)};
    int failed = cmocka_run_group_tests_name("pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
