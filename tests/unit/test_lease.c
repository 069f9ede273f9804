#include "core/common.h"

/* Unit tests for store/lease (named leases: take, busy, renew, release,
 * dead-holder takeover on this host, expiry from another host, races; row
 * leases on a job table: claim order, filter, expiry, extend, free, and
 * concurrent claimers never sharing a row) and store/sync_runs. Each test
 * runs on SQLite, and again on PostgreSQL when HAIL_TEST_PG_URL names a
 * server where the test may create a database (else that group is skipped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <pthread.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "core/timeutil.h"
#include "store/db.h"
#include "store/db_pg.h"
#include "store/lease.h"
#include "store/sync_runs.h"
#define ENGINE_FIXTURE_NAME "lease"
#include "engine_fixture.h"

#define TTL (INT64_C(60) * 1000000)

/* The fixture (on SQLite, and on PostgreSQL when HAIL_TEST_PG_URL is set). */
#define fx(state) efx(state)

static const char *hostname(void)
{
    static char h[128];
    if (gethostname(h, sizeof h) != 0)
        snprintf(h, sizeof h, "?");
    h[sizeof h - 1] = '\0';
    return h;
}

/* Sets the lease row as another holder would have written it. */
static void put_lease(db *d, const char *name, const char *owner, int64_t until, long long pid,
                      const char *host)
{
    json_t *o =
        json_pack("{s:I,s:s,s:I}", "pid", (json_int_t)pid, "host", host, "start", (json_int_t)-1);
    char *holder = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    db_st *st = db_stmt(d, "INSERT INTO leases (name, lease_owner, lease_until, holder, updated_at)"
                           " VALUES ($1, $2, $3, $4, 0) ON CONFLICT (name) DO UPDATE SET"
                           " lease_owner = excluded.lease_owner,"
                           " lease_until = excluded.lease_until, holder = excluded.holder");
    assert_non_null(st);
    db_bind_text(st, 1, name, -1);
    db_bind_text(st, 2, owner, -1);
    db_bind_i64(st, 3, until);
    db_bind_text(st, 4, holder, -1);
    assert_int_equal(db_step_done(d, st, "test: lease"), HAIL_OK);
    free(holder);
}

/* ---- named leases ---- */

static void test_take_busy_renew_release(void **state)
{
    db *d = fx(state)->f.d;
    lease_info o;
    assert_int_equal(lease_get(d, "t.one", &o), 0);
    assert_int_equal(lease_take(d, "t.one", "owner-a", TTL, &o), HAIL_OK);
    assert_string_equal(o.owner, ""); /* it was free */

    assert_int_equal(lease_take(d, "t.one", "owner-b", TTL, &o), HAIL_EBUSY);
    char msg[256];
    snprintf(msg, sizeof msg, "the lease t.one is held by pid %lld on %s", (long long)getpid(),
             hostname());
    assert_string_equal(hail_errmsg(), msg);
    assert_string_equal(o.owner, "owner-a");
    assert_int_equal(o.pid, getpid());
    assert_string_equal(o.host, hostname());
    assert_int_equal(o.dead, 0);
    assert_true(o.until > time_now_us() + TTL - 10 * US_PER_SEC);

    assert_int_equal(lease_get(d, "t.one", &o), 1);
    assert_string_equal(o.owner, "owner-a");
    assert_int_equal(o.pid, getpid());
    /* Another name is another lease. */
    assert_int_equal(lease_take(d, "t.two", "owner-b", TTL, NULL), HAIL_OK);

    assert_int_equal(lease_renew(d, "t.one", "owner-a", TTL), 1);
    assert_int_equal(lease_renew(d, "t.one", "owner-b", TTL), 0);
    /* The holder taking it again renews it. */
    assert_int_equal(lease_take(d, "t.one", "owner-a", TTL, &o), HAIL_OK);
    assert_string_equal(o.owner, "");

    assert_int_equal(lease_release(d, "t.one", "owner-b"), HAIL_OK); /* not b's: nothing */
    assert_int_equal(lease_get(d, "t.one", &o), 1);
    assert_int_equal(lease_release(d, "t.one", "owner-a"), HAIL_OK);
    assert_int_equal(lease_get(d, "t.one", &o), 0);
    assert_string_equal(o.owner, "");
    assert_int_equal(lease_renew(d, "t.one", "owner-a", TTL), 0); /* released: lost */
    assert_int_equal(lease_take(d, "t.one", "owner-b", TTL, &o), HAIL_OK);
    assert_string_equal(o.owner, "");
    assert_int_equal(lease_take(d, "t.one", "", TTL, &o), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "a lease owner is 1 to 63 characters");
}

