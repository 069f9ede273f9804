#include "core/common.h"

#include "svc/campaigns.h"

#include <stdarg.h>

#include "core/cadence.h"
#include "core/timeutil.h"
#include "mail/render.h"
#include "mail/templates.h"
#include "sched/scheduler.h"
#include "store/channels.h"
#include "store/users.h"
#include "svc/activity.h"
#include "svc/settings.h"

static void refuse(camp_refusal *ref, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(camp_refusal *ref, int status, const char *code, const char *fmt, ...)
{
    ref->status = status;
    ref->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ref->message, sizeof ref->message, fmt, ap);
    va_end(ap);
}

void camp_patch_init(camp_patch *p)
{
    memset(p, 0, sizeof *p);
    p->sender_id = -1;
    p->use_person_time_zone = p->skip_weekends = p->end_on_reply = p->reply_is_success =
        p->remove_on_bounce = p->ignore_out_of_office = -1;
}

static int is_admin(const camp_user *u)
{
    return !strcmp(u->role, "admin");
}

/* The campaign id as u sees it: HAIL_ENOTFOUND "no campaign with id N" when
 * it does not exist or u may not see it; with change, HAIL_EFORBIDDEN when u
 * is neither its owner nor an admin. */
static hail_err load(db *d, const camp_user *u, int64_t id, int change, camp_row *row)
{
    hail_err e = camp_db_load(d, id, u->id, u->role, row);
    if (e == HAIL_ENOTFOUND || (!e && !row->visible))
        return hail_errf(HAIL_ENOTFOUND, "no campaign with id %lld", (long long)id);
    if (e)
        return e;
    if (change && row->owner_id != u->id && !is_admin(u))
        return hail_errf(HAIL_EFORBIDDEN,
                         "only the campaign's owner or an admin may change campaign %lld",
                         (long long)id);
    return HAIL_OK;
}

/* "HH:MM", 00:00 to 23:59. */
static int hhmm_ok(const char *s)
{
    return strlen(s) == 5 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
           s[2] == ':' && isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) &&
           (s[0] - '0') * 10 + (s[1] - '0') < 24 && s[3] < '6';
}

static int is_email_step(const char *type)
{
    return !strcmp(type, "auto_email") || !strcmp(type, "manual_email");
}

/* Fills the defaults of steps in place: an automatic email step's
 * send_option ("fixed" with a send_time, else "at_launch"). */
static void step_defaults(camp_step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(steps[i].type, "auto_email") && !steps[i].send_option)
            steps[i].send_option = steps[i].send_time ? "fixed" : "at_launch";
}

