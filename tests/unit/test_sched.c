#include "core/common.h"

/* Unit tests for the campaign scheduler (sched/scheduler.c, store/sched.c),
 * on SQLite and PostgreSQL, with the test clock (HAIL_CLOCK_FILE's seam):
 * an email step, a task step that blocks until it is completed (later steps
 * shift from its completion), a follow-up threaded on the first email
 * (Re: subject, quoted body, In-Reply-To / References in the maildir file),
 * every due step exactly once (passes repeated, two connections at once),
 * refusals at run time (unsubscribed, inactive, unfilled field → a task),
 * the effects of activities (reply, out-of-office with a return date,
 * bounce, unsubscribe), pause and resume keeping the spacing, a paused
 * campaign, an owner on leave and a stopped campaign, and the due lookup's
 * index (EXPLAIN on each engine over 20,000 memberships). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>

#include "core/timeutil.h"
#include "mail/send.h"
#include "mail/unsub.h"
#include "sched/scheduler.h"
#include "store/sched.h"
#include "svc/activity.h"
#include "svc/settings.h"
#define ENGINE_FIXTURE_NAME "sched"
#include "engine_fixture.h"

static char data_dir[64];
static char clock_path[128];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(data_dir, sizeof data_dir, "/tmp/hail-test-sched-data-XXXXXX");
    if (!mkdtemp(data_dir))
        return -1;
    hail_settings s = *settings();
    s.data_dir = data_dir;
    s.public_url = "https://hail.example";
    settings_set(&s);
    snprintf(clock_path, sizeof clock_path, "%s/clock", data_dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    time_set_clock_file(NULL);
    nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* Moves the test clock to iso (UTC). */
