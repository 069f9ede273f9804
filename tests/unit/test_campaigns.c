#include "core/common.h"

/* Unit tests for svc/campaigns and store/campaigns, on SQLite and
 * PostgreSQL: the checks of a campaign's steps (whole messages), who sees a
 * campaign (private / teams / everyone; managers their teams' users'; admins
 * all) and who may change it, adding people with a reason per refused person
 * and the Add activity in the same transaction (a failed add leaves
 * nothing), a person at most once at a time, pause and resume of a person,
 * a campaign and a leave, stop (people stopped, open campaign tasks skipped,
 * Remove activities), delete only without people, and the report's numbers
 * (human events only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "svc/campaigns.h"
#include "svc/settings.h"
#define ENGINE_FIXTURE_NAME "campaigns"
#include "engine_fixture.h"

static int group_setup(void **state)
{
    (void)state;
    hail_settings s = *settings();
    s.public_url = "https://hail.example";
    settings_set(&s);
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

static int64_t q(db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t q(db *d, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return one_id(d, sql);
}

static void exec(db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void exec(db *d, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    assert_int_equal(db_exec(d, sql), HAIL_OK);
}

typedef struct world {
    int64_t admin, rep, mate, other, boss;
    int64_t tpl, tpl_prompt, tpl_other;
    int64_t ann, bob, inactive, nomail, unsub;
} world;

static int64_t add_user(db *d, const char *email, const char *name, const char *role)
{
    return q(d,
             "INSERT INTO users (email, name, role, created_at, updated_at)"
             " VALUES ('%s', '%s', '%s', 0, 0) RETURNING id",
             email, name, role);
}

static int64_t add_person(db *d, int64_t mkto, const char *email, int active)
{
    return q(d,
             "INSERT INTO people (marketo_id, first_name, last_name, email, active, created_at,"
             " updated_at) VALUES (%lld, 'P%lld', 'L', %s%s%s, %d, 0, 0) RETURNING id",
             (long long)mkto, (long long)mkto, email ? "'" : "", email ? email : "NULL",
             email ? "'" : "", active);
}

static int64_t add_template(db *d, int64_t owner, const char *body)
{
    return q(d,
             "INSERT INTO templates (owner_id, name, subject, body_html, sharing, commercial,"
             " archived, created_at, updated_at) VALUES (%lld, 'T', 'Hello', '%s', 'private', 1,"
             " 0, 0, 0) RETURNING id",
             (long long)owner, body);
}

static world make_world(db *d)
{
    world w;
    w.admin = add_user(d, "admin@example.com", "Ada Admin", "admin");
    w.rep = add_user(d, "rep@example.com", "Rita Rep", "rep");
    w.mate = add_user(d, "mate@example.com", "Mo Mate", "rep");
    w.other = add_user(d, "other@example.com", "Olga Other", "rep");
    w.boss = add_user(d, "boss@example.com", "Bea Boss", "manager");
    int64_t east = q(d, "INSERT INTO teams (name, created_at) VALUES ('east', 0) RETURNING id");
    exec(d,
         "INSERT INTO team_members (team_id, user_id) VALUES (%lld, %lld), (%lld, %lld),"
         " (%lld, %lld)",
         (long long)east, (long long)w.rep, (long long)east, (long long)w.mate, (long long)east,
         (long long)w.boss);
    w.tpl = add_template(d, w.rep, "<p>Hi {{first_name}}</p>");
    w.tpl_prompt = add_template(d, w.rep, "<p>{{! a line about them}}</p>");
    w.tpl_other = add_template(d, w.other, "<p>Hi</p>");
    w.ann = add_person(d, 1, "ann@x.example", 1);
    w.bob = add_person(d, 2, "bob@x.example", 1);
    w.inactive = add_person(d, 3, "cy@x.example", 0);
    w.nomail = add_person(d, 4, NULL, 1);
    w.unsub = add_person(d, 5, "eve@x.example", 1);
    exec(d, "INSERT INTO people_unsubscribed (person_id, since, source) VALUES (%lld, 1, 'api')",
         (long long)w.unsub);
    return w;
}

static camp_user as(int64_t id, const char *role)
{
    camp_user u = {id, role};
    return u;
}

/* A two-step campaign of u's (day 1 automatic email, day 3 call). */
static int64_t campaign(db *d, const world *w, const camp_user *u, const char *sharing)
{
    camp_step steps[] = {
        {.day = 1, .type = "auto_email", .template_id = w->tpl, .send_time = "09:30"},
        {.day = 3, .type = "call", .name = "Call"},
    };
    camp_patch p;
    camp_patch_init(&p);
    p.name = "Q4";
    p.sharing = sharing;
    p.steps = steps;
    p.nsteps = 2;
    p.has_steps = 1;
    camp_refusal ref;
    int64_t id = 0;
    assert_int_equal(campaign_create(d, u, &p, &ref, &id), HAIL_OK);
    assert_int_equal(ref.status, 0);
    return id;
}