hail_err campaign_check_steps(db *d, int64_t owner_id, const camp_step *steps, size_t n,
                              camp_refusal *ref)
{
    user owner;
    hail_err e = users_get(d, owner_id, &owner);
    if (e)
        return e;
    int email_before = 0;
    for (size_t i = 0; i < n; i++) {
        const camp_step *s = &steps[i];
        int email = is_email_step(s->type), autom = !strcmp(s->type, "auto_email");
        if (i && s->day < steps[i - 1].day) {
            refuse(ref, 422, "invalid_step",
                   "steps[%zu] is on day %d, before steps[%zu]'s day %d: days must not decrease "
                   "along the list",
                   i, s->day, i - 1, steps[i - 1].day);
            return HAIL_OK;
        }
        if (!email && s->template_id) {
            refuse(ref, 422, "invalid_step", "steps[%zu]: a %s step takes no template", i, s->type);
            return HAIL_OK;
        }
        if (!autom && s->send_option) {
            refuse(ref, 422, "invalid_step",
                   "steps[%zu]: send_option applies to automatic email steps only", i);
            return HAIL_OK;
        }
        if (!email && s->follow_up) {
            refuse(ref, 422, "invalid_step", "steps[%zu]: follow_up applies to email steps only",
                   i);
            return HAIL_OK;
        }
        if (strcmp(s->type, "linkedin") != 0 && s->linkedin_kind) {
            refuse(ref, 422, "invalid_step",
                   "steps[%zu]: linkedin_kind applies to linkedin steps only", i);
            return HAIL_OK;
        }
        if (s->send_time && !hhmm_ok(s->send_time)) {
            refuse(ref, 422, "invalid_step",
                   "steps[%zu]: send_time '%.16s' is not a time of day (HH:MM, 00:00 to 23:59)", i,
                   s->send_time);
            return HAIL_OK;
        }
        if (autom && s->send_option && !strcmp(s->send_option, "fixed") && !s->send_time) {
            refuse(ref, 422, "invalid_step",
                   "steps[%zu]: send_option fixed needs a send_time (HH:MM)", i);
            return HAIL_OK;
        }
        if (s->follow_up && !email_before) {
            refuse(ref, 422, "invalid_step",
                   "steps[%zu]: follow_up needs an earlier email step to follow", i);
            return HAIL_OK;
        }
        if (email && !s->template_id) {
            refuse(ref, 422, "invalid_step", "steps[%zu]: %s email step needs a template", i,
                   autom ? "an automatic" : "a manual");
            return HAIL_OK;
        }
        if (email) {
            tmpl t;
            e = templates_for_use(d, s->template_id, owner_id, owner.role, &t);
            if (e == HAIL_ENOTFOUND) {
                refuse(ref, 422, "template_not_found",
                       "steps[%zu]: no template with id %lld that the campaign's owner may use", i,
                       (long long)s->template_id);
                return HAIL_OK;
            }
            if (e)
                return e;
            json_t *prompts = json_array();
            hail_err pe = prompts ? render_check(t.subject, t.body_html, prompts) : HAIL_ENOMEM;
            int archived = t.archived;
            tmpl_free(&t);
            if (pe == HAIL_ENOMEM) {
                json_decref(prompts);
                return hail_errf(HAIL_ENOMEM, "out of memory");
            }
            if (archived) {
                refuse(ref, 422, "invalid_step", "steps[%zu]: template %lld is archived", i,
                       (long long)s->template_id);
            } else if (pe) {
                refuse(ref, 422, "invalid_step", "steps[%zu]: template %lld: %s", i,
                       (long long)s->template_id, hail_errmsg());
            } else if (autom && (!s->send_option || strcmp(s->send_option, "task") != 0) &&
                       json_array_size(prompts)) {
                refuse(ref, 422, "template_has_prompts",
                       "template %lld has field prompts; an automatic email step cannot fill "
                       "them: use a manual email step",
                       (long long)s->template_id);
            }
            json_decref(prompts);
            if (ref->status)
                return HAIL_OK;
            email_before = 1;
        }
    }
    return HAIL_OK;
}

/* The sender must be one of the owner's. */
static hail_err check_sender(db *d, int64_t owner_id, int64_t sender_id, camp_refusal *ref)
{
    if (sender_id <= 0)
        return HAIL_OK;
    sender_row s;
    hail_err e = senders_row_get(d, sender_id, &s);
    if (e == HAIL_ENOTFOUND || (!e && s.user_id != owner_id)) {
        if (!e)
            sender_row_free(&s);
        refuse(ref, 422, "invalid_sender", "sender %lld is not one of the campaign owner's senders",
               (long long)sender_id);
        return HAIL_OK;
    }
    if (!e)
        sender_row_free(&s);
    return e;
}

/* Applies p over w (the strings borrowed from p), and checks the result. */
static hail_err merge_check(db *d, int64_t owner_id, const camp_patch *p, camp_write *w,
                            camp_step **steps, camp_refusal *ref)
{
    *steps = NULL;
    if (p->name)
        w->name = p->name;
    if (p->category)
        w->category = p->category;
    if (p->sharing)
        w->sharing = p->sharing;
    if (p->time_zone)
        w->time_zone = p->time_zone;
    if (p->sender_id >= 0)
        w->sender_id = p->sender_id;
    int *flags[] = {&w->use_person_time_zone, &w->skip_weekends,    &w->end_on_reply,
                    &w->reply_is_success,     &w->remove_on_bounce, &w->ignore_out_of_office};
    const int pf[] = {p->use_person_time_zone, p->skip_weekends,    p->end_on_reply,
                      p->reply_is_success,     p->remove_on_bounce, p->ignore_out_of_office};
    for (size_t i = 0; i < 6; i++)
        if (pf[i] >= 0)
            *flags[i] = pf[i];
    if (p->time_zone && !tz_valid(p->time_zone)) {
        refuse(ref, 422, "unknown_time_zone", "unknown time zone '%.64s'", p->time_zone);
        return HAIL_OK;
    }
    hail_err e = check_sender(d, owner_id, p->sender_id, ref);
    if (e || ref->status || !p->has_steps)
        return e;
    camp_step *copy = calloc(p->nsteps + 1, sizeof *copy);
    if (!copy)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (p->nsteps)
        memcpy(copy, p->steps, p->nsteps * sizeof *copy);
    step_defaults(copy, p->nsteps);
    e = campaign_check_steps(d, owner_id, copy, p->nsteps, ref);
    if (e || ref->status) {
        free(copy);
        return e;
    }
    *steps = copy;
    return HAIL_OK;
}

