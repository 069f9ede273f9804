#include "core/common.h"

/* Unit tests for mail/send and store/emails, on SQLite and PostgreSQL: the
 * refusals of compose (inactive person, no email, blocked domain,
 * unsubscribed, unfilled field), a queue pass sending on the maildir
 * channel (status, Message-ID, links, one file, one Send activity), a
 * throttle holding mail (never failing it), an unreachable SMTP server
 * retried with backoff, the reconcile of emails a dead sender left
 * `sending` (handed over: sent, not: sent again once; SMTP without an
 * inbox: failed `uncertain`), leases of dead senders freed, drafts
 * scheduled, and the list's visibility, filters and indexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "core/timeutil.h"
#include "mail/send.h"
#include "mail/unsub.h"
#include "store/emails.h"
#include "svc/settings.h"
#define ENGINE_FIXTURE_NAME "send"
#include "engine_fixture.h"

static char data_dir[64];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(data_dir, sizeof data_dir, "/tmp/hail-test-send-data-XXXXXX");
    if (!mkdtemp(data_dir))
        return -1;
    hail_settings s = *settings();
    s.data_dir = data_dir;
    s.public_url = "https://hail.example";
    settings_set(&s);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static int64_t one_id(db *d, const char *sql)
{
    db_st *st = db_prepare(d, sql);
    assert_non_null(st);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t v = db_col_i64(st, 0);
    db_st_free(st);
    return v;
}

static void exec(db *d, const char *sql)
{
    assert_int_equal(db_exec(d, sql), HAIL_OK);
}

static int64_t add_user(db *d, const char *email, const char *role)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO users (email, name, role, created_at, updated_at)"
             " VALUES ('%s', 'User %s', '%s', 0, 0) RETURNING id",
             email, role, role);
    return one_id(d, sql);
}

static int64_t add_sender(db *d, int64_t user, int64_t channel)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
             " updated_at) VALUES (%lld, 'rep%lld@sales.example.com', 'Rép %lld', %lld, 0, 0)"
             " RETURNING id",
             (long long)user, (long long)user, (long long)user, (long long)channel);
    return one_id(d, sql);
}

static int64_t add_person(db *d, int64_t mkto, const char *email, int active, const char *account)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO people (marketo_id, first_name, last_name, email, active,"
             " sfdc_account_id, created_at, updated_at) VALUES (%lld, 'Ann', 'Lee', %s%s%s, %d,"
             " %s%s%s, 0, 0) RETURNING id",
             (long long)mkto, email ? "'" : "", email ? email : "NULL", email ? "'" : "", active,
             account ? "'" : "", account ? account : "NULL", account ? "'" : "");
    return one_id(d, sql);
}

static int64_t count(db *d, const char *sql)
{
    return one_id(d, sql);
}

typedef struct world {
    int64_t admin, rep, rep2, manager, sender, sender2;
} world;

static world make_world(db *d)
{
    world w;
    w.admin = add_user(d, "admin@example.com", "admin");
    w.rep = add_user(d, "rep@example.com", "rep");
    w.rep2 = add_user(d, "rep2@example.com", "rep");
    w.manager = add_user(d, "boss@example.com", "manager");
    w.sender = add_sender(d, w.rep, 1);
    w.sender2 = add_sender(d, w.rep2, 1);
    return w;
}

static send_request req(const world *w, int64_t person)
{
    send_request r = {
        .user_id = w->rep,
        .role = "rep",
        .person_id = person,
        .sender_id = w->sender,
        .subject = "Hello Ann",
        .body_html = "<p>Hi, see <a href=\"https://example.com/x\">this</a></p>",
    };
    return r;
}

static int64_t create_ok(db *d, const send_request *r)
{
    send_result res;
    assert_int_equal(send_create(d, r, &res), HAIL_OK);
    if (res.refused)
        fail_msg("refused: %s: %s", res.refused, res.message);
    assert_true(res.email_id > 0);
    return res.email_id;
}

static void status_is(db *d, int64_t id, const char *status)
{
    email_row row;
    assert_int_equal(emails_load(d, id, &row), HAIL_OK);
    assert_string_equal(row.status, status);
    email_row_free(&row);
}

static void test_refusals(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t inactive = add_person(d, 1, "old@example.com", 0, NULL);
    int64_t noemail = add_person(d, 2, NULL, 1, NULL);
    int64_t blocked = add_person(d, 3, "x@mail.blocked.example", 1, NULL);
    exec(d, "INSERT INTO blocked_domains (domain, created_at) VALUES ('blocked.example', 0)");
    send_result res;
    send_request r = req(&w, inactive);
    assert_int_equal(send_create(d, &r, &res), HAIL_OK);
    assert_string_equal(res.refused, "inactive_person");
    char want[128];
    snprintf(want, sizeof want, "person %lld is not active", (long long)inactive);
    assert_string_equal(res.message, want);

    r.person_id = noemail;
    assert_int_equal(send_create(d, &r, &res), HAIL_OK);
    assert_string_equal(res.refused, "no_email");
    snprintf(want, sizeof want, "person %lld has no email address", (long long)noemail);
    assert_string_equal(res.message, want);

    r.person_id = blocked;
    assert_int_equal(send_create(d, &r, &res), HAIL_OK);
    assert_string_equal(res.refused, "blocked_domain");
    assert_string_equal(res.message, "the domain mail.blocked.example is blocked");
    /* A draft is kept (checked when it is scheduled). */
    r.draft = 1;
    assert_int_equal(send_create(d, &r, &res), HAIL_OK);
    assert_null(res.refused);
    int64_t draft = res.email_id;
    send_edit ed = {.schedule = 1, .send_at = -1};
    assert_int_equal(send_update(d, w.rep, "rep", draft, &ed, &res), HAIL_OK);
    assert_string_equal(res.refused, "blocked_domain");
    status_is(d, draft, "draft");
    r.draft = 0;

    r.person_id = 999999;
    assert_int_equal(send_create(d, &r, &res), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no person with id 999999");
    r.person_id = inactive;
    r.sender_id = w.sender2; /* another rep's */
    assert_int_equal(send_create(d, &r, &res), HAIL_EFORBIDDEN);
    snprintf(want, sizeof want, "sender %lld is not one of yours", (long long)w.sender2);
    assert_string_equal(hail_errmsg(), want);
    r.sender_id = w.sender;
    r.body_html = NULL;
    assert_int_equal(send_create(d, &r, &res), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "body_html or template_id is required");
    r.body_html = "<p>x</p>";
    static char big[1];
    send_attachment att[] = {{"a.bin", "application/octet-stream", big, 20 * 1000 * 1000},
                             {"b.bin", "application/octet-stream", big, 4 * 1000 * 1000}};
    r.att = att;
    r.natt = 2;
    assert_int_equal(send_create(d, &r, &res), HAIL_ETOOBIG);
    assert_string_equal(hail_errmsg(), "the attachments are 24000000 bytes in all; at most 23 MB "
                                       "(23000000 bytes) may be attached");
}