static void test_dead_holder_on_this_host_is_taken_over(void **state)
{
    engine_fixture *x = fx(state);
    /* A child process takes the lease (its own connection) and exits. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        db *c = NULL;
        int rc = db_open(x->url, 0, &c) || lease_take(c, "t.dead", "owner-child", TTL, NULL);
        _exit(rc ? 1 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    lease_info o;
    assert_int_equal(lease_get(x->f.d, "t.dead", &o), 0); /* a dead holder holds nothing */
    assert_int_equal(lease_take(x->f.d, "t.dead", "owner-a", TTL, &o), HAIL_OK);
    assert_string_equal(o.owner, "owner-child");
    assert_int_equal(o.pid, child);
    assert_int_equal(o.dead, 1);
    assert_int_equal(lease_get(x->f.d, "t.dead", &o), 1);
    assert_string_equal(o.owner, "owner-a");
}

static void test_expiry_counts_from_another_host_only(void **state)
{
    db *d = fx(state)->f.d;
    int64_t now = time_now_us();
    lease_info o;
    /* Another host, not expired: busy. */
    put_lease(d, "t.exp", "owner-far", now + TTL, 4242, "elsewhere.invalid");
    assert_int_equal(lease_take(d, "t.exp", "owner-a", TTL, &o), HAIL_EBUSY);
    assert_string_equal(hail_errmsg(), "the lease t.exp is held by pid 4242 on elsewhere.invalid");
    assert_int_equal(lease_get(d, "t.exp", &o), 1);
    assert_int_equal(o.pid, 4242);
    /* Another host, expired: taken over (not dead: expired). */
    put_lease(d, "t.exp", "owner-far", now - 1, 4242, "elsewhere.invalid");
    assert_int_equal(lease_get(d, "t.exp", &o), 0);
    assert_int_equal(lease_take(d, "t.exp", "owner-a", TTL, &o), HAIL_OK);
    assert_string_equal(o.owner, "owner-far");
    assert_int_equal(o.dead, 0);
    /* Its holder finds it lost. */
    assert_int_equal(lease_renew(d, "t.exp", "owner-far", TTL), 0);
    assert_int_equal(lease_renew(d, "t.exp", "owner-a", TTL), 1);
    /* This host, a live holder (this process), even past its expiry: busy. */
    put_lease(d, "t.exp", "owner-near", now - 5 * US_PER_SEC, (long long)getpid(), hostname());
    assert_int_equal(lease_take(d, "t.exp", "owner-a", TTL, &o), HAIL_EBUSY);
    assert_string_equal(o.owner, "owner-near");
}

typedef struct racer {
    const char *url;
    char owner[16];
    pthread_barrier_t *go;
    hail_err e;
} racer;

static void *race_take(void *arg)
{
    racer *r = arg;
    db *d = NULL;
    r->e = db_open(r->url, 0, &d);
    pthread_barrier_wait(r->go);
    if (!r->e)
        r->e = lease_take(d, "t.race", r->owner, TTL, NULL);
    db_close(d);
    return NULL;
}

static void test_one_of_many_racers_takes_it(void **state)
{
    engine_fixture *x = fx(state);
    enum { N = 6 };
    pthread_t t[N];
    racer r[N];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (racer){.url = x->url, .go = &go};
        snprintf(r[i].owner, sizeof r[i].owner, "racer-%d", i);
        assert_int_equal(pthread_create(&t[i], NULL, race_take, &r[i]), 0);
    }
    int won = -1, busy = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        if (r[i].e == HAIL_OK) {
            assert_int_equal(won, -1);
            won = i;
        } else {
            assert_int_equal(r[i].e, HAIL_EBUSY);
            busy++;
        }
    }
    pthread_barrier_destroy(&go);
    assert_true(won >= 0);
    assert_int_equal(busy, N - 1);
    lease_info o;
    assert_int_equal(lease_get(x->f.d, "t.race", &o), 1);
    assert_string_equal(o.owner, r[won].owner);
}

/* ---- row leases ---- */

static lease_rows sends = {.table = "lease_jobs", .where = "kind = 'send'", .order = "id"};
static lease_rows all_jobs = {.table = "lease_jobs"};