static void expect_refusal(db *d, const world *w, const camp_step *steps, size_t n,
                           const char *code, const char *message)
{
    camp_user u = as(w->rep, "rep");
    camp_patch p;
    camp_patch_init(&p);
    p.name = "Bad";
    p.steps = steps;
    p.nsteps = n;
    p.has_steps = 1;
    camp_refusal ref;
    int64_t id = 0;
    assert_int_equal(campaign_create(d, &u, &p, &ref, &id), HAIL_OK);
    assert_int_equal(ref.status, 422);
    assert_string_equal(ref.code, code);
    assert_string_equal(ref.message, message);
}

static void test_step_checks(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    char msg[256];
    camp_step order[] = {{.day = 3, .type = "call"}, {.day = 2, .type = "custom"}};
    expect_refusal(d, &w, order, 2, "invalid_step",
                   "steps[1] is on day 2, before steps[0]'s day 3: days must not decrease along "
                   "the list");
    camp_step prompt[] = {{.day = 1, .type = "auto_email", .template_id = w.tpl_prompt}};
    snprintf(msg, sizeof msg,
             "template %lld has field prompts; an automatic email step cannot fill them: use a "
             "manual email step",
             (long long)w.tpl_prompt);
    expect_refusal(d, &w, prompt, 1, "template_has_prompts", msg);
    camp_step theirs[] = {{.day = 1, .type = "manual_email", .template_id = w.tpl_other}};
    snprintf(msg, sizeof msg,
             "steps[0]: no template with id %lld that the campaign's owner may use",
             (long long)w.tpl_other);
    expect_refusal(d, &w, theirs, 1, "template_not_found", msg);
    camp_step fixed[] = {
        {.day = 1, .type = "auto_email", .template_id = w.tpl, .send_option = "fixed"}};
    expect_refusal(d, &w, fixed, 1, "invalid_step",
                   "steps[0]: send_option fixed needs a send_time (HH:MM)");
    camp_step follow[] = {{.day = 1, .type = "call"},
                          {.day = 2, .type = "auto_email", .template_id = w.tpl, .follow_up = 1}};
    expect_refusal(d, &w, follow, 2, "invalid_step",
                   "steps[1]: follow_up needs an earlier email step to follow");
    /* fine: a prompt template in a manual step or an automatic step made a task */
    camp_step ok[] = {
        {.day = 1, .type = "manual_email", .template_id = w.tpl_prompt},
        {.day = 1, .type = "auto_email", .template_id = w.tpl_prompt, .send_option = "task"},
        {.day = 2, .type = "auto_email", .template_id = w.tpl, .follow_up = 1},
    };
    camp_refusal ref;
    memset(&ref, 0, sizeof ref);
    assert_int_equal(campaign_check_steps(d, w.rep, ok, 3, &ref), HAIL_OK);
    assert_int_equal(ref.status, 0);
    /* nothing was written by the refused ones */
    assert_int_equal(q(d, "SELECT count(*) FROM campaigns"), 0);
    /* a new campaign's defaults: the owner's time zone, the default send option */
    camp_user rep = as(w.rep, "rep");
    int64_t id = campaign(d, &w, &rep, "private");
    json_t *c = NULL;
    assert_int_equal(campaign_get(d, &rep, id, &c), HAIL_OK);
    assert_string_equal(json_string_value(json_object_get(c, "name")), "Q4");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c, "settings"), "time_zone")), "UTC");
    json_t *s0 = json_array_get(json_object_get(c, "steps"), 0);
    assert_string_equal(json_string_value(json_object_get(s0, "send_option")), "fixed");
    assert_int_equal(json_integer_value(json_object_get(c, "days")), 3);
    json_decref(c);
}

static int64_t page_count(db *d, int64_t user, const char *role, const char *view)
{
    camp_user u = as(user, role);
    json_t *a = NULL;
    int64_t next = 0;
    assert_int_equal(campaign_list(d, &u, view, NULL, NULL, 0, 50, &a, &next), HAIL_OK);
    int64_t n = (int64_t)json_array_size(a);
    json_decref(a);
    return n;
}