static void test_unsubscribed_and_unfilled(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    exec(d, "INSERT INTO people_unsubscribed (person_id, since, source) SELECT id, 0, 'manual'"
            " FROM people");
    int u = 0;
    assert_int_equal(unsub_state(d, p, &u), HAIL_OK);
    if (!u)
        skip(); /* mail/unsub.c is still the placeholder */
    send_result res;
    send_request r = req(&w, p);
    assert_int_equal(send_create(d, &r, &res), HAIL_OK);
    assert_string_equal(res.refused, "unsubscribed");
    char want[128];
    snprintf(want, sizeof want, "person %lld (ann@example.org) has unsubscribed", (long long)p);
    assert_string_equal(res.message, want);
}

/* The maildir files of the default channel. */
static int maildir_files(const char *sub)
{
    char p[256];
    snprintf(p, sizeof p, "%s/mail/1/%s", data_dir, sub);
    DIR *dh = opendir(p);
    if (!dh)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dh)))
        n += de->d_name[0] != '.';
    closedir(dh);
    return n;
}

static void clear_maildir(void)
{
    char p[256];
    snprintf(p, sizeof p, "%s/mail", data_dir);
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int64_t sends_of(db *d, int64_t id)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM activities WHERE email_id = %lld AND type = 'email_send'",
             (long long)id);
    return count(d, sql);
}