static void make_jobs(db *d, int n_send, int n_other)
{
    assert_int_equal(db_exec(d, "DROP TABLE IF EXISTS lease_jobs;"
                                "CREATE TABLE lease_jobs (id BIGINT PRIMARY KEY,"
                                " kind TEXT NOT NULL, lease_owner TEXT, lease_until BIGINT);"),
                     HAIL_OK);
    for (int i = 1; i <= n_send + n_other; i++) {
        db_st *st = db_stmt(d, "INSERT INTO lease_jobs (id, kind) VALUES ($1, $2)");
        assert_non_null(st);
        db_bind_i64(st, 1, i);
        /* Alternating, so that the filter matters. */
        db_bind_text(st, 2, (i % 2 == 0 && i / 2 <= n_other) ? "other" : "send", -1);
        assert_int_equal(db_step_done(d, st, "test: job"), HAIL_OK);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_claim_order_filter_expiry_free(void **state)
{
    db *d = fx(state)->f.d;
    make_jobs(d, 6, 4); /* send: 1 3 5 7 9 10; other: 2 4 6 8 */
    int64_t now = time_now_us(), ids[16];
    int n = -1;
    assert_int_equal(lease_claim(d, &sends, "w1", now, TTL, 4, ids, &n), HAIL_OK);
    assert_int_equal(n, 4);
    qsort(ids, (size_t)n, sizeof ids[0], cmp_i64);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 3);
    assert_int_equal(ids[2], 5);
    assert_int_equal(ids[3], 7);
    assert_int_equal(lease_claim(d, &sends, "w2", now, TTL, 16, ids, &n), HAIL_OK);
    assert_int_equal(n, 2);
    qsort(ids, (size_t)n, sizeof ids[0], cmp_i64);
    assert_int_equal(ids[0], 9);
    assert_int_equal(ids[1], 10);
    assert_int_equal(lease_claim(d, &sends, "w3", now, TTL, 16, ids, &n), HAIL_OK);
    assert_int_equal(n, 0);
    /* Without the filter: the four others. */
    assert_int_equal(lease_claim(d, &all_jobs, "w3", now, TTL, 16, ids, &n), HAIL_OK);
    assert_int_equal(n, 4);

    /* w1 keeps job 1 longer; the rest expire. */
    assert_int_equal(lease_row_extend(d, &sends, "w1", 1, now + 3 * TTL), 1);
    assert_int_equal(lease_row_extend(d, &sends, "w2", 3, now + 3 * TTL), 0); /* w1's */
    /* w2 is done with job 9. */
    assert_int_equal(lease_row_free(d, &sends, "w1", 9), 0);
    assert_int_equal(lease_row_free(d, &sends, "w2", 9), 1);
    assert_int_equal(lease_row_free(d, &sends, "w2", 9), 0);
    assert_int_equal(lease_claim(d, &sends, "w4", now, TTL, 16, ids, &n), HAIL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 9);

    int64_t later = now + TTL + 1;
    assert_int_equal(lease_claim(d, &sends, "w5", later, TTL, 16, ids, &n), HAIL_OK);
    assert_int_equal(n, 5); /* every send but 1 */
    qsort(ids, (size_t)n, sizeof ids[0], cmp_i64);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[4], 10);
    assert_int_equal(lease_claim(d, &sends, "w5", later, TTL, 0, ids, &n), HAIL_OK);
    assert_int_equal(n, 0);
}

typedef struct claimer {
    const char *url;
    char owner[16];
    int64_t got[200];
    int n;
    hail_err e;
} claimer;

static void *claim_all(void *arg)
{
    claimer *c = arg;
    db *d = NULL;
    if ((c->e = db_open(c->url, 0, &d)))
        return NULL;
    for (;;) {
        int64_t ids[3];
        int n = 0;
        if ((c->e = lease_claim(d, &all_jobs, c->owner, time_now_us(), TTL, 3, ids, &n)))
            break;
        if (n == 0)
            break;
        for (int i = 0; i < n && c->n < 200; i++)
            c->got[c->n++] = ids[i];
    }
    db_close(d);
    return NULL;
}

static void test_concurrent_claimers_share_nothing(void **state)
{
    engine_fixture *x = fx(state);
    enum { JOBS = 120, N = 4 };
    make_jobs(x->f.d, JOBS, 0);
    pthread_t t[N];
    claimer *c = calloc(N, sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        c[i].url = x->url;
        snprintf(c[i].owner, sizeof c[i].owner, "claimer-%d", i);
        assert_int_equal(pthread_create(&t[i], NULL, claim_all, &c[i]), 0);
    }
    int seen[JOBS + 1] = {0}, total = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(c[i].e, HAIL_OK);
        for (int k = 0; k < c[i].n; k++) {
            assert_true(c[i].got[k] >= 1 && c[i].got[k] <= JOBS);
            seen[c[i].got[k]]++;
            total++;
        }
    }
    assert_int_equal(total, JOBS);
    for (int j = 1; j <= JOBS; j++)
        assert_int_equal(seen[j], 1);
    free(c);
}