static void at(const char *iso)
{
    FILE *f = fopen(clock_path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", iso);
    fclose(f);
    time_set_clock_file(clock_path); /* read again at once */
}

static int64_t us(const char *iso)
{
    int64_t v = 0;
    assert_int_equal(time_parse_iso(iso, strlen(iso), &v), HAIL_OK);
    return v;
}

static int64_t one_id(db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t one_id(db *d, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    db_st *st = db_prepare(d, sql);
    if (!st)
        fail_msg("%s: %s", sql, hail_errmsg());
    if (db_step(st) != DB_ROW)
        fail_msg("no row: %s", sql);
    int64_t v = db_col_i64(st, 0);
    db_st_free(st);
    return v;
}

/* One text value ("" for NULL). */
static char *one_text(db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *one_text(db *d, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    db_st *st = db_prepare(d, sql);
    if (!st)
        fail_msg("%s: %s", sql, hail_errmsg());
    if (db_step(st) != DB_ROW)
        fail_msg("no row: %s", sql);
    char *v = strdup(db_col_null(st, 0) ? "" : db_col_text(st, 0));
    db_st_free(st);
    return v;
}

static void exec(db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void exec(db *d, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (db_exec(d, sql) != HAIL_OK)
        fail_msg("%s: %s", sql, hail_errmsg());
}

typedef struct world {
    int64_t rep, sender, tmpl, tmpl_phone;
} world;

static world make_world(db *d)
{
    world w;
    w.rep = one_id(d, "INSERT INTO users (email, name, role, created_at, updated_at)"
                      " VALUES ('rep@example.com', 'Rep One', 'rep', 0, 0) RETURNING id");
    w.sender = one_id(d,
                      "INSERT INTO senders (user_id, address, display_name, channel_id,"
                      " created_at, updated_at) VALUES (%lld, 'rep@sales.example.com', 'Rep One',"
                      " 1, 0, 0) RETURNING id",
                      (long long)w.rep);
    w.tmpl = one_id(d,
                    "INSERT INTO templates (owner_id, name, subject, body_html, sharing,"
                    " commercial, created_at, updated_at) VALUES (%lld, 'Intro',"
                    " 'Hello {{first_name}}', '<p>Hi {{first_name}}, see"
                    " <a href=\"https://example.com/x\">this</a></p>', 'private', 1, 0, 0)"
                    " RETURNING id",
                    (long long)w.rep);
    w.tmpl_phone = one_id(d,
                          "INSERT INTO templates (owner_id, name, subject, body_html, sharing,"
                          " commercial, created_at, updated_at) VALUES (%lld, 'Phone',"
                          " 'Your number', '<p>Is {{phone}} right?</p>', 'private', 1, 0, 0)"
                          " RETURNING id",
                          (long long)w.rep);
    return w;
}

static int64_t add_person(db *d, const char *email, int active)
{
    static int n;
    n++;
    return one_id(d,
                  "INSERT INTO people (marketo_id, first_name, last_name, email, active,"
                  " created_at, updated_at) VALUES (%d, 'Ann', 'Lee', '%s', %d, 0, 0)"
                  " RETURNING id",
                  1000 + n, email, active);
}

static int64_t add_campaign(db *d, const world *w, const char *extra_cols, const char *extra_vals)
{
    return one_id(d,
                  "INSERT INTO campaigns (owner_id, name, sharing, time_zone, created_at,"
                  " updated_at%s) VALUES (%lld, 'Spring', 'private', 'UTC', 0, 0%s) RETURNING id",
                  extra_cols, (long long)w->rep, extra_vals);
}

static void add_step(db *d, int64_t c, int pos, int day, const char *type, int64_t tmpl,
                     const char *option, const char *send_time, int follow_up)
{
    char t[32] = "NULL", o[32] = "NULL", s[32] = "NULL";
    if (tmpl)
        snprintf(t, sizeof t, "%lld", (long long)tmpl);
    if (option)
        snprintf(o, sizeof o, "'%s'", option);
    if (send_time)
        snprintf(s, sizeof s, "'%s'", send_time);
    exec(d,
         "INSERT INTO campaign_steps (campaign_id, position, day, type, template_id,"
         " send_option, send_time, follow_up) VALUES (%lld, %d, %d, '%s', %s, %s, %s, %d)",
         (long long)c, pos, day, type, t, o, s, follow_up);
}

/* A member added now (as B's API does: the row, then sched_member_schedule
 * in the same transaction). */
static int64_t add_member(db *d, int64_t c, int64_t person)
{
    assert_int_equal(db_begin(d), HAIL_OK);
    int64_t now = time_now_us();
    int64_t id =
        one_id(d,
               "INSERT INTO campaign_members (campaign_id, person_id, status, start_at,"
               " created_at, updated_at) VALUES (%lld, %lld, 'active', %lld, %lld, %lld)"
               " RETURNING id",
               (long long)c, (long long)person, (long long)now, (long long)now, (long long)now);
    assert_int_equal(sched_member_schedule(d, id), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    return id;
}

static int pass(db *d)
{
    int done = 0;
    hail_err e = sched_pass(d, "sched.test", 100, &done);
    if (e)
        fail_msg("sched_pass: %s", hail_errmsg());
    return done;
}

static int64_t due_of(db *d, int64_t m)
{
    return one_id(d, "SELECT coalesce(next_due_at, 0) FROM campaign_members WHERE id = %lld",
                  (long long)m);
}

static void status_is(db *d, int64_t m, const char *status, const char *end_reason)
{
    char *s = one_text(d,
                       "SELECT status || '/' || coalesce(end_reason, '') FROM"
                       " campaign_members WHERE id = %lld",
                       (long long)m);
    char want[64];
    snprintf(want, sizeof want, "%s/%s", status, end_reason ? end_reason : "");
    assert_string_equal(s, want);
    free(s);
}

static int64_t emails_of(db *d, int64_t m)
{
    return one_id(d, "SELECT count(*) FROM emails WHERE campaign_member_id = %lld", (long long)m);
}

/* The maildir message files of the default channel (new/), read whole. */
static char *maildir_one(void)
{
    char p[256];
    snprintf(p, sizeof p, "%s/mail/1/new", data_dir);
    DIR *dh = opendir(p);
    assert_non_null(dh);
    struct dirent *de;
    char *text = NULL;
    int n = 0;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        char f[600];
        snprintf(f, sizeof f, "%s/%s", p, de->d_name);
        FILE *fh = fopen(f, "r");
        assert_non_null(fh);
        free(text);
        text = calloc(1, 1 << 20);
        size_t got = fread(text, 1, (1 << 20) - 1, fh);
        text[got] = '\0';
        fclose(fh);
    }
    closedir(dh);
    assert_int_equal(n, 1);
    return text;
}

static void clear_maildir(void)
{
    char p[256];
    snprintf(p, sizeof p, "%s/mail", data_dir);
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void task_done(db *d, int64_t task, const char *status)
{
    assert_int_equal(db_begin(d), HAIL_OK);
    exec(d, "UPDATE tasks SET status = '%s', completed_at = %lld WHERE id = %lld", status,
         (long long)time_now_us(), (long long)task);
    assert_int_equal(sched_task_done(d, task, !strcmp(status, "skipped")), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
}

/* Day 1 an email at 09:00, day 2 a call, day 4 a follow-up at the same time
 * as the first: each runs once, the call blocks until done, the follow-up
 * threads on the first email. */
static void test_email_task_follow_up(void **state)
{
    db *d = efx(state)->f.d;
    clear_maildir();
    world w = make_world(d);
    int64_t c = add_campaign(d, &w, "", "");
    add_step(d, c, 0, 1, "auto_email", w.tmpl, "fixed", "09:00", 0);
    add_step(d, c, 1, 2, "call", 0, NULL, NULL, 0);
    add_step(d, c, 2, 4, "auto_email", w.tmpl, "same_as_previous", NULL, 1);
    int64_t p = add_person(d, "ann@example.org", 1);
    at("2027-03-01T08:00:00Z"); /* a Monday */
    int64_t m = add_member(d, c, p);
    assert_int_equal(due_of(d, m), us("2027-03-01T09:00:00Z"));
    at("2027-03-01T08:59:59Z");
    assert_int_equal(pass(d), 0);
    assert_int_equal(emails_of(d, m), 0);

    at("2027-03-01T09:00:00Z");
    assert_int_equal(pass(d), 1);
    assert_int_equal(pass(d), 0);
    assert_int_equal(emails_of(d, m), 1);
    int64_t e1 = one_id(d,
                        "SELECT id FROM emails WHERE campaign_member_id = %lld AND campaign_id ="
                        " %lld AND campaign_step = 0 AND status = 'scheduled' AND subject ="
                        " 'Hello Ann' AND send_at = %lld AND message_id IS NOT NULL",
                        (long long)m, (long long)c, (long long)us("2027-03-01T09:00:00Z"));
    /* The call: day 2 at the same time of day. */
    assert_int_equal(due_of(d, m), us("2027-03-02T09:00:00Z"));
    int done = 0;
    assert_int_equal(send_pass(d, "snd.test", 10, 0, &done), HAIL_OK);
    assert_int_equal(done, 1);
    char *sent = maildir_one();
    assert_null(strstr(sent, "In-Reply-To:"));
    free(sent);
    clear_maildir();

    at("2027-03-02T09:00:00Z");
    assert_int_equal(pass(d), 1);
    int64_t task =
        one_id(d,
               "SELECT id FROM tasks WHERE member_id = %lld AND type = 'call' AND"
               " name = 'Call' AND status = 'open' AND due_at = %lld AND"
               " assignee_id = %lld AND person_id = %lld AND step_position = 1",
               (long long)m, (long long)us("2027-03-02T09:00:00Z"), (long long)w.rep, (long long)p);
    assert_int_equal(
        one_id(d, "SELECT waiting_task_id FROM campaign_members WHERE id = %lld", (long long)m),
        task);
    assert_int_equal(due_of(d, m), 0);
    /* Waiting: days pass, nothing runs. */
    at("2027-03-05T12:00:00Z");
    assert_int_equal(pass(d), 0);
    assert_int_equal(emails_of(d, m), 1);
    /* Completed on Tuesday the 9th at 10:00: the follow-up is 2 days later
     * at the first email's time (the spacing kept from the completion). */
    at("2027-03-09T10:00:00Z");
    task_done(d, task, "complete");
    assert_int_equal(due_of(d, m), us("2027-03-11T09:00:00Z"));
    at("2027-03-11T09:00:00Z");
    assert_int_equal(pass(d), 1);
    status_is(d, m, "finished", "completed");
    assert_int_equal(emails_of(d, m), 2);
    char *mid1 = one_text(d, "SELECT message_id FROM emails WHERE id = %lld", (long long)e1);
    int64_t e2 = one_id(d, "SELECT id FROM emails WHERE campaign_member_id = %lld AND id <> %lld",
                        (long long)m, (long long)e1);
    char *subj = one_text(d, "SELECT subject FROM emails WHERE id = %lld", (long long)e2);
    assert_string_equal(subj, "Re: Hello Ann");
    char *irt = one_text(d, "SELECT in_reply_to FROM emails WHERE id = %lld", (long long)e2);
    char *refs = one_text(d, "SELECT refs FROM emails WHERE id = %lld", (long long)e2);
    assert_string_equal(irt, mid1);
    assert_string_equal(refs, mid1);
    char *body = one_text(d, "SELECT body_html FROM emails WHERE id = %lld", (long long)e2);
    assert_string_equal(body, "<p>Hi Ann, see <a href=\"https://example.com/x\">this</a></p><br>"
                              "<div class=\"hail-quote\"><p>On 2027-03-01, Rep One &lt;"
                              "rep@sales.example.com&gt; wrote:</p><blockquote type=\"cite\">"
                              "<p>Hi Ann, see <a href=\"https://example.com/x\">this</a></p>"
                              "</blockquote></div>");
    assert_int_equal(send_pass(d, "snd.test", 10, 0, &done), HAIL_OK);
    assert_int_equal(done, 1);
    sent = maildir_one();
    char want[600];
    snprintf(want, sizeof want, "\nIn-Reply-To: %s\n", mid1);
    if (!strstr(sent, want))
        fail_msg("no %s in %s", want, sent);
    snprintf(want, sizeof want, "\nReferences: %s\n", mid1);
    if (!strstr(sent, want))
        fail_msg("no %s in %s", want, sent);
    assert_non_null(strstr(sent, "\nSubject: Re: Hello Ann\n"));
    free(sent);
    free(mid1);
    free(subj);
    free(irt);
    free(refs);
    free(body);
    /* The Send activities carry the campaign. */
    char *attrs = one_text(d,
                           "SELECT attrs FROM activities WHERE email_id = %lld AND type ="
                           " 'email_send'",
                           (long long)e2);
    json_t *a = json_loads(attrs, 0, NULL);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(a, "campaign_name")), "Spring");
    char url[128];
    snprintf(url, sizeof url, "https://hail.example/campaigns/%lld", (long long)c);
    assert_string_equal(json_string_value(json_object_get(a, "campaign_url")), url);
    assert_int_equal(json_integer_value(json_object_get(a, "campaign_id")), c);
    json_decref(a);
    free(attrs);
    assert_int_equal(pass(d), 0);
    clear_maildir();
}

typedef struct racer {
    const char *url;
    int done;
    hail_err e;
    char err[256];
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    db *d = NULL;
    if ((r->e = db_open(r->url, 0, &d))) {
        snprintf(r->err, sizeof r->err, "%s", hail_errmsg());
        return NULL;
    }
    for (int i = 0; i < 200; i++) {
        int n = 0;
        hail_err e = sched_pass(d, "sched.race", 7, &n);
        if (e && e != HAIL_EUNAVAIL) {
            r->e = e;
            snprintf(r->err, sizeof r->err, "%s", hail_errmsg());
            break;
        }
        r->done += n;
    }
    db_close(d);
    return NULL;
}

/* 120 members due at once; two connections pass at the same time, then
 * more passes: one email each, never two. */
static void test_exactly_once(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    world w = make_world(d);
    int64_t c = add_campaign(d, &w, "", "");
    add_step(d, c, 0, 1, "auto_email", w.tmpl, NULL, NULL, 0);
    add_step(d, c, 1, 3, "auto_email", w.tmpl, NULL, NULL, 0);
    at("2027-03-01T10:00:00Z");
    for (int i = 0; i < 120; i++) {
        char mail[64];
        snprintf(mail, sizeof mail, "p%d@example.org", i);
        add_member(d, c, add_person(d, mail, 1));
    }
    at("2027-03-01T10:00:01Z");
    racer a = {.url = x->url}, b = {.url = x->url};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (a.e || b.e)
        fail_msg("racers: %s / %s", a.err, b.err);
    assert_int_equal(a.done + b.done, 120);
    assert_int_equal(pass(d), 0);
    assert_int_equal(
        one_id(d, "SELECT count(*) FROM emails WHERE campaign_id = %lld", (long long)c), 120);
    assert_int_equal(one_id(d,
                            "SELECT count(*) FROM (SELECT campaign_member_id FROM emails WHERE"
                            " campaign_id = %lld GROUP BY campaign_member_id, campaign_step"
                            " HAVING count(*) > 1) x",
                            (long long)c),
                     0);
    assert_int_equal(one_id(d,
                            "SELECT count(*) FROM campaign_members WHERE campaign_id = %lld AND"
                            " step_position = 1 AND next_due_at = %lld",
                            (long long)c, (long long)us("2027-03-03T10:00:00Z")),
                     120);
    /* The second step, in passes of 100. */
    at("2027-03-03T10:00:01Z");
    assert_int_equal(pass(d), 100);
    assert_int_equal(pass(d), 20);
    assert_int_equal(pass(d), 0);
    assert_int_equal(
        one_id(d, "SELECT count(*) FROM emails WHERE campaign_id = %lld", (long long)c), 240);
    assert_int_equal(one_id(d,
                            "SELECT count(*) FROM campaign_members WHERE campaign_id = %lld AND"
                            " status = 'finished' AND next_due_at IS NULL",
                            (long long)c),
                     120);
}

/* At run time: an unsubscribed person ends, an inactive one is removed, an
 * unfilled field makes an email task the member waits on. */
static void test_refused_at_run_time(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t c = add_campaign(d, &w, "", "");
    add_step(d, c, 0, 1, "auto_email", w.tmpl, NULL, NULL, 0);
    int64_t c2 = add_campaign(d, &w, "", "");
    add_step(d, c2, 0, 1, "auto_email", w.tmpl_phone, NULL, NULL, 0);
    add_step(d, c2, 1, 2, "custom", 0, NULL, NULL, 0);
    at("2027-03-01T10:00:00Z");
    int64_t pu = add_person(d, "u@example.org", 1), pi = add_person(d, "i@example.org", 1),
            pf = add_person(d, "f@example.org", 1);
    int64_t mu = add_member(d, c, pu), mi = add_member(d, c, pi), mf = add_member(d, c2, pf);
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(unsub_record(d, pu, "unsubscribe", UNSUB_MANUAL, w.rep, 0), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    /* The unsubscribe already ended its campaigns. */
    status_is(d, mu, "unsubscribed", "unsubscribed");
    exec(d,
         "UPDATE campaign_members SET status = 'active', end_reason = NULL, next_due_at = %lld"
         " WHERE id = %lld",
         (long long)time_now_us(), (long long)mu);
    exec(d, "UPDATE people SET active = 0 WHERE id = %lld", (long long)pi);
    at("2027-03-01T10:00:01Z");
    assert_int_equal(pass(d), 3);
    status_is(d, mu, "unsubscribed", "unsubscribed");
    status_is(d, mi, "removed", "inactive_person");
    status_is(d, mf, "active", NULL);
    assert_int_equal(emails_of(d, mu) + emails_of(d, mi) + emails_of(d, mf), 0);
    char *t = one_text(d,
                       "SELECT type || '|' || name || '|' || details FROM tasks WHERE member_id"
                       " = %lld",
                       (long long)mf);
    assert_string_equal(t, "email|Email: Phone|could not send automatically: fields without a "
                           "value: phone");
    free(t);
    int64_t task = one_id(d, "SELECT id FROM tasks WHERE member_id = %lld", (long long)mf);
    assert_int_equal(due_of(d, mf), 0);
    /* Skipped: the person advances all the same (day 2 at the same time). */
    at("2027-03-01T15:00:00Z");
    task_done(d, task, "skipped");
    assert_int_equal(due_of(d, mf), us("2027-03-02T15:00:00Z"));
}

static void record(db *d, const char *type, int64_t person, json_t *attrs)
{
    assert_int_equal(db_begin(d), HAIL_OK);
    activity a = {.type = type, .person_id = person, .attrs = attrs};
    assert_int_equal(activity_record(d, &a, NULL), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
}

/* Reply, out-of-office, bounce and unsubscribe on the person's members. */
static void test_activities(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t c = add_campaign(d, &w, ", reply_is_success", ", 1");
    add_step(d, c, 0, 1, "auto_email", w.tmpl, NULL, NULL, 0);
    add_step(d, c, 1, 3, "auto_email", w.tmpl, NULL, NULL, 0);
    int64_t keep = add_campaign(d, &w, ", end_on_reply, remove_on_bounce", ", 0, 0");
    add_step(d, keep, 0, 1, "auto_email", w.tmpl, NULL, NULL, 0);
    add_step(d, keep, 1, 3, "auto_email", w.tmpl, NULL, NULL, 0);
    int64_t noooo = add_campaign(d, &w, ", ignore_out_of_office", ", 0");
    add_step(d, noooo, 0, 1, "auto_email", w.tmpl, NULL, NULL, 0);
    add_step(d, noooo, 1, 5, "auto_email", w.tmpl, NULL, NULL, 0);
    at("2027-03-01T10:00:00Z");
    int64_t p1 = add_person(d, "a1@example.org", 1), p2 = add_person(d, "a2@example.org", 1),
            p3 = add_person(d, "a3@example.org", 1), p4 = add_person(d, "a4@example.org", 1);
    int64_t m1 = add_member(d, c, p1), k1 = add_member(d, keep, p1);
    int64_t m2 = add_member(d, c, p2), m3 = add_member(d, c, p3), k3 = add_member(d, keep, p3);
    int64_t m4 = add_member(d, c, p4), n4 = add_member(d, noooo, p4);
    /* A reply: the campaign that ends on reply ends (success), its queued
     * email cancelled; the other goes on. */
    assert_int_equal(pass(d), 7);
    assert_int_equal(emails_of(d, m1), 1);
    record(d, ACT_EMAIL_REPLY, p1, NULL);
    status_is(d, m1, "replied", "replied");
    assert_int_equal(
        one_id(d, "SELECT success FROM campaign_members WHERE id = %lld", (long long)m1), 1);
    assert_int_equal(emails_of(d, m1), 0);
    status_is(d, k1, "active", NULL);
    assert_int_equal(emails_of(d, k1), 1);

    /* Out of office until Thursday the 4th: paused until the 5th, then
     * resumed with its spacing (the step due on the 3rd moves by the 4 days
     * it spent paused). An auto-reply without a date changes nothing. */
    json_t *ret = json_pack("{ss}", "return_date", "2027-03-04");
    record(d, ACT_EMAIL_AUTOREPLY, p2, NULL);
    status_is(d, m2, "active", NULL);
    at("2027-03-01T11:00:00Z");
    record(d, ACT_EMAIL_AUTOREPLY, p2, ret);
    status_is(d, m2, "paused", NULL);
    assert_int_equal(due_of(d, m2), us("2027-03-05T00:00:00Z"));
    char *reason =
        one_text(d, "SELECT pause_reason FROM campaign_members WHERE id = %lld", (long long)m2);
    assert_string_equal(reason, "out_of_office");
    free(reason);
    /* Without ignore_out_of_office it is a reply. */
    record(d, ACT_EMAIL_AUTOREPLY, p4, ret);
    status_is(d, m4, "paused", NULL);
    status_is(d, n4, "replied", "replied");
    json_decref(ret);

    /* A bounce removes where remove_on_bounce; an unsubscribe ends all. */
    record(d, ACT_EMAIL_BOUNCE, p3, NULL);
    status_is(d, m3, "bounced", "bounced");
    status_is(d, k3, "active", NULL);
    record(d, ACT_UNSUBSCRIBE, p3, NULL);
    status_is(d, k3, "unsubscribed", "unsubscribed");
    assert_int_equal(due_of(d, k3), 0);

    at("2027-03-05T00:00:00Z");
    assert_int_equal(pass(d), 3); /* m2 and m4 resume; k1's second step */
    status_is(d, m2, "active", NULL);
    assert_int_equal(due_of(d, m2), us("2027-03-07T10:00:00Z"));
    assert_int_equal(emails_of(d, k1), 2);
}

/* Pause and resume keep the spacing; a paused campaign, an owner on leave
 * and a stopped campaign never run. */
static void test_pause_resume(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    int64_t c = add_campaign(d, &w, "", "");
    add_step(d, c, 0, 1, "auto_email", w.tmpl, "fixed", "09:00", 0);
    add_step(d, c, 1, 3, "auto_email", w.tmpl, "fixed", "09:00", 0);
    at("2027-03-01T08:00:00Z");
    int64_t p = add_person(d, "pr@example.org", 1), q = add_person(d, "q@example.org", 1);
    int64_t m = add_member(d, c, p), n = add_member(d, c, q);
    at("2027-03-01T09:00:00Z");
    assert_int_equal(pass(d), 2);
    assert_int_equal(due_of(d, m), us("2027-03-03T09:00:00Z"));
    /* Paused on the 1st at noon (as B's API does), resumed on the 8th at
     * noon: the second step comes 2 days after the resume. */
    at("2027-03-01T12:00:00Z");
    exec(d,
         "UPDATE campaign_members SET status = 'paused', paused_at = %lld, pause_reason ="
         " 'manual', next_due_at = NULL WHERE id = %lld",
         (long long)time_now_us(), (long long)m);
    at("2027-03-08T12:00:00Z");
    assert_int_equal(pass(d), 1); /* n, late: runs at once */
    assert_int_equal(emails_of(d, n), 2);
    assert_int_equal(emails_of(d, m), 1);
    assert_int_equal(db_begin(d), HAIL_OK);
    exec(d, "UPDATE campaign_members SET status = 'active' WHERE id = %lld", (long long)m);
    assert_int_equal(sched_member_resume(d, m), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    status_is(d, m, "active", NULL);
    assert_int_equal(due_of(d, m), us("2027-03-10T09:00:00Z"));
    assert_int_equal(one_id(d,
                            "SELECT count(*) FROM campaign_members WHERE id = %lld AND paused_at"
                            " IS NULL AND pause_reason IS NULL",
                            (long long)m),
                     1);

    /* The campaign paused: a due member is paused (reason campaign). */
    int64_t r = add_member(d, c, add_person(d, "r@example.org", 1));
    exec(d, "UPDATE campaigns SET status = 'paused' WHERE id = %lld", (long long)c);
    at("2027-03-08T12:00:01Z");
    assert_int_equal(pass(d), 1);
    status_is(d, r, "paused", NULL);
    assert_int_equal(emails_of(d, r), 0);
    exec(d, "UPDATE campaigns SET status = 'active' WHERE id = %lld", (long long)c);
    /* The owner on leave. */
    exec(d, "UPDATE campaign_members SET status = 'active', next_due_at = %lld WHERE id = %lld",
         (long long)time_now_us(), (long long)r);
    exec(d, "UPDATE users SET campaigns_paused_at = %lld WHERE id = %lld", (long long)time_now_us(),
         (long long)w.rep);
    assert_int_equal(pass(d), 1);
    char *reason = one_text(d,
                            "SELECT status || '/' || pause_reason FROM campaign_members WHERE"
                            " id = %lld",
                            (long long)r);
    assert_string_equal(reason, "paused/leave");
    free(reason);
    exec(d, "UPDATE users SET campaigns_paused_at = NULL WHERE id = %lld", (long long)w.rep);
    /* Stopped. */
    exec(d, "UPDATE campaign_members SET status = 'active', next_due_at = %lld WHERE id = %lld",
         (long long)time_now_us(), (long long)r);
    exec(d, "UPDATE campaigns SET status = 'stopped' WHERE id = %lld", (long long)c);
    assert_int_equal(pass(d), 1);
    status_is(d, r, "stopped", "campaign_stopped");
    assert_int_equal(emails_of(d, r), 0);
}

/* The due lookup reads campaign_members_due: over 20,000 memberships of
 * which 3 are due, on each engine's own planner (PostgreSQL after
 * ANALYZE, sequential scans allowed); an idle pass reads nothing else. */
static void test_due_index(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    world w = make_world(d);
    int64_t c = add_campaign(d, &w, "", "");
    add_step(d, c, 0, 1, "auto_email", w.tmpl, NULL, NULL, 0);
    int64_t p = add_person(d, "many@example.org", 1);
    exec(d,
         "INSERT INTO campaign_members (campaign_id, person_id, status, next_due_at, created_at,"
         " updated_at) SELECT %lld, %lld, 'finished', CASE WHEN n %% 6000 = 0 THEN n ELSE NULL"
         " END, 0, 0 FROM %s",
         (long long)c, (long long)p,
         x->pg ? "generate_series(1, 20000) AS g(n)"
               : "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n <"
                 " 20000) SELECT n FROM s)");
    exec(d, "ANALYZE");
    char sql[512];
    snprintf(sql, sizeof sql, "%s %s", x->pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", sched_due_sql(d));
    db_st *st = db_prepare(d, sql);
    assert_non_null(st);
    db_bind_i64(st, 1, 10);
    db_bind_i64(st, 2, 200);
    char plan[4096] = "";
    int found = 0;
    while (db_step(st) == DB_ROW) {
        const char *line = db_col_text(st, x->pg ? 0 : 3);
        found |= line && strstr(line, "campaign_members_due") != NULL;
        size_t used = strlen(plan);
        snprintf(plan + used, sizeof plan - used, "%s | ", line ? line : "");
    }
    db_st_free(st);
    if (!found)
        fail_msg("the due lookup does not use campaign_members_due: %s", plan);
    if (!x->pg)
        assert_null(strstr(plan, "SCAN campaign_members"));
    else
        assert_null(strstr(plan, "Seq Scan"));
    /* 3 due (finished rows: the pass clears them), then idle. */
    at("2027-03-01T10:00:00Z");
    assert_int_equal(pass(d), 3);
    assert_int_equal(pass(d), 0);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_email_task_follow_up), ON_SQLITE(test_exactly_once),
        ON_SQLITE(test_refused_at_run_time),  ON_SQLITE(test_activities),
        ON_SQLITE(test_pause_resume),         ON_SQLITE(test_due_index),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_email_task_follow_up), ON_PG(test_exactly_once), ON_PG(test_refused_at_run_time),
        ON_PG(test_activities),           ON_PG(test_pause_resume), ON_PG(test_due_index),
    };
    int failed =
        cmocka_run_group_tests_name("sched_sqlite", sqlite_tests, group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("sched_pg", pg_tests, group_setup, group_teardown);
    return failed ? 1 : 0;
}