static hail_err lock_campaign(db *d, int64_t id)
{
    char name[48];
    snprintf(name, sizeof name, "campaign.%lld", (long long)id);
    return db_lock(d, name);
}

hail_err campaign_create(db *d, const camp_user *u, const camp_patch *p, camp_refusal *ref,
                         int64_t *id_out)
{
    memset(ref, 0, sizeof *ref);
    char zone[72];
    hail_err e = camp_db_user_tz(d, u->id, zone, sizeof zone);
    if (e)
        return e;
    camp_write w = {
        .name = "",
        .category = "",
        .sharing = "private",
        .time_zone = zone,
        .use_person_time_zone = 1,
        .skip_weekends = 1,
        .end_on_reply = 1,
        .remove_on_bounce = 1,
        .ignore_out_of_office = 1,
    };
    camp_step *steps = NULL;
    e = merge_check(d, u->id, p, &w, &steps, ref);
    if (e || ref->status)
        return e;
    if (!(e = db_begin(d))) {
        if (!(e = camp_db_insert(d, u->id, &w, id_out)) &&
            !(e = camp_db_steps_replace(d, *id_out, steps, p->has_steps ? p->nsteps : 0)))
            e = db_commit(d);
        if (e)
            db_rollback(d);
    }
    free(steps);
    return e;
}

hail_err campaign_update(db *d, const camp_user *u, int64_t id, const camp_patch *p,
                         camp_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    camp_row row;
    hail_err e = load(d, u, id, 1, &row);
    if (e)
        return e;
    camp_write w = {
        .name = row.name,
        .category = row.category,
        .sharing = row.sharing,
        .sender_id = row.sender_id,
        .time_zone = row.time_zone,
        .use_person_time_zone = row.use_person_time_zone,
        .skip_weekends = row.skip_weekends,
        .end_on_reply = row.end_on_reply,
        .reply_is_success = row.reply_is_success,
        .remove_on_bounce = row.remove_on_bounce,
        .ignore_out_of_office = row.ignore_out_of_office,
    };
    camp_step *steps = NULL;
    e = merge_check(d, row.owner_id, p, &w, &steps, ref);
    if (e || ref->status)
        return e;
    int64_t *ids = NULL;
    size_t n = 0;
    if (!(e = db_begin(d))) {
        if (!(e = lock_campaign(d, id)) && !(e = camp_db_update(d, id, &w)) && p->has_steps &&
            !(e = camp_db_steps_replace(d, id, steps, p->nsteps)))
            /* New steps: the active members' next due times follow them. */
            e = camp_db_member_ids(d, CAMP_SEL_ACTIVE, id, NULL, &ids, &n);
        for (size_t i = 0; !e && i < n; i++)
            e = sched_member_schedule(d, ids[i]);
        if (!e)
            e = db_commit(d);
        if (e)
            db_rollback(d);
    }
    free(ids);
    free(steps);
    return e;
}

hail_err campaign_delete(db *d, const camp_user *u, int64_t id, camp_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    camp_row row;
    hail_err e = load(d, u, id, 1, &row);
    if (e)
        return e;
    if (!(e = db_begin(d))) {
        if (!(e = lock_campaign(d, id)) && !(e = camp_db_load(d, id, u->id, u->role, &row))) {
            if (row.members_ever)
                refuse(ref, 409, "in_use",
                       "campaign %lld has had people in it: stop it instead of deleting it",
                       (long long)id);
            else
                e = camp_db_delete(d, id);
        }
        if (!e && !ref->status)
            e = db_commit(d);
        else
            db_rollback(d);
    }
    return e;
}