/* ---- sync_runs ---- */

static void test_sync_runs(void **state)
{
    db *d = fx(state)->f.d;
    json_t *last = NULL;
    assert_int_equal(sync_runs_last_json(d, "marketo", &last), HAIL_OK);
    assert_true(json_is_null(last));
    json_decref(last);

    int64_t t0 = INT64_C(1767225600) * US_PER_SEC; /* 2026-01-01T00:00:00Z */
    int64_t a, b;
    assert_int_equal(sync_runs_begin(d, "marketo", "full", "cli", t0, &a), HAIL_OK);
    sync_run_counts c = {.seen = 10, .written = 8, .deactivated = 1, .api_calls = 3};
    assert_int_equal(sync_runs_progress(d, a, &c), HAIL_OK);
    assert_int_equal(sync_runs_last_json(d, "marketo", &last), HAIL_OK);
    char *s = json_dumps(last, JSON_COMPACT | JSON_SORT_KEYS);
    char want[512];
    snprintf(want, sizeof want,
             "{\"api_calls\":3,\"error\":null,\"finished_at\":null,\"id\":%lld,"
             "\"kind\":\"full\",\"origin\":\"cli\",\"people_deactivated\":1,"
             "\"people_seen\":10,\"people_written\":8,\"started_at\":"
             "\"2026-01-01T00:00:00Z\",\"status\":\"running\"}",
             (long long)a);
    assert_string_equal(s, want);
    free(s);
    json_decref(last);

    /* The next run closes the one left running. */
    assert_int_equal(sync_runs_begin(d, "marketo", "incremental", "api", t0 + US_PER_SEC, &b),
                     HAIL_OK);
    assert_true(b > a);
    c = (sync_run_counts){.seen = 5, .written = 5, .api_calls = 2};
    assert_int_equal(sync_runs_finish(d, b, "ok", &c, NULL, t0 + 2 * US_PER_SEC), HAIL_OK);
    assert_int_equal(sync_runs_last_json(d, "marketo", &last), HAIL_OK);
    s = json_dumps(last, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(want, sizeof want,
             "{\"api_calls\":2,\"error\":null,\"finished_at\":\"2026-01-01T00:00:02Z\","
             "\"id\":%lld,\"kind\":\"incremental\",\"origin\":\"api\","
             "\"people_deactivated\":0,\"people_seen\":5,\"people_written\":5,"
             "\"started_at\":\"2026-01-01T00:00:01Z\",\"status\":\"ok\"}",
             (long long)b);
    assert_string_equal(s, want);
    free(s);
    json_decref(last);

    db_st *st = db_stmt(d, "SELECT status, error, finished_at FROM sync_runs WHERE id = $1");
    assert_non_null(st);
    db_bind_i64(st, 1, a);
    assert_int_equal(db_step(st), DB_ROW);
    assert_string_equal(db_col_text(st, 0), "failed");
    assert_string_equal(db_col_text(st, 1),
                        "interrupted: the process ended before the sync finished");
    assert_int_equal(db_col_i64(st, 2), t0 + US_PER_SEC);
    db_reset(st);
    /* Another source's runs are its own. */
    assert_int_equal(sync_runs_last_json(d, "other", &last), HAIL_OK);
    assert_true(json_is_null(last));
    json_decref(last);
}

#define BOTH(t) ON_SQLITE(t)

#define PG(t) ON_PG(t)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest sqlite_tests[] = {
        BOTH(test_take_busy_renew_release),
        BOTH(test_dead_holder_on_this_host_is_taken_over),
        BOTH(test_expiry_counts_from_another_host_only),
        BOTH(test_one_of_many_racers_takes_it),
        BOTH(test_claim_order_filter_expiry_free),
        BOTH(test_concurrent_claimers_share_nothing),
        BOTH(test_sync_runs),
    };
    const struct CMUnitTest pg_tests[] = {
        PG(test_take_busy_renew_release),
        PG(test_dead_holder_on_this_host_is_taken_over),
        PG(test_expiry_counts_from_another_host_only),
        PG(test_one_of_many_racers_takes_it),
        PG(test_claim_order_filter_expiry_free),
        PG(test_concurrent_claimers_share_nothing),
        PG(test_sync_runs),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    lease_rows_release(&sends);
    lease_rows_release(&all_jobs);
    return failed ? 1 : 0;
}