static void test_send_on_maildir(void **state)
{
    db *d = efx(state)->f.d;
    clear_maildir();
    world w = make_world(d);
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    send_request r = req(&w, p);
    json_t *cc = json_pack("[s]", "cc@example.org");
    r.cc = cc;
    int64_t id = create_ok(d, &r);
    json_decref(cc);
    /* Not due yet: nothing happens. */
    r.cc = NULL;
    r.send_at = time_now_us() + 3600 * US_PER_SEC;
    int64_t later = create_ok(d, &r);

    int done = 0;
    assert_int_equal(send_pass(d, "snd.test.1", 10, 1, &done), HAIL_OK);
    assert_int_equal(done, 1);
    status_is(d, id, "sent");
    status_is(d, later, "scheduled");
    email_row row;
    assert_int_equal(emails_load(d, id, &row), HAIL_OK);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "<hail.%lld.", (long long)id);
    assert_non_null(row.message_id);
    assert_int_equal(strncmp(row.message_id, prefix, strlen(prefix)), 0);
    assert_null(row.lease_owner);
    email_row_free(&row);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM emails WHERE id = %lld AND links = '[\"https://example.com/x\"]'"
             " AND sent_at IS NOT NULL",
             (long long)id);
    assert_int_equal(count(d, sql), 1);
    assert_int_equal(sends_of(d, id), 1);
    assert_int_equal(maildir_files("new"), 1);
    assert_int_equal(maildir_files("tmp"), 0);

    /* Another pass sends nothing again. */
    assert_int_equal(send_pass(d, "snd.test.1", 10, 1, &done), HAIL_OK);
    assert_int_equal(done, 0);
    assert_int_equal(sends_of(d, id), 1);
    assert_int_equal(maildir_files("new"), 1);
}

static void test_throttle_holds(void **state)
{
    db *d = efx(state)->f.d;
    clear_maildir();
    world w = make_world(d);
    exec(d, "UPDATE channels SET per_minute = 1 WHERE id = 1");
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    send_request r = req(&w, p);
    int64_t a = create_ok(d, &r), b = create_ok(d, &r);
    int done = 0;
    int64_t before = time_now_us();
    assert_int_equal(send_pass(d, "snd.test.1", 10, 0, &done), HAIL_OK);
    assert_int_equal(done, 2);
    status_is(d, a, "sent");
    status_is(d, b, "scheduled"); /* held, not failed */
    email_row row;
    assert_int_equal(emails_load(d, b, &row), HAIL_OK);
    assert_true(row.next_attempt_at > before);
    assert_true(row.next_attempt_at <= before + 61 * US_PER_SEC + 5 * US_PER_SEC);
    assert_null(row.lease_owner);
    assert_int_equal(row.attempts, 0);
    email_row_free(&row);
    assert_int_equal(maildir_files("new"), 1);
}

static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(s, (struct sockaddr *)&a, sizeof a);
    socklen_t n = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &n);
    close(s);
    return ntohs(a.sin_port);
}

static int64_t add_smtp_channel(db *d)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO channels (name, kind, smtp_host, smtp_port, smtp_tls, created_at,"
             " updated_at) VALUES ('smtp', 'smtp', '127.0.0.1', %d, 'none', 0, 0) RETURNING id",
             closed_port());
    return one_id(d, sql);
}