hail_err campaign_get(db *d, const camp_user *u, int64_t id, json_t **out)
{
    *out = NULL;
    camp_row row;
    hail_err e = load(d, u, id, 0, &row);
    return e ? e : camp_db_json(d, id, 1, out);
}

hail_err campaign_list(db *d, const camp_user *u, const char *view, const char *status,
                       const char *q, int64_t before_id, int limit, json_t **out, int64_t *next)
{
    return camp_db_page(d, u->id, u->role, view, status, q, before_id, limit, out, next);
}

hail_err campaign_report(db *d, const camp_user *u, int64_t id, json_t **out)
{
    *out = NULL;
    camp_row row;
    hail_err e = load(d, u, id, 0, &row);
    return e ? e : camp_db_report(d, id, out);
}

/* "Add to / Remove from Sales Campaign" for person, by user_id. */
static hail_err record(db *d, const char *type, int64_t person_id, int64_t user_id,
                       const char *user_name, int64_t campaign_id, const char *campaign_name)
{
    char url[1024];
    const char *base = settings() && settings()->public_url ? settings()->public_url : "";
    snprintf(url, sizeof url, "%s/campaigns/%lld", base, (long long)campaign_id);
    json_t *attrs =
        json_pack("{sI ss ss ss ss}", "campaign_id", (json_int_t)campaign_id, "campaign_name",
                  campaign_name, "campaign_url", url, "sent_by", user_name, "source", "hail");
    if (!attrs)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    activity a = {
        .type = type,
        .person_id = person_id,
        .user_id = user_id,
        .campaign_id = campaign_id,
        .attrs = attrs,
    };
    hail_err e = activity_record(d, &a, NULL);
    json_decref(attrs);
    return e;
}

/* paused -> active, and the scheduler shifts the remaining steps. */
static hail_err resume_member(db *d, int64_t member_id, int *done)
{
    int c = camp_db_member_activate(d, member_id);
    if (c < 0)
        return HAIL_EDB;
    if (done)
        *done = c;
    if (!c)
        return HAIL_OK;
    hail_err e = sched_member_resume(d, member_id);
    return e ? e : camp_db_member_resumed(d, member_id);
}

/* Ends member (status removed / stopped) with its Remove activity. */
static hail_err end_member(db *d, const camp_member *m, const char *status, const camp_user *u,
                           const char *user_name, const char *campaign_name, int64_t now, int *done)
{
    int c = camp_db_member_end(d, m->id, status, status, u->id, now);
    if (c < 0)
        return HAIL_EDB;
    *done = c;
    return c ? record(d, ACT_CAMPAIGN_REMOVE, m->person_id, u->id, user_name, m->campaign_id,
                      campaign_name)
             : HAIL_OK;
}

