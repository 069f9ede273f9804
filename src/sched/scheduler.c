#include "core/common.h"

/* The campaign scheduler: sched/scheduler.h, docs/campaigns.md "The
 * scheduler".
 *
 * A pass claims the due members (store/sched.h: next_due_at <= now, by the
 * partial index campaign_members_due) inside one write transaction and, in
 * that same transaction, runs each one's step (an email queued through
 * send_create with in_tx, or a task through task_create_tx) and moves the
 * member on (step_position, next_due_at). The claim, the step's effect and
 * the advance commit together or not at all, so a crash anywhere re-runs
 * nothing that committed and loses nothing that did not: the next pass finds
 * the member still due. PostgreSQL: the claim locks the rows FOR UPDATE SKIP
 * LOCKED, so passes of several nodes share the due members without ever
 * running one twice; SQLite: BEGIN IMMEDIATE serializes the passes.
 */
#include "sched/scheduler.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/cadence.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "mail/mime.h"
#include "mail/send.h"
#include "mail/templates.h"
#include "store/holidays.h"
#include "store/sched.h"
#include "svc/tasks.h"

#define DAY_US       (INT64_C(86400) * US_PER_SEC)
#define RETRY_US     (INT64_C(5) * 60 * US_PER_SEC) /* a member whose step keeps failing */
#define IDLE_US      US_PER_SEC                     /* a pass that found nothing */
#define WORKER_BATCH 200

/* ---- a pass's context: now, the holiday calendar, steps per campaign ---- */

typedef struct camp_steps {
    int64_t campaign_id;
    sched_step *s;
    size_t n;
} camp_steps;

typedef struct ctx {
    db *d;
    int64_t now;
    int64_t hol_from, hol_to; /* days loaded (inclusive); hol_to < hol_from: none */
    int64_t *hol;
    size_t nhol;
    camp_steps *cs;
    size_t ncs, capcs;
    /* the last sender looked up: an owner's first one, and its address */
    int64_t owner_id, owner_sender, addr_sender;
    char addr[320];
} ctx;

static void ctx_init(ctx *c, db *d, int64_t now)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->now = now;
    c->hol_from = 1;
    c->hol_to = 0;
}

static void ctx_free(ctx *c)
{
    free(c->hol);
    for (size_t i = 0; i < c->ncs; i++)
        sched_steps_free(c->cs[i].s, c->cs[i].n);
    free(c->cs);
}

/* The holidays covering from..to (days), loaded once per range. */
static hail_err holidays_cover(ctx *c, int64_t from, int64_t to)
{
    if (from >= c->hol_from && to <= c->hol_to)
        return HAIL_OK;
    int64_t lo = from - 7, hi = to > from + 400 ? to : from + 400;
    int64_t *days = NULL;
    size_t n = 0;
    hail_err e = holidays_days(c->d, lo, hi, &days, &n);
    if (e)
        return e;
    free(c->hol);
    c->hol = days;
    c->nhol = n;
    c->hol_from = lo;
    c->hol_to = hi;
    return HAIL_OK;
}

static hail_err steps_of(ctx *c, int64_t campaign_id, const sched_step **s, size_t *n)
{
    for (size_t i = 0; i < c->ncs; i++)
        if (c->cs[i].campaign_id == campaign_id) {
            *s = c->cs[i].s;
            *n = c->cs[i].n;
            return HAIL_OK;
        }
    if (c->ncs == c->capcs) {
        size_t nc = c->capcs ? c->capcs * 2 : 4;
        camp_steps *v = realloc(c->cs, nc * sizeof *v);
        if (!v)
            return hail_errf(HAIL_ENOMEM, "out of memory");
        c->cs = v;
        c->capcs = nc;
    }
    camp_steps *x = &c->cs[c->ncs];
    hail_err e = sched_steps_load(c->d, campaign_id, &x->s, &x->n);
    if (e)
        return e;
    x->campaign_id = campaign_id;
    c->ncs++;
    *s = x->s;
    *n = x->n;
    return HAIL_OK;
}