static void test_unreachable_smtp_retried(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t ch = add_smtp_channel(d);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE senders SET channel_id = %lld", (long long)ch);
    exec(d, sql);
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    send_request r = req(&w, p);
    int64_t id = create_ok(d, &r);
    int done = 0;
    int64_t before = time_now_us();
    assert_int_equal(send_pass(d, "snd.test.1", 10, 0, &done), HAIL_OK);
    email_row row;
    assert_int_equal(emails_load(d, id, &row), HAIL_OK);
    assert_string_equal(row.status, "scheduled");
    assert_int_equal(row.attempts, 1);
    assert_true(row.next_attempt_at >= before + send_backoff_us(1));
    assert_null(row.lease_owner);
    email_row_free(&row);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM emails WHERE id = %lld AND smtp_reply IS NOT NULL",
             (long long)id);
    assert_int_equal(count(d, sql), 1);
    assert_int_equal(send_backoff_us(1), 60 * US_PER_SEC);
    assert_int_equal(send_backoff_us(2), 120 * US_PER_SEC);
    assert_int_equal(send_backoff_us(30), 3600 * US_PER_SEC);
}

/* Makes id look as a sender that died while handing it over left it. */
static void left_sending(db *d, int64_t id, const char *message_id)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE emails SET status = 'sending', message_id = '%s', attempts = 1,"
             " lease_owner = 'snd.999999999.1.abcdef@nohost.invalid', lease_until = %lld"
             " WHERE id = %lld",
             message_id, (long long)(time_now_us() - US_PER_SEC), (long long)id);
    exec(d, sql);
}

static void test_reconcile_maildir(void **state)
{
    db *d = efx(state)->f.d;
    clear_maildir();
    world w = make_world(d);
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    send_request r = req(&w, p);
    int64_t gone = create_ok(d, &r), notyet = create_ok(d, &r);
    /* gone: sent and handed over, then the sender died before it marked it sent. */
    int done = 0;
    assert_int_equal(send_pass(d, "snd.test.1", 1, 0, &done), HAIL_OK);
    assert_int_equal(done, 1);
    char sql[256];
    snprintf(sql, sizeof sql, "DELETE FROM activities WHERE email_id = %lld", (long long)gone);
    exec(d, sql);
    email_row row;
    assert_int_equal(emails_load(d, gone, &row), HAIL_OK);
    char mid[256];
    snprintf(mid, sizeof mid, "%s", row.message_id);
    email_row_free(&row);
    left_sending(d, gone, mid);
    left_sending(d, notyet, "<hail.x.1@sales.example.com>");
    assert_int_equal(maildir_files("new"), 1);

    assert_int_equal(send_sweep(d, "snd.test.2"), HAIL_OK);
    status_is(d, gone, "sent");
    assert_int_equal(sends_of(d, gone), 1);
    status_is(d, notyet, "scheduled");
    assert_int_equal(send_pass(d, "snd.test.2", 10, 1, &done), HAIL_OK);
    status_is(d, notyet, "sent");
    assert_int_equal(sends_of(d, notyet), 1);
    assert_int_equal(sends_of(d, gone), 1);
    assert_int_equal(maildir_files("new"), 2);
}

static void test_reconcile_smtp_uncertain(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t ch = add_smtp_channel(d);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE senders SET channel_id = %lld", (long long)ch);
    exec(d, sql);
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    send_request r = req(&w, p);
    int64_t id = create_ok(d, &r);
    left_sending(d, id, "<hail.1.2@sales.example.com>");
    /* A live owner's lease that has not expired is left alone. */
    char owner[LEASE_OWNER_MAX + 1];
    send_owner_id(owner, sizeof owner);
    snprintf(sql, sizeof sql,
             "UPDATE emails SET lease_owner = '%s', lease_until = %lld WHERE id = %lld", owner,
             (long long)(time_now_us() + 60 * US_PER_SEC), (long long)id);
    exec(d, sql);
    assert_int_equal(send_sweep(d, "snd.test.2"), HAIL_OK);
    status_is(d, id, "sending");
    left_sending(d, id, "<hail.1.2@sales.example.com>");
    assert_int_equal(send_sweep(d, "snd.test.2"), HAIL_OK);
    status_is(d, id, "failed");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM emails WHERE id = %lld AND failed_reason = 'uncertain'",
             (long long)id);
    assert_int_equal(count(d, sql), 1);
    assert_int_equal(sends_of(d, id), 0);
    /* A person retries it. */
    assert_int_equal(emails_retry(d, id, time_now_us()), 1);
    status_is(d, id, "scheduled");
}