hail_err campaign_action(db *d, const camp_user *u, int64_t id, const char *action,
                         camp_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    camp_row row;
    hail_err e = load(d, u, id, 1, &row);
    if (e)
        return e;
    user me;
    if ((e = users_get(d, u->id, &me)))
        return e;
    int64_t now = time_now_us();
    int64_t *ids = NULL;
    size_t n = 0;
    if ((e = db_begin(d)))
        return e;
    if ((e = lock_campaign(d, id)) || (e = camp_db_load(d, id, u->id, u->role, &row)))
        goto out;
    if (!strcmp(row.status, "stopped")) {
        refuse(ref, 409, "conflict", "campaign %lld is stopped", (long long)id);
        goto out;
    }
    if (!strcmp(action, "pause")) {
        if (!strcmp(row.status, "paused")) {
            refuse(ref, 409, "conflict", "campaign %lld is paused already", (long long)id);
            goto out;
        }
        if ((e = camp_db_set_status(d, id, "paused", now, 0)) ||
            (e = camp_db_member_ids(d, CAMP_SEL_ACTIVE, id, NULL, &ids, &n)))
            goto out;
        for (size_t i = 0; !e && i < n; i++)
            if (camp_db_member_pause(d, ids[i], "campaign", now) < 0)
                e = HAIL_EDB;
    } else if (!strcmp(action, "resume")) {
        if (strcmp(row.status, "paused") != 0) {
            refuse(ref, 409, "conflict", "campaign %lld is not paused", (long long)id);
            goto out;
        }
        if ((e = camp_db_set_status(d, id, "active", now, 0)) ||
            (e = camp_db_member_ids(d, CAMP_SEL_PAUSED_REASON, id, "campaign", &ids, &n)))
            goto out;
        /* An owner on leave: the people stay paused, now for the leave. */
        for (size_t i = 0; !e && i < n; i++)
            e = row.owner_on_leave ? camp_db_member_set_reason(d, ids[i], "leave")
                                   : resume_member(d, ids[i], NULL);
    } else {
        if ((e = camp_db_set_status(d, id, "stopped", now, u->id)) ||
            (e = camp_db_member_ids(d, CAMP_SEL_IN, id, NULL, &ids, &n)))
            goto out;
        for (size_t i = 0; !e && i < n; i++) {
            camp_member m;
            int done;
            if (!(e = camp_db_member_get(d, ids[i], &m)))
                e = end_member(d, &m, "stopped", u, me.name, row.name, now, &done);
        }
    }
out:
    free(ids);
    if (!e && !ref->status)
        return db_commit(d);
    db_rollback(d);
    return e;
}

hail_err campaign_people_of(db *d, const char *kind, const char *sfid, int64_t **ids, size_t *n,
                            camp_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    hail_err e = camp_db_people_of(d, kind, sfid, CAMP_MEMBERS_MAX, ids, n);
    if (e)
        return e;
    if (!*n)
        refuse(ref, 404, "not_found", "no %s with id %.64s has people", kind, sfid);
    else if (*n > CAMP_MEMBERS_MAX)
        refuse(ref, 422, "too_many",
               "%s %.64s has more than %d people; at most %d can be added at once: add them by "
               "person_ids in parts",
               kind, sfid, CAMP_MEMBERS_MAX, CAMP_MEMBERS_MAX);
    if (ref->status) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return HAIL_OK;
}

