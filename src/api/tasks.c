#include "core/common.h"

/* /api/v1/tasks: the task queue (svc/tasks.h, docs/tasks.md). */
#include "api/api.h"
#include "api/call_body.h"
#include "auth/auth.h"
#include "core/timeutil.h"
#include "svc/tasks.h"

#define PAGE_DEFAULT  50
#define PAGE_MAX      200
#define BULK_MAX      1000
#define ADDRESSES_MAX 50
#define HTML_MAX      1048576
#define NAME_MAX_C    200
#define DETAILS_MAX   4000

static const char *const types[] = {"email", "call", "linkedin", "custom", NULL};
static const char *const priorities[] = {"normal", "high", NULL};
static const char *const actions[] = {"reschedule", "skip", "complete", NULL};

enum { C_TYPE, C_NAME, C_PERSON, C_ASSIGNEE, C_DUE, C_PRIORITY, C_DETAILS };
const api_member api_tasks_create_body[] = {
    [C_TYPE] = {"type", API_STRING, true, false, 0, 0, types},
    [C_NAME] = {"name", API_STRING, true, false, 1, NAME_MAX_C, NULL},
    [C_PERSON] = {"person_id", API_ID, false, true, 0, 0, NULL},
    [C_ASSIGNEE] = {"assignee_id", API_ID, false, true, 0, 0, NULL},
    [C_DUE] = {"due_at", API_STRING, true, false, 1, 64, NULL},
    [C_PRIORITY] = {"priority", API_STRING, false, false, 0, 0, priorities},
    [C_DETAILS] = {"details", API_STRING, false, false, 0, DETAILS_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

enum { U_NAME, U_PERSON, U_ASSIGNEE, U_DUE, U_PRIORITY, U_DETAILS };
const api_member api_tasks_update_body[] = {
    [U_NAME] = {"name", API_STRING, false, false, 1, NAME_MAX_C, NULL},
    [U_PERSON] = {"person_id", API_ID, false, false, 0, 0, NULL},
    [U_ASSIGNEE] = {"assignee_id", API_ID, false, false, 0, 0, NULL},
    [U_DUE] = {"due_at", API_STRING, false, false, 1, 64, NULL},
    [U_PRIORITY] = {"priority", API_STRING, false, false, 0, 0, priorities},
    [U_DETAILS] = {"details", API_STRING, false, false, 0, DETAILS_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* CallInput as api/calls.c takes it (svc/calls.h checks the values), but person_id
 * defaults to the task's. */
static const api_member call_members[] = {{"person_id", API_ID, false, false, 0, 0, NULL},
                                          API_CALL_MEMBERS(true) API_END_MEMBERS};

enum { K_SENDER, K_SUBJECT, K_BODY, K_CC, K_BCC, K_CALL };
const api_member api_tasks_complete_body[] = {
    [K_SENDER] = {"sender_id", API_ID, false, false, 0, 0, NULL},
    [K_SUBJECT] = {"subject", API_STRING, false, false, 1, 998, NULL},
    [K_BODY] = {"body_html", API_STRING, false, false, 0, HTML_MAX, NULL},
    [K_CC] = {"cc", API_ARRAY, false, false, 0, ADDRESSES_MAX, NULL},
    [K_BCC] = {"bcc", API_ARRAY, false, false, 0, ADDRESSES_MAX, NULL},
    [K_CALL] = {"call", API_OBJECT, false, false, 0, 0, API_MEMBERS(call_members)},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

enum { B_IDS, B_ACTION, B_DUE };
const api_member api_tasks_bulk_body[] = {
    [B_IDS] = {"ids", API_IDS, true, false, 0, BULK_MAX, NULL},
    [B_ACTION] = {"action", API_STRING, true, false, 0, 0, actions},
    [B_DUE] = {"due_at", API_STRING, false, false, 1, 64, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static tasks_viewer viewer(http_req *r)
{
    return (tasks_viewer){r->user_id, r->user_role};
}

/* Replies with a service error: a task no longer open is 409, input the
 * data refuses 422, the rest as their kind. */
static void reply_err(http_req *r, hail_err e)
{
    if (e == HAIL_EBUSY)
        http_reply_error(r, 409, "conflict", "%s", hail_errmsg());
    else if (e == HAIL_EINVAL)
        http_reply_error(r, 422, "invalid", "%s", hail_errmsg());
    else
        http_reply_err(r, e);
}

/* Replies with the Task id (status) or the error. */
static void reply_task(http_req *r, db *d, hail_err e, int status, int64_t id)
{
    json_t *j = NULL;
    if (!e) {
        tasks_viewer v = viewer(r);
        e = task_get(d, &v, id, &j);
    }
    if (e)
        reply_err(r, e);
    else
        api_reply(r, e, status, j);
}

/* due_at: ISO 8601 with an offset (or UTC). Replies 400 and returns 0 when bad. */
static int parse_due(http_req *r, json_t *v, int64_t *out)
{
    const char *s = json_string_value(v);
    if (time_parse_iso(s, strlen(s), out) == HAIL_OK && *out > 0)
        return 1;
    http_reply_error(r, 400, "bad_request",
                     "due_at '%.64s' is not a date and time such as 2026-03-02T09:00:00Z or "
                     "2026-03-02T09:00:00+01:00",
                     s);
    return 0;
}

/* A positive id in the query (name), 0 when absent; replies 400 and returns -1 when bad. */
static int64_t query_id(http_req *r, const char *name)
{
    const char *v = http_query(r, name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || end == v || x <= 0) {
        http_reply_error(r, 400, "bad_request", "%s must be a positive integer, not '%.64s'", name,
                         v);
        return -1;
    }
    return x;
}

/* ?assignee=ID|me: 0 when absent; -1 after replying 400. */
static int64_t query_assignee(http_req *r)
{
    const char *v = http_query(r, "assignee");
    if (v && !strcmp(v, "me"))
        return r->user_id;
    if (v && (!*v || v[strspn(v, "0123456789")])) {
        http_reply_error(r, 400, "bad_request", "assignee must be a user id or me, not '%.64s'", v);
        return -1;
    }
    return query_id(r, "assignee");
}

/* A page's position as a cursor: "d<completed_at>.<id>" in the done list,
 * "k<day>.<rank>.<due_at>.<id>" in the others. */
static void key_format(tasks_queue queue, const tasks_key *k, char *out, size_t n)
{
    if (queue == TQ_DONE)
        snprintf(out, n, "d%lld.%lld", (long long)k->due, (long long)k->id);
    else
        snprintf(out, n, "k%lld.%lld.%lld.%lld", (long long)k->day, (long long)k->prio,
                 (long long)k->due, (long long)k->id);
}

/* Reads a cursor key_format made for queue: 0 when it is not one. */
static int key_parse(const char *raw, tasks_queue queue, tasks_key *k)
{
    int64_t v[4];
    int want = queue == TQ_DONE ? 2 : 4;
    const char *p = raw + 1;
    if (raw[0] != (queue == TQ_DONE ? 'd' : 'k'))
        return 0;
    for (int i = 0; i < want; i++) {
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (errno || end == p || *end != (i + 1 < want ? '.' : '\0'))
            return 0;
        v[i] = x;
        p = end + 1;
    }
    if (queue == TQ_DONE)
        *k = (tasks_key){1, 0, 0, v[0], v[1]};
    else
        *k = (tasks_key){1, v[0], v[1], v[2], v[3]};
    return k->id > 0;
}

void api_tasks_list(http_req *r)
{
    tasks_query q = {.queue = TQ_OPEN};
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &q.limit, raw))
        return;
    static const char *const queues[] = {"overdue", "today", "tomorrow", "next_7_days",
                                         "open",    "done",  NULL};
    const char *queue = http_query(r, "queue");
    if (queue) {
        int k = 0;
        while (queues[k] && strcmp(queues[k], queue) != 0)
            k++;
        if (!queues[k]) {
            http_reply_error(r, 400, "bad_request",
                             "queue must be overdue, today, tomorrow, next_7_days, open or done, "
                             "not '%.64s'",
                             queue);
            return;
        }
        q.queue = (tasks_queue)k;
    }
    q.type = http_query(r, "type");
    if (q.type) {
        int ok = 0;
        for (const char *const *t = types; *t && !ok; t++)
            ok = !strcmp(*t, q.type);
        if (!ok) {
            http_reply_error(r, 400, "bad_request",
                             "type must be email, call, linkedin or custom, not '%.64s'", q.type);
            return;
        }
    }
    /* The cursor: the last row's position in this queue's order. */
    if (*raw && !key_parse(raw, q.queue, &q.after)) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    if ((q.assignee_id = query_assignee(r)) < 0 || (q.campaign_id = query_id(r, "campaign")) < 0 ||
        (q.person_id = query_id(r, "person")) < 0)
        return;
    db *d = api_db(r);
    if (!d)
        return;
    tasks_viewer v = viewer(r);
    json_t *a = NULL;
    tasks_key next;
    hail_err e = task_list(d, &v, &q, time_now_us(), &a, &next);
    char c[128] = "";
    if (!e && next.set)
        key_format(q.queue, &next, c, sizeof c);
    api_reply_page(r, e, a, c);
}

void api_tasks_counts(http_req *r)
{
    int64_t assignee = query_assignee(r);
    if (assignee < 0)
        return;
    db *d = api_db(r);
    if (!d)
        return;
    tasks_viewer v = viewer(r);
    json_t *j = NULL;
    hail_err e = task_counts(d, &v, assignee, time_now_us(), &j);
    api_reply(r, e, 200, j);
}

void api_tasks_create(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[C_DETAILS + 1];
    int64_t due = 0;
    if (!api_body_check(r, body, api_tasks_create_body, val) || !parse_due(r, val[C_DUE], &due)) {
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    if (!d) {
        json_decref(body);
        return;
    }
    task_new t = {
        .type = json_string_value(val[C_TYPE]),
        .name = json_string_value(val[C_NAME]),
        .details = val[C_DETAILS] ? json_string_value(val[C_DETAILS]) : NULL,
        .priority = val[C_PRIORITY] ? json_string_value(val[C_PRIORITY]) : NULL,
        .person_id = val[C_PERSON] ? json_integer_value(val[C_PERSON]) : 0,
        .assignee_id = val[C_ASSIGNEE] ? json_integer_value(val[C_ASSIGNEE]) : 0,
        .due_at = due,
    };
    tasks_viewer v = viewer(r);
    int64_t id = 0;
    hail_err e = task_create(d, &v, &t, &id);
    json_decref(body);
    reply_task(r, d, e, 201, id);
}

void api_tasks_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (d)
        reply_task(r, d, HAIL_OK, 200, id);
}

void api_tasks_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[U_DETAILS + 1];
    int64_t due = 0;
    if (!api_body_check(r, body, api_tasks_update_body, val) ||
        (val[U_DUE] && !parse_due(r, val[U_DUE], &due))) {
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    if (!d) {
        json_decref(body);
        return;
    }
    task_change c = {
        .name = val[U_NAME] ? json_string_value(val[U_NAME]) : NULL,
        .details = val[U_DETAILS] ? json_string_value(val[U_DETAILS]) : NULL,
        .priority = val[U_PRIORITY] ? json_string_value(val[U_PRIORITY]) : NULL,
        .person_id = val[U_PERSON] ? json_integer_value(val[U_PERSON]) : 0,
        .assignee_id = val[U_ASSIGNEE] ? json_integer_value(val[U_ASSIGNEE]) : 0,
        .due_at = due,
    };
    tasks_viewer v = viewer(r);
    hail_err e = task_update(d, &v, id, &c);
    json_decref(body);
    reply_task(r, d, e, 200, id);
}

void api_tasks_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    tasks_viewer v = viewer(r);
    hail_err e = task_delete(d, &v, id);
    if (e)
        reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

void api_tasks_email(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    tasks_viewer v = viewer(r);
    json_t *j = NULL;
    hail_err e = task_email_draft(d, &v, id, &j);
    if (e)
        reply_err(r, e);
    else
        api_reply(r, e, 200, j);
}

void api_tasks_complete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    json_t *body = http_has_body(r) ? http_json_body(r) : json_object();
    if (!body)
        return;
    json_t *val[K_CALL + 1];
    if (!api_body_check(r, body, api_tasks_complete_body, val) ||
        (val[K_CC] && !api_check_addresses(r, "cc", val[K_CC])) ||
        (val[K_BCC] && !api_check_addresses(r, "bcc", val[K_BCC]))) {
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    if (!d) {
        json_decref(body);
        return;
    }
    task_completion c = {
        .sender_id = val[K_SENDER] ? json_integer_value(val[K_SENDER]) : 0,
        .subject = val[K_SUBJECT] ? json_string_value(val[K_SUBJECT]) : NULL,
        .body_html = val[K_BODY] ? json_string_value(val[K_BODY]) : NULL,
        .cc = val[K_CC],
        .bcc = val[K_BCC],
        .call = val[K_CALL],
    };
    tasks_viewer v = viewer(r);
    task_refusal ref;
    hail_err e = task_complete(d, &v, id, &c, &ref);
    json_decref(body);
    if (!e && ref.code) {
        http_reply_error(r, 422, ref.code, "%s", ref.message);
        return;
    }
    reply_task(r, d, e, 200, id);
}

void api_tasks_skip(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    tasks_viewer v = viewer(r);
    reply_task(r, d, task_skip(d, &v, id), 200, id);
}

void api_tasks_bulk(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[B_DUE + 1];
    int64_t due = 0;
    if (!api_body_check(r, body, api_tasks_bulk_body, val) ||
        (val[B_DUE] && !parse_due(r, val[B_DUE], &due))) {
        json_decref(body);
        return;
    }
    const char *action = json_string_value(val[B_ACTION]);
    size_t n = json_array_size(val[B_IDS]);
    const char *bad = !n ? "ids must name at least one task"
                      : !strcmp(action, "reschedule") && !val[B_DUE]
                          ? "due_at is required to reschedule"
                      : strcmp(action, "reschedule") != 0 && val[B_DUE]
                          ? "due_at is only for the reschedule action"
                          : NULL;
    if (bad) {
        http_reply_error(r, 400, "bad_request", "%s", bad);
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    if (!d) {
        json_decref(body);
        return;
    }
    tasks_viewer v = viewer(r);
    json_t *results = json_array();
    hail_err fatal = results ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
    for (size_t i = 0; !fatal && i < n; i++) {
        int64_t id = json_integer_value(json_array_get(val[B_IDS], i));
        hail_err e;
        task_refusal ref = {0};
        if (!strcmp(action, "reschedule")) {
            e = task_reschedule(d, &v, id, due);
        } else if (!strcmp(action, "skip")) {
            e = task_skip(d, &v, id);
        } else {
            task_row row;
            e = tasks_load(d, &v, id, &row);
            if (!e && (!strcmp(row.type, TASK_EMAIL) || !strcmp(row.type, TASK_CALL)))
                e = hail_errf(HAIL_EINVAL, "task %lld is %s task: complete it on its own (%s)",
                              (long long)id, !strcmp(row.type, TASK_EMAIL) ? "an email" : "a call",
                              !strcmp(row.type, TASK_EMAIL) ? "its email is sent then"
                                                            : "its call is logged then");
            task_completion c = {0};
            if (!e)
                e = task_complete(d, &v, id, &c, &ref);
        }
        json_t *o;
        if (e == HAIL_ENOMEM || e == HAIL_EDB || e == HAIL_EUNAVAIL) {
            fatal = e;
            break;
        }
        if (e || ref.code)
            o = json_pack("{sI ss ss}", "id", (json_int_t)id, "status", "error", "message",
                          ref.code ? ref.message : hail_errmsg());
        else
            o = json_pack("{sI ss}", "id", (json_int_t)id, "status", "ok");
        if (!o || json_array_append_new(results, o)) {
            fatal = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
    }
    json_decref(body);
    json_t *out = NULL;
    if (!fatal && !(out = json_pack("{sO}", "results", results)))
        fatal = hail_errf(HAIL_ENOMEM, "out of memory");
    json_decref(results);
    api_reply(r, fatal, 200, out);
}