static const tz *zone_of(const sched_member *m)
{
    const tz *z = NULL;
    if (tz_get(m->time_zone, &z) != HAIL_OK) {
        log_warn("campaign %lld: unknown time zone '%s': using UTC", (long long)m->campaign_id,
                 m->time_zone);
        tz_get("UTC", &z);
    }
    return z;
}

static int64_t local_day(const tz *z, int64_t us)
{
    civil cv;
    tz_to_local(z, us, &cv);
    return time_days_from_civil(cv.year, cv.month, cv.day);
}

static int local_minute(const tz *z, int64_t us)
{
    civil cv;
    tz_to_local(z, us, &cv);
    return cv.hour * 60 + cv.minute;
}

static int is_email_step(const sched_step *s)
{
    return !strcmp(s->type, "auto_email") || !strcmp(s->type, "manual_email");
}

/* The local minute a step runs at, or -1: the time of day of its base. */
static int step_minute(const tz *z, const sched_member *m, const sched_step *s)
{
    int fixed = cadence_parse_hhmm(s->send_time);
    if (!is_email_step(s))
        return fixed;
    if (!strcmp(s->send_option, "same_as_previous"))
        return m->last_email_at ? local_minute(z, m->last_email_at) : fixed;
    if (!strcmp(s->send_option, "at_launch")) {
        int launch = cadence_parse_hhmm(m->launch_time);
        if (launch >= 0)
            return launch;
        if (fixed >= 0)
            return fixed;
        return local_minute(z, m->start_at ? m->start_at : m->created_at);
    }
    return fixed; /* fixed, task, none */
}

/* When step pos of m is due (m's bases as they are now). */
static hail_err due_of(ctx *c, const sched_member *m, const sched_step *steps, size_t pos,
                       int64_t *due)
{
    const tz *z = zone_of(m);
    const sched_step *s = &steps[pos];
    int64_t base;
    int days;
    if (pos == 0) {
        base = m->start_at ? m->start_at : m->created_at;
        days = s->day - 1;
    } else {
        base = m->last_step_at ? m->last_step_at : c->now;
        days = s->day - steps[pos - 1].day;
    }
    if (days < 0)
        days = 0;
    int64_t bday = local_day(z, base);
    hail_err e = holidays_cover(c, bday - 1, bday + 2 * (int64_t)days + 60);
    if (e)
        return e;
    calendar cal = {.skip_weekends = m->skip_weekends, .holiday = c->hol, .nholiday = c->nhol};
    int64_t not_before = base > c->now ? base : c->now;
    *due = cadence_due(z, &cal, base, days, step_minute(z, m, s), not_before);
    return HAIL_OK;
}

static int live(const sched_member *m)
{
    return !strcmp(m->status, "active") || !strcmp(m->status, "scheduled");
}

/* Ends m: no more steps, its queued emails cancelled, its open tasks
 * skipped. */
static hail_err end_member(ctx *c, const sched_member *m, const char *status, const char *reason,
                           int success)
{
    hail_err e = sched_member_end(c->d, m->id, status, reason, success, c->now);
    if (!e && strcmp(status, "finished") != 0)
        e = sched_member_cancel_emails(c->d, m->id, NULL);
    if (!e && strcmp(status, "finished") != 0)
        e = sched_member_skip_tasks(c->d, m->id, c->now);
    return e;
}

/* Stores m's next due time from its state (m->step_position, bases). */
static hail_err schedule(ctx *c, sched_member *m)
{
    if (!live(m)) {
        int64_t due = !strcmp(m->status, "paused") ? m->paused_until : 0;
        return sched_member_set_due(c->d, m->id, due, c->now);
    }
    if (m->waiting_task_id)
        return sched_member_set_due(c->d, m->id, 0, c->now);
    const sched_step *steps;
    size_t n;
    hail_err e = steps_of(c, m->campaign_id, &steps, &n);
    if (e)
        return e;
    if ((size_t)m->step_position >= n)
        return end_member(c, m, "finished", "completed", 0);
    int64_t due = 0;
    if ((e = due_of(c, m, steps, (size_t)m->step_position, &due)))
        return e;
    m->next_due_at = due;
    return sched_member_set_due(c->d, m->id, due, c->now);
}

