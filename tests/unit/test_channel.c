#include "core/common.h"

/* Unit tests for mail/channel: maildir delivery (tmp -> new, one file per
 * email however often it is handed over) and its reconcile after a crash,
 * sender identities, blocked domains with their parents, throttles counted
 * from the emails sent on a channel, and sealed passwords (a key per data
 * directory, refused under another key). On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>

#include "mail/channel.h"
#include "mail/seal.h"
#include "svc/settings.h"
#define ENGINE_FIXTURE_NAME "channel"
#include "engine_fixture.h"

#define SEC INT64_C(1000000)

/* A data directory of the test's own (removed with its mail/ tree). */
static char data_dir[64];

static void rm_rf(const char *path)
{
    DIR *dh = opendir(path);
    if (!dh) {
        unlink(path);
        return;
    }
    struct dirent *de;
    char p[1024];
    while ((de = readdir(dh))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        rm_rf(p);
    }
    closedir(dh);
    rmdir(path);
}

static void use_data_dir(void)
{
    snprintf(data_dir, sizeof data_dir, "/tmp/hail-test-channel-XXXXXX");
    assert_non_null(mkdtemp(data_dir));
    hail_settings s = *settings();
    s.data_dir = data_dir;
    settings_set(&s);
}

static int64_t insert_id(db *d, const char *sql)
{
    db_st *st = db_stmt(d, sql);
    assert_non_null(st);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

static int64_t add_user(db *d)
{
    return insert_id(d, "INSERT INTO users (email, name, role, created_at, updated_at)"
                        " VALUES ('rep@example.com', 'Ann Rep', 'rep', 0, 0) RETURNING id");
}

static int64_t add_sender(db *d, int64_t user, int64_t chan)
{
    db_st *st = db_stmt(d, "INSERT INTO senders (user_id, address, display_name, signature_html,"
                           " channel_id, created_at, updated_at)"
                           " VALUES ($1, 'ann@example.com', 'Ann Rep', '<p>Ann</p>', $2, 0, 0)"
                           " RETURNING id");
    assert_non_null(st);
    db_bind_i64(st, 1, user);
    db_bind_i64(st, 2, chan);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

/* An email sent on channel to domain at sent_at. */
static void add_sent(db *d, int64_t person, int64_t user, int64_t sender, int64_t chan,
                     const char *domain, int64_t sent_at)
{
    db_st *st = db_stmt(d, "INSERT INTO emails (person_id, user_id, sender_id, channel_id,"
                           " status, to_address, to_domain, subject, body_html, sent_at,"
                           " created_at, updated_at)"
                           " VALUES ($1, $2, $3, $4, 'sent', 'x@' || $5, $5, 's', 'b', $6, 0, 0)");
    assert_non_null(st);
    db_bind_i64(st, 1, person);
    db_bind_i64(st, 2, user);
    db_bind_i64(st, 3, sender);
    db_bind_i64(st, 4, chan);
    db_bind_text(st, 5, domain, -1);
    db_bind_i64(st, 6, sent_at);
    assert_int_equal(db_step_done(d, st, "test: email"), HAIL_OK);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 65536);
    assert_non_null(s);
    size_t n = fread(s, 1, 65535, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int count_files(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dh)))
        n += de->d_name[0] != '.';
    closedir(dh);
    return n;
}

static const char MSG[] = "From: Ann Rep <ann@example.com>\r\n"
                          "To: bob@example.org\r\n"
                          "Message-ID: <hail.7.abc@example.com>\r\n"
                          "Subject: Hello\r\n"
                          "\r\n"
                          "Hi Bob,\r\n"
                          "see you.\r\n";