static void add_refuse(camp_add_result *r, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_refuse(camp_add_result *r, const char *reason, const char *fmt, ...)
{
    r->reason = reason;
    r->member_id = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

/* The add inside the caller's transaction (row: the campaign as u sees it). */
static hail_err members_add(db *d, const camp_user *u, int64_t id, const int64_t *ids, size_t n,
                            int64_t start_at, const char *launch_time, camp_add_result *res,
                            camp_refusal *ref)
{
    camp_row row;
    user me;
    hail_err e;
    int64_t now = time_now_us();
    if (!start_at)
        start_at = now;
    if ((e = users_get(d, u->id, &me)) || (e = lock_campaign(d, id)) ||
        (e = camp_db_load(d, id, u->id, u->role, &row)))
        return e;
    if (!strcmp(row.status, "stopped")) {
        refuse(ref, 409, "conflict", "campaign %lld is stopped: no one can be added",
               (long long)id);
        return HAIL_OK;
    }
    if (!row.steps) {
        refuse(ref, 422, "no_steps", "campaign %lld has no steps yet: add steps before people",
               (long long)id);
        return HAIL_OK;
    }
    /* A paused campaign or an owner on leave: the people wait paused. */
    const char *reason = !strcmp(row.status, "paused") ? "campaign"
                         : row.owner_on_leave          ? "leave"
                                                       : NULL;
    for (size_t i = 0; !e && i < n; i++) {
        camp_add_result *r = &res[i];
        r->person_id = ids[i];
        camp_candidate c;
        if ((e = camp_db_candidate(d, ids[i], &c)))
            break;
        if (!c.exists)
            add_refuse(r, "not_found", "no person with id %lld", (long long)ids[i]);
        else if (!c.active)
            add_refuse(r, "inactive_person", "person %lld is not active", (long long)ids[i]);
        else if (!*c.email)
            add_refuse(r, "no_email", "person %lld has no email address", (long long)ids[i]);
        else if (c.unsubscribed)
            add_refuse(r, "unsubscribed", "person %lld (%.120s) has unsubscribed",
                       (long long)ids[i], c.email);
        camp_candidate_free(&c);
        if (r->reason)
            continue;
        if ((e = camp_db_member_insert(d, id, ids[i], u->id, start_at, launch_time, reason, now,
                                       &r->member_id)))
            break;
        if (!r->member_id) {
            add_refuse(r, "already_in_campaign", "person %lld is already in campaign %lld",
                       (long long)ids[i], (long long)id);
            continue;
        }
        if (!(e = record(d, ACT_CAMPAIGN_ADD, ids[i], u->id, me.name, id, row.name)))
            e = sched_member_schedule(d, r->member_id);
    }
    return e;
}

hail_err campaign_members_add(db *d, const camp_user *u, int64_t id, const int64_t *ids, size_t n,
                              int64_t start_at, const char *launch_time, camp_add_result *res,
                              camp_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    memset(res, 0, n * sizeof *res);
    camp_row row;
    hail_err e = load(d, u, id, 0, &row);
    if (e)
        return e;
    if ((e = db_begin(d)))
        return e;
    e = members_add(d, u, id, ids, n, start_at, launch_time, res, ref);
    if (!e && !ref->status)
        return db_commit(d);
    db_rollback(d);
    return e;
}

hail_err campaign_members_add_tx(db *d, const camp_user *u, int64_t id, const int64_t *ids,
                                 size_t n, camp_add_result *res, camp_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    memset(res, 0, n * sizeof *res);
    if (!db_in_tx(d))
        return hail_errf(HAIL_EINVAL, "campaign_members_add_tx outside a transaction");
    camp_row row;
    hail_err e = load(d, u, id, 0, &row);
    return e ? e : members_add(d, u, id, ids, n, 0, NULL, res, ref);
}

/* Whether u may pause, resume or remove m. */
static int may_touch(const camp_user *u, const camp_row *row, const camp_member *m)
{
    return is_admin(u) || row->owner_id == u->id || m->added_by == u->id;
}

static hail_err member_of(db *d, int64_t id, int64_t member_id, camp_member *m)
{
    hail_err e = camp_db_member_get(d, member_id, m);
    if (e == HAIL_ENOTFOUND || (!e && m->campaign_id != id))
        return hail_errf(HAIL_ENOTFOUND, "no member %lld in campaign %lld", (long long)member_id,
                         (long long)id);
    return e;
}

static hail_err not_yours(int64_t member_id)
{
    return hail_errf(HAIL_EFORBIDDEN,
                     "only the campaign's owner, an admin or whoever added the person may change "
                     "member %lld",
                     (long long)member_id);
}

hail_err campaign_members_remove(db *d, const camp_user *u, int64_t id, const int64_t *members,
                                 size_t n, int single, size_t *removed, camp_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    *removed = 0;
    camp_row row;
    hail_err e = load(d, u, id, 0, &row);
    if (e)
        return e;
    user me;
    if ((e = users_get(d, u->id, &me)))
        return e;
    int64_t now = time_now_us();
    if ((e = db_begin(d)))
        return e;
    if ((e = lock_campaign(d, id)))
        goto out;
    for (size_t i = 0; !e && i < n; i++) {
        camp_member m;
        e = member_of(d, id, members[i], &m);
        if (e == HAIL_ENOTFOUND && !single) {
            e = HAIL_OK; /* a bulk removal passes over ids not in the campaign */
            continue;
        }
        if (e)
            break;
        if (!may_touch(u, &row, &m)) {
            e = not_yours(m.id);
            break;
        }
        int done = 0;
        if ((e = end_member(d, &m, "removed", u, me.name, row.name, now, &done)))
            break;
        *removed += (size_t)done;
        if (single && !done)
            refuse(ref, 409, "conflict", "member %lld has left the campaign already (%s)",
                   (long long)m.id, m.status);
    }
out:
    if (!e && !ref->status)
        return db_commit(d);
    db_rollback(d);
    return e;
}

hail_err campaign_member_action(db *d, const camp_user *u, int64_t id, int64_t member_id,
                                const char *action, camp_refusal *ref, json_t **out)
{
    memset(ref, 0, sizeof *ref);
    *out = NULL;
    camp_row row;
    hail_err e = load(d, u, id, 0, &row);
    if (e)
        return e;
    int64_t now = time_now_us();
    if ((e = db_begin(d)))
        return e;
    camp_member m;
    if ((e = lock_campaign(d, id)) || (e = camp_db_load(d, id, u->id, u->role, &row)) ||
        (e = member_of(d, id, member_id, &m)))
        goto out;
    if (!may_touch(u, &row, &m)) {
        e = not_yours(member_id);
        goto out;
    }
    int pause = !strcmp(action, "pause");
    int running = !strcmp(m.status, "scheduled") || !strcmp(m.status, "active");
    if (pause && !running) {
        refuse(ref, 409, "conflict",
               !strcmp(m.status, "paused") ? "member %lld is paused already"
                                           : "member %lld has left the campaign (%s)",
               (long long)member_id, m.status);
    } else if (!pause && strcmp(m.status, "paused") != 0) {
        refuse(ref, 409, "conflict", "member %lld is not paused (%s)", (long long)member_id,
               m.status);
    } else if (!pause && !strcmp(row.status, "paused")) {
        refuse(ref, 409, "conflict",
               "campaign %lld is paused: resume the campaign to resume its people", (long long)id);
    } else if (pause) {
        if (camp_db_member_pause(d, member_id, "manual", now) < 0)
            e = HAIL_EDB;
    } else {
        e = resume_member(d, member_id, NULL);
    }
out:
    if (e || ref->status) {
        db_rollback(d);
        return e;
    }
    if ((e = db_commit(d)))
        return e;
    return camp_db_member_json(d, member_id, out);
}

hail_err campaign_members_page(db *d, const camp_user *u, int64_t id, const char *status,
                               int64_t after_id, int limit, json_t **out, int64_t *next)
{
    *out = NULL;
    camp_row row;
    hail_err e = load(d, u, id, 0, &row);
    return e ? e : camp_db_members_page(d, id, status, after_id, limit, out, next);
}

hail_err campaign_person(db *d, const camp_user *u, int64_t person_id, json_t **out)
{
    *out = NULL;
    if (!camp_db_person_exists(d, person_id))
        return hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)person_id);
    return camp_db_person_members(d, person_id, u->id, u->role, out);
}