static void test_visibility(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    camp_user rep = as(w.rep, "rep"), mate = as(w.mate, "rep"), other = as(w.other, "rep"),
              boss = as(w.boss, "manager"), admin = as(w.admin, "admin");
    int64_t priv = campaign(d, &w, &rep, "private");
    campaign(d, &w, &rep, "teams");
    campaign(d, &w, &rep, "everyone");
    assert_int_equal(page_count(d, w.rep, "rep", NULL), 3);
    assert_int_equal(page_count(d, w.mate, "rep", NULL), 2);
    assert_int_equal(page_count(d, w.mate, "rep", "mine"), 0);
    assert_int_equal(page_count(d, w.other, "rep", NULL), 1);
    assert_int_equal(page_count(d, w.boss, "manager", NULL), 3);
    assert_int_equal(page_count(d, w.admin, "admin", "shared"), 3);
    json_t *c = NULL;
    assert_int_equal(campaign_get(d, &other, priv, &c), HAIL_ENOTFOUND);
    char msg[64];
    snprintf(msg, sizeof msg, "no campaign with id %lld", (long long)priv);
    assert_string_equal(hail_errmsg(), msg);
    assert_int_equal(campaign_get(d, &boss, priv, &c), HAIL_OK);
    json_decref(c);
    camp_patch p;
    camp_patch_init(&p);
    p.name = "Renamed";
    camp_refusal ref;
    assert_int_equal(campaign_update(d, &boss, priv, &p, &ref), HAIL_EFORBIDDEN);
    snprintf(msg, sizeof msg, "only the campaign's owner or an admin may change campaign %lld",
             (long long)priv);
    assert_string_equal(hail_errmsg(), msg);
    assert_int_equal(campaign_update(d, &mate, priv, &p, &ref), HAIL_ENOTFOUND);
    assert_int_equal(campaign_update(d, &admin, priv, &p, &ref), HAIL_OK);
    assert_int_equal(ref.status, 0);
    /* delete: only without people */
    assert_int_equal(campaign_delete(d, &rep, priv, &ref), HAIL_OK);
    assert_int_equal(ref.status, 0);
    assert_int_equal(q(d, "SELECT count(*) FROM campaigns WHERE id = %lld", (long long)priv), 0);
    int64_t used = campaign(d, &w, &rep, "private");
    camp_add_result res[1];
    int64_t ann = w.ann;
    assert_int_equal(campaign_members_add(d, &rep, used, &ann, 1, 0, NULL, res, &ref), HAIL_OK);
    assert_int_equal(campaign_delete(d, &rep, used, &ref), HAIL_OK);
    assert_int_equal(ref.status, 409);
    assert_string_equal(ref.code, "in_use");
}