static void test_maildir_deliver_and_reconcile(void **state)
{
    db *d = efx(state)->f.d;
    use_data_dir();
    channel *c = NULL;
    assert_int_equal(channel_open(d, 1, &c), HAIL_OK);
    assert_int_equal(channel_id(c), 1);
    assert_string_equal(channel_kind(c), "maildir");

    const char *rcpt[] = {"bob@example.org"};
    deliver_req r = {.email_id = 7,
                     .message_id = "<hail.7.abc@example.com>",
                     .mail_from = "ann@example.com",
                     .rcpt = rcpt,
                     .nrcpt = 1,
                     .msg = MSG,
                     .len = sizeof MSG - 1};
    char reply[512];
    assert_int_equal(channel_deliver(c, &r, reply, sizeof reply), HAIL_OK);
    char path[256], want[300];
    snprintf(path, sizeof path, "%s/mail/1/new/hail.7", data_dir);
    snprintf(want, sizeof want, "delivered to %s", path);
    assert_string_equal(reply, want);
    char *got = read_file(path);
    assert_non_null(got);
    assert_string_equal(got, "Return-Path: <ann@example.com>\n"
                             "From: Ann Rep <ann@example.com>\n"
                             "To: bob@example.org\n"
                             "Message-ID: <hail.7.abc@example.com>\n"
                             "Subject: Hello\n"
                             "\n"
                             "Hi Bob,\n"
                             "see you.\n");
    free(got);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* Handed over again (a retry): still one file. */
    assert_int_equal(channel_deliver(c, &r, NULL, 0), HAIL_OK);
    snprintf(path, sizeof path, "%s/mail/1/new", data_dir);
    assert_int_equal(count_files(path), 1);
    snprintf(path, sizeof path, "%s/mail/1/tmp", data_dir);
    assert_int_equal(count_files(path), 0);

    int st = -2;
    assert_int_equal(channel_reconcile(c, 7, r.message_id, &st), HAIL_OK);
    assert_int_equal(st, 1);
    /* Email 70 is not email 7. */
    assert_int_equal(channel_reconcile(c, 70, "<x@y>", &st), HAIL_OK);
    assert_int_equal(st, 0);

    /* A crash between write and rename leaves only tmp/: not delivered,
     * and reconcile removes the leftover. */
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/mail/1/tmp/hail.8.123.0000abcd", data_dir);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("Subject: half\n", f);
    fclose(f);
    assert_int_equal(channel_reconcile(c, 8, "<hail.8.x@example.com>", &st), HAIL_OK);
    assert_int_equal(st, 0);
    assert_int_equal(count_files(path), 0);

    /* A mail client moved it to cur/ with flags: still delivered. */
    char from[256], to[256];
    snprintf(from, sizeof from, "%s/mail/1/new/hail.7", data_dir);
    snprintf(to, sizeof to, "%s/mail/1/cur/hail.7:2,S", data_dir);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(channel_reconcile(c, 7, r.message_id, &st), HAIL_OK);
    assert_int_equal(st, 1);
    channel_close(c);

    assert_int_equal(channel_open(d, 99, &c), HAIL_ENOTFOUND);
    assert_null(c);
    assert_string_equal(hail_errmsg(), "no channel with id 99");
    rm_rf(data_dir);
}

static void test_senders_get(void **state)
{
    db *d = efx(state)->f.d;
    int64_t user = add_user(d);
    int64_t id = add_sender(d, user, 1);
    sender_info s;
    assert_int_equal(senders_get(d, id, &s), HAIL_OK);
    assert_int_equal(s.id, id);
    assert_int_equal(s.user_id, user);
    assert_int_equal(s.channel_id, 1);
    assert_string_equal(s.address, "ann@example.com");
    assert_string_equal(s.display_name, "Ann Rep");
    assert_string_equal(s.signature_html, "<p>Ann</p>");
    sender_info_free(&s);
    assert_int_equal(senders_get(d, id + 100, &s), HAIL_ENOTFOUND);
    char want[64];
    snprintf(want, sizeof want, "no sender with id %lld", (long long)(id + 100));
    assert_string_equal(hail_errmsg(), want);
}