static void test_dead_claims_freed(void **state)
{
    db *d = efx(state)->f.d;
    clear_maildir();
    world w = make_world(d);
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    send_request r = req(&w, p);
    int64_t id = create_ok(d, &r);
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE emails SET lease_owner = 'snd.999999999.1.abcdef@%s', lease_until = %lld"
             " WHERE id = %lld",
             "nohost.invalid", (long long)(time_now_us() + 60 * US_PER_SEC), (long long)id);
    exec(d, sql);
    int done = 0;
    /* Another host's unexpired claim: left alone. */
    assert_int_equal(send_pass(d, "snd.test.1", 10, 1, &done), HAIL_OK);
    assert_int_equal(done, 0);
    /* This host's dead process: freed at once. */
    char host[128];
    gethostname(host, sizeof host);
    snprintf(sql, sizeof sql,
             "UPDATE emails SET lease_owner = 'snd.999999999.1.abcdef@%s' WHERE id = %lld", host,
             (long long)id);
    exec(d, sql);
    assert_int_equal(send_pass(d, "snd.test.1", 10, 1, &done), HAIL_OK);
    assert_int_equal(done, 1);
    status_is(d, id, "sent");
}

static void test_list_visibility_and_indexes(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    world w = make_world(d);
    exec(d, "INSERT INTO teams (name, created_at) VALUES ('east', 0)");
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO team_members (team_id, user_id) SELECT id, %lld FROM teams",
             (long long)w.manager);
    exec(d, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO team_members (team_id, user_id) SELECT id, %lld FROM teams",
             (long long)w.rep);
    exec(d, sql);
    int64_t p = add_person(d, 1, "ann@example.org", 1, "001ACC");
    int64_t q = add_person(d, 2, "bob@example.org", 1, NULL);
    send_request r = req(&w, p);
    int64_t a = create_ok(d, &r);
    r.person_id = q;
    int64_t b = create_ok(d, &r);
    r.user_id = w.rep2;
    r.sender_id = w.sender2;
    int64_t c = create_ok(d, &r);

    json_t *page;
    int64_t next;
    email_viewer rep = {w.rep, "rep"}, mgr = {w.manager, "manager"}, adm = {w.admin, "admin"},
                 rep2 = {w.rep2, "rep"};
    email_filter f = {.limit = 1};
    assert_int_equal(emails_list(d, &rep, &f, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), b);
    assert_int_equal(next, b);
    json_decref(page);
    f.before_id = next;
    assert_int_equal(emails_list(d, &rep, &f, &page, &next), HAIL_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), a);
    assert_int_equal(next, 0);
    json_t *e0 = json_array_get(page, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e0, "person"), "name")),
                        "Ann Lee");
    assert_string_equal(json_string_value(json_object_get(e0, "status")), "scheduled");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e0, "opened"), "count")),
                     0);
    json_decref(page);

    email_filter all = {.limit = 50};
    assert_int_equal(emails_list(d, &mgr, &all, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 2); /* the team's rep, not rep2 */
    json_decref(page);
    assert_int_equal(emails_list(d, &adm, &all, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 3);
    json_decref(page);
    assert_int_equal(emails_list(d, &rep2, &all, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), c);
    json_decref(page);
    assert_false(emails_visible(d, &rep2, a));
    assert_true(emails_visible(d, &mgr, a));

    email_filter acc = {.limit = 50, .account = "001ACC"};
    assert_int_equal(emails_list(d, &adm, &acc, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 1);
    json_decref(page);
    email_filter st = {.limit = 50, .status = "sent"};
    assert_int_equal(emails_list(d, &adm, &st, &page, &next), HAIL_OK);
    assert_int_equal(json_array_size(page), 0);
    json_decref(page);

    /* The filters' queries use their indexes (EXPLAIN on each engine). */
    exec(d, x->pg ? "ANALYZE" : "ANALYZE");
    struct {
        const char *where, *index;
    } plans[] = {
        {"e.person_id = 1", "emails_person"},
        {"e.sender_id = 1", "emails_sender"},
        {"e.status = 'sent'", "emails_status"},
        {"e.user_id = 1", "emails_user"},
        {"p.sfdc_account_id = '001ACC'", "people_account"},
    };
    for (size_t i = 0; i < sizeof plans / sizeof *plans; i++) {
        char ex[1024];
        if (x->pg)
            exec(d, "SET enable_seqscan = off");
        snprintf(ex, sizeof ex,
                 "%s SELECT e.id FROM emails e JOIN people p ON p.id = e.person_id"
                 " JOIN senders s ON s.id = e.sender_id WHERE %s ORDER BY e.id DESC LIMIT 51",
                 x->pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", plans[i].where);
        db_st *es = db_prepare(d, ex);
        assert_non_null(es);
        int found = 0;
        char plan[4096] = "";
        while (db_step(es) == DB_ROW) {
            const char *line = db_col_text(es, x->pg ? 0 : 3);
            found |= line && strstr(line, plans[i].index) != NULL;
            size_t used = strlen(plan);
            snprintf(plan + used, sizeof plan - used, "%s | ", line ? line : "");
        }
        db_st_free(es);
        if (!found)
            fail_msg("%s does not use %s: %s", plans[i].where, plans[i].index, plan);
    }
    if (x->pg)
        exec(d, "SET enable_seqscan = on");
}

static void test_draft_then_schedule_and_cancel(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t p = add_person(d, 1, "ann@example.org", 1, NULL);
    send_request r = req(&w, p);
    r.draft = 1;
    int64_t id = create_ok(d, &r);
    status_is(d, id, "draft");
    send_result res;
    send_edit ed = {.subject = "New subject", .send_at = -1};
    assert_int_equal(send_update(d, w.rep, "rep", id, &ed, &res), HAIL_OK);
    status_is(d, id, "draft");
    ed.schedule = 1;
    ed.subject = NULL;
    assert_int_equal(send_update(d, w.rep2, "rep", id, &ed, &res), HAIL_ENOTFOUND);
    assert_int_equal(send_update(d, w.rep, "rep", id, &ed, &res), HAIL_OK);
    assert_null(res.refused);
    status_is(d, id, "scheduled");
    email_row row;
    assert_int_equal(emails_load(d, id, &row), HAIL_OK);
    assert_string_equal(row.subject, "New subject");
    assert_true(row.next_attempt_at > 0);
    email_row_free(&row);
    assert_int_equal(emails_cancel(d, id), 1);
    assert_int_equal(emails_load(d, id, &row), HAIL_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_refusals),
        ON_SQLITE(test_unsubscribed_and_unfilled),
        ON_SQLITE(test_send_on_maildir),
        ON_SQLITE(test_throttle_holds),
        ON_SQLITE(test_unreachable_smtp_retried),
        ON_SQLITE(test_reconcile_maildir),
        ON_SQLITE(test_reconcile_smtp_uncertain),
        ON_SQLITE(test_dead_claims_freed),
        ON_SQLITE(test_list_visibility_and_indexes),
        ON_SQLITE(test_draft_then_schedule_and_cancel),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_refusals),
        ON_PG(test_unsubscribed_and_unfilled),
        ON_PG(test_send_on_maildir),
        ON_PG(test_throttle_holds),
        ON_PG(test_unreachable_smtp_retried),
        ON_PG(test_reconcile_maildir),
        ON_PG(test_reconcile_smtp_uncertain),
        ON_PG(test_dead_claims_freed),
        ON_PG(test_list_visibility_and_indexes),
        ON_PG(test_draft_then_schedule_and_cancel),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, group_setup, group_teardown);
    return failed ? 1 : 0;
}