static void test_add_with_reasons(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    camp_user rep = as(w.rep, "rep");
    int64_t id = campaign(d, &w, &rep, "private");
    int64_t ids[] = {w.ann, w.inactive, w.nomail, w.unsub, 987654, w.ann};
    camp_add_result res[6];
    camp_refusal ref;
    assert_int_equal(campaign_members_add(d, &rep, id, ids, 6, 0, "10:00", res, &ref), HAIL_OK);
    assert_int_equal(ref.status, 0);
    assert_true(res[0].member_id > 0);
    const char *reasons[] = {NULL,           "inactive_person", "no_email",
                             "unsubscribed", "not_found",       "already_in_campaign"};
    for (size_t i = 1; i < 6; i++) {
        assert_int_equal(res[i].member_id, 0);
        assert_string_equal(res[i].reason, reasons[i]);
    }
    char msg[200];
    snprintf(msg, sizeof msg, "person %lld (eve@x.example) has unsubscribed", (long long)w.unsub);
    assert_string_equal(res[3].message, msg);
    snprintf(msg, sizeof msg, "person %lld is already in campaign %lld", (long long)w.ann,
             (long long)id);
    assert_string_equal(res[5].message, msg);
    /* the member and its activity, with §8's attributes */
    assert_int_equal(q(d,
                       "SELECT count(*) FROM campaign_members WHERE campaign_id = %lld"
                       " AND status = 'active' AND launch_time = '10:00'",
                       (long long)id),
                     1);
    db_st *st = db_prepare(d, "SELECT attrs, user_id FROM activities WHERE type = 'campaign_add'");
    assert_non_null(st);
    assert_int_equal(db_step(st), DB_ROW);
    json_t *attrs = json_loads(db_col_text(st, 0), 0, NULL);
    assert_int_equal(db_col_i64(st, 1), w.rep);
    db_st_free(st);
    char url[128];
    snprintf(url, sizeof url, "https://hail.example/campaigns/%lld", (long long)id);
    json_t *want = json_pack("{sI ss ss ss ss}", "campaign_id", (json_int_t)id, "campaign_name",
                             "Q4", "campaign_url", url, "sent_by", "Rita Rep", "source", "hail");
    assert_true(json_equal(attrs, want));
    json_decref(attrs);
    json_decref(want);
    /* a stopped campaign takes nobody, and a failed add leaves nothing */
    assert_int_equal(campaign_action(d, &rep, id, "stop", &ref), HAIL_OK);
    int64_t bob = w.bob;
    assert_int_equal(campaign_members_add(d, &rep, id, &bob, 1, 0, NULL, res, &ref), HAIL_OK);
    assert_int_equal(ref.status, 409);
    snprintf(msg, sizeof msg, "campaign %lld is stopped: no one can be added", (long long)id);
    assert_string_equal(ref.message, msg);
    assert_int_equal(
        q(d, "SELECT count(*) FROM campaign_members WHERE person_id = %lld", (long long)w.bob), 0);
    /* Ann's stopped membership does not keep her from another campaign */
    int64_t id2 = campaign(d, &w, &rep, "private");
    int64_t ann = w.ann;
    assert_int_equal(campaign_members_add(d, &rep, id2, &ann, 1, 0, NULL, res, &ref), HAIL_OK);
    assert_true(res[0].member_id > 0);
}

static int64_t member_status_count(db *d, int64_t campaign_id, const char *status,
                                   const char *reason)
{
    return q(d,
             "SELECT count(*) FROM campaign_members WHERE campaign_id = %lld AND status = '%s'"
             " AND coalesce(pause_reason, '') = '%s'",
             (long long)campaign_id, status, reason);
}