static void test_domain_blocked(void **state)
{
    db *d = efx(state)->f.d;
    assert_int_equal(db_exec(d, "INSERT INTO blocked_domains (domain, created_at)"
                                " VALUES ('example.com', 0)"),
                     HAIL_OK);
    static const struct {
        const char *domain;
        int blocked;
    } cases[] = {
        {"example.com", 1},
        {"EXAMPLE.Com", 1},
        {"mail.example.com", 1},
        {"a.b.example.com", 1},
        {"example.org", 0},
        {"notexample.com", 0},
        {"com", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int b = -1;
        assert_int_equal(domain_blocked(d, cases[i].domain, &b), HAIL_OK);
        if (b != cases[i].blocked)
            fail_msg("%s: blocked %d, expected %d", cases[i].domain, b, cases[i].blocked);
    }
}

static void test_throttle_next(void **state)
{
    db *d = efx(state)->f.d;
    int64_t now = INT64_C(1700000000) * SEC;
    int64_t user = add_user(d);
    int64_t sender = add_sender(d, user, 1);
    int64_t person = insert_id(d, "INSERT INTO people (marketo_id, email, active, created_at,"
                                  " updated_at) VALUES (1, 'p@example.org', 1, 0, 0) RETURNING id");
    int64_t at = -1;
    /* No throttles: now. */
    assert_int_equal(throttle_next(d, 1, "example.org", now, &at), HAIL_OK);
    assert_int_equal(at, 0);
    assert_int_equal(db_exec(d, "UPDATE channels SET per_minute = 2, per_hour = 100,"
                                " per_day = 3, per_domain_per_hour = 1 WHERE id = 1"),
                     HAIL_OK);
    assert_int_equal(throttle_next(d, 1, "example.org", now, &at), HAIL_OK);
    assert_int_equal(at, 0);
    /* One to example.org 10 minutes ago: that domain waits 50 minutes,
     * another goes now. */
    add_sent(d, person, user, sender, 1, "example.org", now - 600 * SEC);
    assert_int_equal(throttle_next(d, 1, "example.org", now, &at), HAIL_OK);
    assert_int_equal(at, now + 3000 * SEC);
    assert_int_equal(throttle_next(d, 1, "example.net", now, &at), HAIL_OK);
    assert_int_equal(at, 0);
    /* Two more in the last minute (40 s and 20 s ago): per_minute full
     * until the first of them is a minute old, per_day (3 in 24 h) full
     * until the one 10 minutes ago is a day old. */
    add_sent(d, person, user, sender, 1, "example.net", now - 40 * SEC);
    add_sent(d, person, user, sender, 1, "example.com", now - 20 * SEC);
    assert_int_equal(throttle_next(d, 1, "example.net", now, &at), HAIL_OK);
    assert_int_equal(at, now - 600 * SEC + 86400 * SEC);
    assert_int_equal(db_exec(d, "UPDATE channels SET per_day = NULL WHERE id = 1"), HAIL_OK);
    assert_int_equal(throttle_next(d, 1, "example.io", now, &at), HAIL_OK);
    assert_int_equal(at, now + 20 * SEC);
    /* example.net had one 40 s ago: an hour after it. */
    assert_int_equal(throttle_next(d, 1, "example.net", now, &at), HAIL_OK);
    assert_int_equal(at, now + 3560 * SEC);
    /* 21 s later the minute has room again. */
    assert_int_equal(throttle_next(d, 1, NULL, now + 21 * SEC, &at), HAIL_OK);
    assert_int_equal(at, 0);
    assert_int_equal(throttle_next(d, 42, NULL, now, &at), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no channel with id 42");
}

static void key_id_hex(const char *dir, char out[17])
{
    char path[256];
    snprintf(path, sizeof path, "%s/mail.key", dir);
    unsigned char k[32], id[8];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(k, 1, sizeof k, f), sizeof k);
    fclose(f);
    static const unsigned char ctx[] = "hail mail.key id";
    crypto_generichash(id, sizeof id, ctx, sizeof ctx - 1, k, sizeof k);
    sodium_bin2hex(out, 17, id, sizeof id);
}

static void test_sealed_passwords(void **state)
{
    db *d = efx(state)->f.d;
    use_data_dir();
    char first_dir[64];
    snprintf(first_dir, sizeof first_dir, "%s", data_dir);
    unsigned char *sealed = NULL;
    size_t n = 0;
    assert_int_equal(seal_password(d, "s3cret-pass", 11, &sealed, &n), HAIL_OK);
    assert_int_equal(n, 3 + 8 + 24 + 16 + 11);
    assert_null(memmem(sealed, n, "s3cret", 6));
    char path[256];
    snprintf(path, sizeof path, "%s/mail.key", data_dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char *plain = NULL;
    assert_int_equal(seal_open(d, sealed, n, &plain), HAIL_OK);
    assert_string_equal(plain, "s3cret-pass");
    seal_free(plain);

    /* An SMTP channel with the sealed password opens; without an IMAP inbox
     * its reconcile cannot tell. */
    db_st *st = db_stmt(d, "INSERT INTO channels (name, kind, smtp_host, smtp_port, smtp_tls,"
                           " smtp_username, smtp_password, created_at, updated_at)"
                           " VALUES ('relay', 'smtp', '127.0.0.1', 2525, 'none', 'ann', $1,"
                           " 0, 0) RETURNING id");
    assert_non_null(st);
    db_bind_blob(st, 1, sealed, n);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t ch = db_col_i64(st, 0);
    db_reset(st);
    channel *c = NULL;
    assert_int_equal(channel_open(d, ch, &c), HAIL_OK);
    assert_string_equal(channel_kind(c), "smtp");
    int state_ = -2;
    assert_int_equal(channel_reconcile(c, 5, "<hail.5.x@example.com>", &state_), HAIL_OK);
    assert_int_equal(state_, -1);
    channel_close(c);

    /* Damaged: refused without a crash. */
    sealed[n - 1] ^= 1;
    assert_int_equal(seal_open(d, sealed, n, &plain), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "a sealed channel password is damaged");
    assert_int_equal(seal_open(d, sealed, 10, &plain), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "a sealed channel password is damaged");
    sealed[n - 1] ^= 1;
    char known[17];
    key_id_hex(first_dir, known);

    /* Another node's data directory without the key: no second key is made. */
    use_data_dir();
    char want[512];
    snprintf(want, sizeof want,
             "the channel passwords are sealed with the mail key %s, and %s/mail.key is missing: "
             "copy it from a node that has it (docs/mail.md)",
             known, data_dir);
    assert_int_equal(seal_open(d, sealed, n, &plain), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), want);
    unsigned char *again = NULL;
    size_t again_n = 0;
    assert_int_equal(seal_password(d, "x", 1, &again, &again_n), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), want);
    assert_int_equal(channel_open(d, ch, &c), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), want);

    /* With another key: says which. */
    snprintf(path, sizeof path, "%s/mail.key", data_dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char other[32];
    randombytes_buf(other, sizeof other);
    fwrite(other, 1, sizeof other, f);
    fclose(f);
    char have[17];
    key_id_hex(data_dir, have);
    snprintf(want, sizeof want,
             "%s is the mail key %s, but the channel passwords are sealed with the key %s: copy "
             "the right mail.key from a node that has it (docs/mail.md)",
             path, have, known);
    assert_int_equal(seal_open(d, sealed, n, &plain), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), want);
    free(sealed);
    rm_rf(data_dir);
    rm_rf(first_dir);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_maildir_deliver_and_reconcile),
        ON_SQLITE(test_senders_get),
        ON_SQLITE(test_domain_blocked),
        ON_SQLITE(test_throttle_next),
        ON_SQLITE(test_sealed_passwords),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_maildir_deliver_and_reconcile),
        ON_PG(test_senders_get),
        ON_PG(test_domain_blocked),
        ON_PG(test_throttle_next),
        ON_PG(test_sealed_passwords),
    };
    int rc = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    return rc | cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
}