/* m moves on past its current step (ran at at): to the next step (or its
 * end) unless it now waits on waiting_task_id. One UPDATE. */
static hail_err advance(ctx *c, sched_member *m, int64_t at, int64_t email_id,
                        int64_t waiting_task_id)
{
    int was_active = !strcmp(m->status, "active");
    snprintf(m->status, sizeof m->status, "active");
    if (waiting_task_id) {
        m->waiting_task_id = waiting_task_id;
    } else {
        m->waiting_task_id = 0;
        m->step_position++;
    }
    m->last_step_at = at;
    if (email_id) {
        m->last_email_id = email_id;
        m->last_email_at = at;
    }
    int64_t due = 0;
    int finish = 0;
    hail_err e = HAIL_OK;
    if (!waiting_task_id) {
        const sched_step *steps;
        size_t n;
        if ((e = steps_of(c, m->campaign_id, &steps, &n)))
            return e;
        if ((size_t)m->step_position >= n)
            finish = 1;
        else if ((e = due_of(c, m, steps, (size_t)m->step_position, &due)))
            return e;
    }
    m->next_due_at = due;
    sched_advance a = {
        .status = was_active ? NULL : "active",
        .step_position = m->step_position,
        .waiting_task_id = m->waiting_task_id,
        .last_email_id = email_id,
        .last_email_at = email_id ? at : 0,
        .last_step_at = at,
        .next_due_at = due,
    };
    e = sched_member_advance(c->d, m->id, &a, c->now);
    if (!e && finish)
        e = end_member(c, m, "finished", "completed", 0);
    return e;
}

/* ---- running a step ---- */

static const char *task_type(const sched_step *s)
{
    if (is_email_step(s))
        return TASK_EMAIL;
    if (!strcmp(s->type, "call"))
        return TASK_CALL;
    if (!strcmp(s->type, "linkedin"))
        return TASK_LINKEDIN;
    return TASK_CUSTOM;
}

static void task_name(const sched_step *s, char *out, size_t n)
{
    if (*s->name)
        snprintf(out, n, "%s", s->name);
    else if (is_email_step(s))
        snprintf(out, n, *s->template_name ? "Email: %s" : "Email", s->template_name);
    else if (!strcmp(s->type, "call"))
        snprintf(out, n, "Call");
    else if (!strcmp(s->type, "linkedin"))
        snprintf(out, n, "%s",
                 !strcmp(s->linkedin_kind, "inmail")    ? "LinkedIn InMail"
                 : !strcmp(s->linkedin_kind, "connect") ? "LinkedIn connection request"
                                                        : "LinkedIn");
    else
        snprintf(out, n, "Task");
}

/* The step becomes a task for the campaign's owner; the member waits on it.
 * why (NULL: none): why an automatic email became a task. */
static hail_err run_task(ctx *c, sched_member *m, const sched_step *s, int64_t due, const char *why)
{
    char name[300];
    task_name(s, name, sizeof name);
    char *details = NULL;
    if (why) {
        size_t len = strlen(why) + strlen(s->details) + 64;
        details = malloc(len);
        if (!details)
            return hail_errf(HAIL_ENOMEM, "out of memory");
        snprintf(details, len, "could not send automatically: %s%s%s", why,
                 *s->details ? "\n\n" : "", s->details);
    }
    task_new t = {
        .type = task_type(s),
        .name = name,
        .details = details ? details : s->details,
        .priority = *s->priority ? s->priority : "normal",
        .person_id = m->person_id,
        .assignee_id = m->owner_id,
        .campaign_id = m->campaign_id,
        .member_id = m->id,
        .template_id = s->template_id,
        .step_position = s->position,
        .due_at = due,
    };
    int64_t id = 0;
    hail_err e = task_create_tx(c->d, &t, &id);
    free(details);
    return e ? e : advance(c, m, due, 0, id);
}