static void test_pause_resume_stop_leave(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    camp_user rep = as(w.rep, "rep"), mate = as(w.mate, "rep"), admin = as(w.admin, "admin");
    int64_t id = campaign(d, &w, &rep, "teams");
    int64_t ids[] = {w.ann, w.bob};
    camp_add_result res[2];
    camp_refusal ref;
    assert_int_equal(campaign_members_add(d, &rep, id, ids, 2, 0, NULL, res, &ref), HAIL_OK);
    int64_t m1 = res[0].member_id;
    json_t *m = NULL;
    /* a teammate sees it but may not pause a person they did not add */
    assert_int_equal(campaign_member_action(d, &mate, id, m1, "pause", &ref, &m), HAIL_EFORBIDDEN);
    assert_int_equal(campaign_member_action(d, &rep, id, m1, "pause", &ref, &m), HAIL_OK);
    assert_string_equal(json_string_value(json_object_get(m, "pause_reason")), "manual");
    json_decref(m);
    /* the campaign pauses its active people (reason campaign), not the manual one */
    assert_int_equal(campaign_action(d, &rep, id, "pause", &ref), HAIL_OK);
    assert_int_equal(member_status_count(d, id, "paused", "campaign"), 1);
    assert_int_equal(member_status_count(d, id, "paused", "manual"), 1);
    assert_int_equal(campaign_member_action(d, &rep, id, m1, "resume", &ref, &m), HAIL_OK);
    assert_int_equal(ref.status, 409);
    assert_int_equal(campaign_action(d, &rep, id, "resume", &ref), HAIL_OK);
    assert_int_equal(ref.status, 0);
    assert_int_equal(member_status_count(d, id, "active", ""), 1);
    assert_int_equal(member_status_count(d, id, "paused", "manual"), 1);
    /* leave: the rep's active people pause; resume brings back only those */
    size_t n = 0;
    assert_int_equal(campaign_leave(d, &rep, 1, &n), HAIL_OK);
    assert_int_equal(n, 1);
    int64_t since = 0;
    assert_int_equal(campaign_leave_since(d, w.rep, &since), HAIL_OK);
    assert_true(since > 0);
    assert_int_equal(member_status_count(d, id, "paused", "leave"), 1);
    assert_int_equal(campaign_leave(d, &rep, 0, &n), HAIL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(campaign_leave_since(d, w.rep, &since), HAIL_OK);
    assert_int_equal(since, 0);
    assert_int_equal(member_status_count(d, id, "paused", "manual"), 1);
    /* stop (an admin): everyone stopped, open campaign tasks skipped, Remove activities */
    exec(d,
         "INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, member_id,"
         " step_position, due_at, created_at, updated_at) VALUES ('call', 'Call', %lld, %lld,"
         " %lld, %lld, 1, 0, 0, 0)",
         (long long)w.ann, (long long)w.rep, (long long)id, (long long)m1);
    assert_int_equal(campaign_action(d, &admin, id, "stop", &ref), HAIL_OK);
    assert_int_equal(ref.status, 0);
    assert_int_equal(member_status_count(d, id, "stopped", "manual") +
                         member_status_count(d, id, "stopped", ""),
                     2);
    assert_int_equal(q(d,
                       "SELECT count(*) FROM tasks WHERE status = 'skipped' AND completed_by"
                       " = %lld",
                       (long long)w.admin),
                     1);
    assert_int_equal(q(d, "SELECT count(*) FROM activities WHERE type = 'campaign_remove'"), 2);
    assert_int_equal(campaign_action(d, &rep, id, "pause", &ref), HAIL_OK);
    assert_int_equal(ref.status, 409);
    char msg[64];
    snprintf(msg, sizeof msg, "campaign %lld is stopped", (long long)id);
    assert_string_equal(ref.message, msg);
    /* remove: a person no longer in it is a 409 alone, passed over in bulk */
    size_t removed = 0;
    assert_int_equal(campaign_members_remove(d, &rep, id, &m1, 1, 1, &removed, &ref), HAIL_OK);
    assert_int_equal(ref.status, 409);
    assert_int_equal(campaign_members_remove(d, &rep, id, &m1, 1, 0, &removed, &ref), HAIL_OK);
    assert_int_equal(removed, 0);
}

static void test_report_human_only(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    camp_user rep = as(w.rep, "rep");
    int64_t id = campaign(d, &w, &rep, "private");
    int64_t sender = q(d,
                       "INSERT INTO senders (user_id, address, display_name, channel_id,"
                       " created_at, updated_at) VALUES (%lld, 'r@s.example', 'R', 1, 0, 0)"
                       " RETURNING id",
                       (long long)w.rep);
    /* step 0: three sent, one opened by a person, one only by a machine, one
     * clicked, one replied, one bounced */
    const char *rows[] = {"1, 0, 1, 0, 1, NULL, 'sent'", "0, 3, 0, 0, NULL, NULL, 'sent'",
                          "0, 0, 0, 2, NULL, 1, 'bounced'"};
    for (size_t i = 0; i < 3; i++)
        exec(d,
             "INSERT INTO emails (person_id, user_id, sender_id, channel_id, to_address,"
             " to_domain, subject, body_html, campaign_id, campaign_step, sent_at, opens,"
             " machine_opens, clicks, machine_clicks, replied_at, bounced_at, status,"
             " created_at, updated_at) VALUES (%lld, %lld, %lld, 1, 'a@x.example',"
             " 'x.example', 'S', 'B', %lld, 0, 1, %s, 0, 0)",
             (long long)w.ann, (long long)w.rep, (long long)sender, (long long)id, rows[i]);
    json_t *r = NULL;
    assert_int_equal(campaign_report(d, &rep, id, &r), HAIL_OK);
    json_t *s0 = json_array_get(json_object_get(r, "steps"), 0);
    json_t *want = json_pack("{sI sI ss si si si si si si si si}", "position", (json_int_t)0, "day",
                             (json_int_t)1, "type", "auto_email", "sent", 3, "opened", 1, "clicked",
                             1, "replied", 1, "bounced", 1, "tasks_open", 0, "tasks_completed", 0,
                             "tasks_skipped", 0);
    assert_true(json_equal(s0, want));
    json_decref(want);
    assert_int_equal(json_array_size(json_object_get(r, "steps")), 2);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_step_checks),       ON_SQLITE(test_visibility),
        ON_SQLITE(test_add_with_reasons),  ON_SQLITE(test_pause_resume_stop_leave),
        ON_SQLITE(test_report_human_only),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_step_checks),       ON_PG(test_visibility),
        ON_PG(test_add_with_reasons),  ON_PG(test_pause_resume_stop_leave),
        ON_PG(test_report_human_only),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, group_setup, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, group_setup, NULL);
    return failed ? 1 : 0;
}