hail_err campaign_leave(db *d, const camp_user *u, int pause, size_t *n)
{
    *n = 0;
    int64_t now = time_now_us(), since = 0;
    int64_t *ids = NULL;
    size_t count = 0;
    char lock[48];
    snprintf(lock, sizeof lock, "campaign.leave.%lld", (long long)u->id);
    hail_err e = db_begin(d);
    if (e)
        return e;
    if ((e = db_lock(d, lock)) || (e = camp_db_leave_get(d, u->id, &since)) ||
        (e = camp_db_leave_set(d, u->id, pause ? (since ? since : now) : 0)) ||
        (e = camp_db_member_ids(d, pause ? CAMP_SEL_OWNER_ACTIVE : CAMP_SEL_OWNER_REASON, u->id,
                                "leave", &ids, &count)))
        goto out;
    int64_t campaign = 0;
    char status[16] = "";
    for (size_t i = 0; !e && i < count; i++) {
        if (pause) {
            int c = camp_db_member_pause(d, ids[i], "leave", now);
            if (c < 0)
                e = HAIL_EDB;
            *n += (size_t)(c > 0);
            continue;
        }
        /* Resume, unless the campaign itself is paused: then they wait for it. */
        camp_member m;
        if ((e = camp_db_member_get(d, ids[i], &m)))
            break;
        if (m.campaign_id != campaign) {
            camp_row row;
            if ((e = camp_db_load(d, m.campaign_id, u->id, u->role, &row)))
                break;
            campaign = m.campaign_id;
            snprintf(status, sizeof status, "%s", row.status);
        }
        if (!strcmp(status, "paused")) {
            e = camp_db_member_set_reason(d, ids[i], "campaign");
        } else {
            int done = 0;
            e = resume_member(d, ids[i], &done);
            *n += (size_t)done;
        }
    }
out:
    free(ids);
    if (!e)
        return db_commit(d);
    db_rollback(d);
    return e;
}

hail_err campaign_leave_since(db *d, int64_t user_id, int64_t *at)
{
    return camp_db_leave_get(d, user_id, at);
}