/* Errors of the database (the pass rolls back and tries again) as opposed
 * to ones about the step (it becomes a task). */
static int store_error(hail_err e)
{
    return e == HAIL_EDB || e == HAIL_EUNAVAIL || e == HAIL_ENOMEM || e == HAIL_EIO ||
           e == HAIL_EEXIST || e == HAIL_EBUSY;
}

/* The previous email's body quoted under a follow-up: mustache braces made
 * entities (the template is rendered with it), the text as it was sent. */
static hail_err follow_up_body(const char *body, const sched_thread *t, const char *zone,
                               char **out)
{
    buf b;
    buf_init(&b, (size_t)64 << 20);
    char when[TIME_ISO_LEN];
    time_format_iso(t->at, when);
    (void)zone;
    hail_err e = buf_printf(&b, "%s<br><div class=\"hail-quote\"><p>On %.10s, ", body, when);
    for (const char *p = t->from_name; !e && *p; p++)
        e = *p == '<' ? buf_puts(&b, "&lt;") : *p == '&' ? buf_puts(&b, "&amp;") : buf_putc(&b, *p);
    if (!e)
        e = buf_printf(&b, " &lt;%s&gt; wrote:</p><blockquote type=\"cite\">", t->from_address);
    for (const char *p = t->body_html; !e && *p; p++)
        e = *p == '{'   ? buf_puts(&b, "&#123;")
            : *p == '}' ? buf_puts(&b, "&#125;")
                        : buf_putc(&b, *p);
    if (!e)
        e = buf_puts(&b, "</blockquote></div>");
    if (e) {
        buf_release(&b);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    *out = buf_detach(&b, NULL);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

static hail_err run_email(ctx *c, sched_member *m, const sched_step *s, int64_t due)
{
    int64_t sender = m->sender_id;
    hail_err e = HAIL_OK;
    if (!sender && c->owner_id == m->owner_id) {
        sender = c->owner_sender;
    } else if (!sender) {
        if ((e = sched_owner_sender(c->d, m->owner_id, &sender)))
            return e;
        c->owner_id = m->owner_id;
        c->owner_sender = sender;
    }
    if (!sender)
        return run_task(c, m, s, due, "the campaign's owner has no sender");

    sched_thread t = {0};
    int have_t = 0;
    tmpl tp = {0};
    int have_tp = 0;
    char *subject = NULL, *body = NULL, *refs = NULL;
    send_request r = {
        .user_id = m->owner_id,
        .role = m->owner_role,
        .person_id = m->person_id,
        .sender_id = sender,
        .template_id = s->template_id,
        .send_at = due,
        .time_zone = m->time_zone,
        .in_tx = 1,
        .campaign_id = m->campaign_id,
        .campaign_member_id = m->id,
        .campaign_step = s->position,
    };
    if (s->follow_up && m->last_email_id) {
        if ((e = sched_thread_load(c->d, m->last_email_id, &t))) {
            if (e != HAIL_ENOTFOUND)
                goto out;
            e = HAIL_OK; /* the previous email was cancelled: a new thread */
        } else {
            have_t = 1;
        }
    }
    if (have_t) {
        if (!t.message_id) {
            /* Not handed over yet: give it its Message-ID now. */
            char mid[512];
            if ((e = mime_message_id(m->last_email_id, t.from_address, mid, sizeof mid)) ||
                (e = sched_email_set_message_id(c->d, m->last_email_id, mid)))
                goto out;
            if (!(t.message_id = strdup(mid))) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                goto out;
            }
        }
        if (s->template_id) {
            e = templates_for_use(c->d, s->template_id, m->owner_id, m->owner_role, &tp);
            if (e) {
                if (store_error(e))
                    goto out;
                char why[600];
                snprintf(why, sizeof why, "%s", hail_errmsg());
                e = run_task(c, m, s, due, why);
                goto out;
            }
            have_tp = 1;
        }
        int re = !strncasecmp(t.subject, "re:", 3);
        size_t sl = strlen(t.subject) + 8;
        subject = malloc(sl);
        size_t rl = (t.refs ? strlen(t.refs) : 0) + strlen(t.message_id) + 2;
        refs = malloc(rl);
        if (!subject || !refs) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(subject, sl, "%s%s", re ? "" : "Re: ", t.subject);
        snprintf(refs, rl, "%s%s%s", t.refs ? t.refs : "", t.refs && *t.refs ? " " : "",
                 t.message_id);
        if ((e = follow_up_body(have_tp ? tp.body_html : "", &t, m->time_zone, &body)))
            goto out;
        r.subject = subject;
        r.body_html = body;
        r.in_reply_to = t.message_id;
        r.refs = refs;
    }

    send_result res;
    e = send_create(c->d, &r, &res);
    if (e) {
        if (store_error(e))
            goto out;
        char why[600];
        snprintf(why, sizeof why, "%s", hail_errmsg());
        e = run_task(c, m, s, due, why);
    } else if (res.refused) {
        if (!strcmp(res.refused, SEND_UNSUBSCRIBED))
            e = end_member(c, m, "unsubscribed", "unsubscribed", 0);
        else if (!strcmp(res.refused, SEND_UNFILLED_FIELD))
            e = run_task(c, m, s, due, res.message);
        else /* inactive_person, no_email, blocked_domain */
            e = end_member(c, m, "removed", res.refused, 0);
    } else {
        /* Its Message-ID now, so that a follow-up can thread on it even
         * before it is handed over. */
        char mid[512];
        if (c->addr_sender != sender) {
            if ((e = sched_sender_address(c->d, sender, c->addr, sizeof c->addr)))
                goto out;
            c->addr_sender = sender;
        }
        if (!(e = mime_message_id(res.email_id, c->addr, mid, sizeof mid)) &&
            !(e = sched_email_set_message_id(c->d, res.email_id, mid)))
            e = advance(c, m, due, res.email_id, 0);
    }
out:
    if (have_t)
        sched_thread_free(&t);
    if (have_tp)
        tmpl_free(&tp);
    free(subject);
    free(body);
    free(refs);
    return e;
}

/* us moved by n local days in z, at the same local time of day. */
static int64_t plus_days(const tz *z, int64_t us, int64_t n)
{
    civil cv;
    tz_to_local(z, us, &cv);
    int y, mo, dd;
    time_civil_from_days(time_days_from_civil(cv.year, cv.month, cv.day) + n, &y, &mo, &dd);
    return tz_from_local(z, y, mo, dd, cv.hour, cv.minute) + cv.second * US_PER_SEC +
           us % US_PER_SEC;
}

/* Resumes m (paused): its base (the start, or when its last step ran) moves
 * by the days it spent paused, so the remaining steps keep their designed
 * spacing and time of day from now on instead of arriving at once. */
static hail_err resume(ctx *c, sched_member *m)
{
    int first = m->step_position == 0 || !m->last_step_at;
    int64_t base = first ? (m->start_at ? m->start_at : m->created_at) : m->last_step_at;
    int64_t from = m->paused_at > base ? m->paused_at : base;
    if (m->paused_at && c->now > from) {
        const tz *z = zone_of(m);
        int64_t days = local_day(z, c->now) - local_day(z, from);
        if (days > 0)
            base = plus_days(z, base, days);
    }
    if (first)
        m->start_at = base;
    else
        m->last_step_at = base;
    hail_err e = sched_member_unpause(c->d, m->id, m->start_at, m->last_step_at, c->now);
    if (e)
        return e;
    snprintf(m->status, sizeof m->status, "active");
    m->paused_at = m->paused_until = 0;
    m->pause_reason[0] = '\0';
    return schedule(c, m);
}

/* Runs member id's due step (the caller's transaction). */
static hail_err run_member(ctx *c, int64_t id)
{
    sched_member m;
    hail_err e = sched_member_load(c->d, id, &m);
    if (e)
        return e == HAIL_ENOTFOUND ? HAIL_OK : e;
    if (!m.next_due_at || m.next_due_at > c->now)
        return HAIL_OK; /* moved meanwhile */
    if (!strcmp(m.status, "paused")) {
        if (m.paused_until && m.paused_until <= c->now)
            return resume(c, &m);
        return sched_member_set_due(c->d, m.id, 0, c->now);
    }
    if (!live(&m))
        return sched_member_set_due(c->d, m.id, 0, c->now);
    if (!strcmp(m.campaign_status, "stopped"))
        return end_member(c, &m, "stopped", "campaign_stopped", 0);
    if (!strcmp(m.campaign_status, "paused"))
        return sched_member_pause(c->d, m.id, "campaign", 0, c->now);
    if (m.owner_paused_at)
        return sched_member_pause(c->d, m.id, "leave", 0, c->now);
    if (m.waiting_task_id)
        return sched_member_set_due(c->d, m.id, 0, c->now);
    const sched_step *steps;
    size_t n;
    if ((e = steps_of(c, m.campaign_id, &steps, &n)))
        return e;
    if ((size_t)m.step_position >= n)
        return end_member(c, &m, "finished", "completed", 0);
    const sched_step *s = &steps[m.step_position];

    /* Nothing runs on a day that is not a business day where the person is
     * (a holiday added after the step was scheduled, a weekend reached
     * late): the same time on the next business day. */
    const tz *z = zone_of(&m);
    int64_t today = local_day(z, c->now);
    if ((e = holidays_cover(c, today - 1, today + 60)))
        return e;
    calendar cal = {.skip_weekends = m.skip_weekends, .holiday = c->hol, .nholiday = c->nhol};
    if (!cal_is_business_day(&cal, today)) {
        int minute = step_minute(z, &m, s);
        if (minute < 0)
            minute = local_minute(z, m.next_due_at);
        int64_t due = cadence_due(z, &cal, c->now, 0, minute, c->now);
        return sched_member_set_due(c->d, m.id, due, c->now);
    }

    int64_t due = m.next_due_at;
    if (!strcmp(s->type, "auto_email") && strcmp(s->send_option, "task") != 0)
        return run_email(c, &m, s, due);
    return run_task(c, &m, s, due, NULL);
}

/* ---- the pass ---- */

/* Runs the claimed members in the caller's transaction, for at most
 * TX_MAX_US (at least one): *ran gets how many. The rest stay due for the
 * next pass (a transaction holds SQLite's write lock, or PostgreSQL's row
 * locks, only that long; a crash loses at most that much work, to be done
 * again). */
#define TX_MAX_US (INT64_C(100) * 1000)
static hail_err batch_tx(db *d, const int64_t *ids, int n, int64_t now, int *ran)
{
    ctx c;
    ctx_init(&c, d, now);
    hail_err e = HAIL_OK;
    int64_t t0 = time_mono_us();
    *ran = 0;
    for (int i = 0; i < n && !e; i++) {
        if (i && time_mono_us() - t0 > TX_MAX_US)
            break;
        if (!(e = run_member(&c, ids[i])))
            (*ran)++;
    }
    ctx_free(&c);
    return e;
}

hail_err sched_pass(db *d, const char *owner, int batch, int *done)
{
    *done = 0;
    if (batch <= 0)
        return HAIL_OK;
    int64_t now = time_now_us();
    int due = sched_due_exists(d, now);
    if (due <= 0)
        return due < 0 ? HAIL_EDB : HAIL_OK;
    int64_t *ids = calloc((size_t)batch, sizeof *ids);
    if (!ids)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    int n = 0, ran = 0;
    hail_err e = db_begin(d);
    if (!e)
        e = sched_due_claim(d, now, batch, ids, &n);
    if (!e)
        e = batch_tx(d, ids, n, now, &ran);
    if (!e)
        e = db_commit(d);
    if (!e) {
        *done = ran;
        free(ids);
        return HAIL_OK;
    }
    if (db_in_tx(d))
        db_rollback(d);
    if (db_last_error(d) == DB_ERR_CONNECTION || n <= 1 || e == HAIL_EUNAVAIL) {
        free(ids);
        return e;
    }
    /* One member may be what fails: each on its own, and one that fails
     * alone waits RETRY_US (logged) instead of holding up the others. */
    log_warn("scheduler %s: a batch of %d failed (%s): running them one by one", owner, n,
             hail_errmsg());
    e = HAIL_OK;
    for (int i = 0; i < n && !e; i++) {
        int one_ran = 0;
        hail_err one = db_begin(d);
        if (!one)
            one = batch_tx(d, &ids[i], 1, now, &one_ran);
        if (!one)
            one = db_commit(d);
        if (!one) {
            (*done)++;
            continue;
        }
        if (db_in_tx(d))
            db_rollback(d);
        if (db_last_error(d) == DB_ERR_CONNECTION || one == HAIL_EUNAVAIL) {
            e = one;
            break;
        }
        log_warn("scheduler: campaign member %lld: %s; trying again in 5 minutes",
                 (long long)ids[i], hail_errmsg());
        if (!(e = db_begin(d)) && !(e = sched_member_set_due(d, ids[i], now + RETRY_US, now)))
            e = db_commit(d);
        if (e && db_in_tx(d))
            db_rollback(d);
    }
    free(ids);
    return e;
}

/* ---- called inside the caller's transaction ---- */

hail_err sched_member_schedule(db *d, int64_t member_id)
{
    ctx c;
    ctx_init(&c, d, time_now_us());
    sched_member m;
    hail_err e = sched_member_load(d, member_id, &m);
    if (!e)
        e = schedule(&c, &m);
    ctx_free(&c);
    return e;
}

hail_err sched_member_resume(db *d, int64_t member_id)
{
    ctx c;
    ctx_init(&c, d, time_now_us());
    sched_member m;
    hail_err e = sched_member_load(d, member_id, &m);
    if (!e && (!strcmp(m.status, "active") || !strcmp(m.status, "paused")))
        e = resume(&c, &m);
    ctx_free(&c);
    return e;
}

hail_err sched_task_done(db *d, int64_t task_id, int skipped)
{
    (void)skipped; /* skipped or completed, the person advances */
    int64_t member_id = 0, email_id = 0;
    int pos = 0;
    hail_err e = sched_task_info(d, task_id, &member_id, &pos, &email_id);
    if (e || !member_id)
        return e;
    ctx c;
    ctx_init(&c, d, time_now_us());
    sched_member m;
    e = sched_member_load(d, member_id, &m);
    if (e == HAIL_ENOTFOUND) {
        e = HAIL_OK;
        goto out;
    }
    if (e || m.waiting_task_id != task_id || m.step_position != pos)
        goto out;
    if (live(&m)) {
        e = advance(&c, &m, c.now, email_id, 0);
    } else if (!strcmp(m.status, "paused")) {
        /* Advances; its resume schedules the next step. */
        sched_advance a = {
            .status = "paused",
            .step_position = pos + 1,
            .last_email_id = email_id,
            .last_email_at = email_id ? c.now : 0,
            .last_step_at = c.now,
            .next_due_at = m.paused_until,
        };
        e = sched_member_advance(d, m.id, &a, c.now);
    }
out:
    ctx_free(&c);
    return e;
}

/* The moment the day after a "YYYY-MM-DD" return date begins in z (0 when
 * the date is not one). */
static int64_t day_after(const tz *z, const char *date)
{
    int64_t us = 0;
    if (!date || strlen(date) != 10 || time_parse_iso(date, 10, &us))
        return 0;
    return tz_day_start(z, us / DAY_US + 1);
}

hail_err sched_on_activity(db *d, const activity *a, int64_t activity_id)
{
    (void)activity_id;
    int reply = !strcmp(a->type, ACT_EMAIL_REPLY),
        auto_reply = !strcmp(a->type, ACT_EMAIL_AUTOREPLY);
    int bounce = !strcmp(a->type, ACT_EMAIL_BOUNCE), unsub = !strcmp(a->type, ACT_UNSUBSCRIBE);
    if (!reply && !auto_reply && !bounce && !unsub)
        return HAIL_OK;
    int64_t *ids = NULL;
    size_t n = 0;
    hail_err e = sched_person_members(d, a->person_id, &ids, &n);
    if (e || !n) {
        free(ids);
        return e;
    }
    ctx c;
    ctx_init(&c, d, time_now_us());
    const char *ret = json_string_value(json_object_get(a->attrs, "return_date"));
    for (size_t i = 0; i < n && !e; i++) {
        sched_member m;
        if ((e = sched_member_load(d, ids[i], &m)))
            break;
        if (unsub) {
            e = end_member(&c, &m, "unsubscribed", "unsubscribed", 0);
        } else if (bounce) {
            if (m.remove_on_bounce)
                e = end_member(&c, &m, "bounced", "bounced", 0);
        } else if (reply || !m.ignore_out_of_office) {
            if (m.end_on_reply)
                e = end_member(&c, &m, "replied", "replied", m.reply_is_success);
        } else if (live(&m)) {
            /* An out-of-office answer: never a reply; with a return date the
             * person pauses until the day after it. */
            int64_t until = day_after(zone_of(&m), ret);
            if (until > c.now)
                e = sched_member_pause(d, m.id, "out_of_office", until, c.now);
        }
    }
    ctx_free(&c);
    free(ids);
    return e;
}

/* ---- the worker of `hail serve` ---- */

static atomic_int workers_stop;

static struct {
    pthread_mutex_t mu;
    pthread_t thread;
    int running;
    char *target;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *worker_main(void *arg)
{
    (void)arg;
    char owner[64];
    snprintf(owner, sizeof owner, "sched.%ld", (long)getpid());
    db *d = NULL;
    while (!atomic_load(&workers_stop)) {
        if (!d && db_open(W.target, 0, &d)) {
            log_warn("scheduler: %s", hail_errmsg());
            d = NULL;
            time_sleep_us(IDLE_US, &workers_stop);
            continue;
        }
        int64_t t0 = time_mono_us();
        int done = 0;
        hail_err e = sched_pass(d, owner, WORKER_BATCH, &done);
        log_debug("scheduler: pass ran %d steps in %.3f ms", done,
                  (double)(time_mono_us() - t0) / 1000.0);
        if (e) {
            log_warn("scheduler: %s", hail_errmsg());
            if (db_last_error(d) == DB_ERR_CONNECTION) {
                db_close(d);
                d = NULL;
            }
            time_sleep_us(IDLE_US, &workers_stop);
        } else if (!done) {
            /* Nothing was due: what falls due next is found within a
             * second. */
            time_sleep_us(IDLE_US, &workers_stop);
        }
    }
    db_close(d);
    return NULL;
}

hail_err sched_workers_start(const char *target)
{
    mime_init();
    pthread_mutex_lock(&W.mu);
    hail_err e = HAIL_OK;
    if (W.running)
        goto out;
    atomic_store(&workers_stop, 0);
    if (!(W.target = strdup(target))) {
        e = hail_errf(HAIL_ENOMEM, "out of memory");
        goto out;
    }
    if (pthread_create(&W.thread, NULL, worker_main, NULL) != 0) {
        free(W.target);
        W.target = NULL;
        e = hail_errf(HAIL_EIO, "cannot start the scheduler thread");
        goto out;
    }
    W.running = 1;
out:
    pthread_mutex_unlock(&W.mu);
    if (e)
        log_error("the scheduler did not start: %s", hail_errmsg());
    return e;
}

void sched_workers_stop(void)
{
    pthread_mutex_lock(&W.mu);
    atomic_store(&workers_stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    if (W.running)
        pthread_join(W.thread, NULL);
    W.running = 0;
    free(W.target);
    W.target = NULL;
    pthread_mutex_unlock(&W.mu);
}
