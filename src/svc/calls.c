#include "core/common.h"

/* Calls and the dialer: svc/calls.h, docs/calls.md. */
#include "svc/calls.h"

#include <sodium.h>

#include "core/phone.h"
#include "core/timeutil.h"
#include "mail/seal.h"
#include "store/calls.h"
#include "svc/activity.h"
#include "svc/settings.h"

#define KV_REQUIRE_OUTCOME "calls.require_outcome"
#define KV_DIALER_SECRET   "calls.dialer_secret" /* sealed (mail/seal.h), hex */

static _Thread_local const char *errcode = "invalid";

const char *calls_errcode(void)
{
    return errcode;
}

/* HAIL_EINVAL with code and message. */
__attribute__((format(printf, 2, 3))) static hail_err bad(const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    errcode = code;
    return hail_errf(HAIL_EINVAL, "%s", msg);
}

static int final_status(const char *s)
{
    return s && (!strcmp(s, "completed") || !strcmp(s, "no_answer") || !strcmp(s, "cancelled") ||
                 !strcmp(s, "failed"));
}

static hail_err require_outcome(db *d, int *on)
{
    char *v = NULL;
    hail_err e = db_kv_get(d, KV_REQUIRE_OUTCOME, &v);
    *on = !e && v && !strcmp(v, "1");
    free(v);
    return e;
}

/* The country of numbers written without one: the default caller id's,
 * else the NANP's. */
static int default_country(db *d)
{
    char **pool;
    long def;
    int cc = 1;
    if (calls_caller_id_pool(d, &pool, &def) == HAIL_OK) {
        phone_number n;
        if (def >= 0 && phone_parse(pool[def], -1, 0, &n) == HAIL_OK)
            cc = n.country_code;
        calls_strings_free(pool);
    }
    return cc;
}

/* Replaces *slot with a copy of s (NULL: none). */
static hail_err set_str(char **slot, const char *s)
{
    char *c = s ? strdup(s) : NULL;
    if (s && !c)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    free(*slot);
    *slot = c;
    return HAIL_OK;
}

static hail_err set_number(db *d, char **slot, const char *member, json_t *v)
{
    if (json_is_null(v))
        return set_str(slot, NULL);
    phone_number n;
    if (phone_parse(json_string_value(v), -1, default_country(d), &n))
        return bad("invalid_number", "%s: %s", member, hail_errmsg());
    return set_str(slot, n.e164);
}

static int url_ok(const char *s)
{
    if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
        return 0;
    const char *host = s + (s[4] == 's' ? 8 : 7);
    if (!*host || *host == '/')
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* Applies the members of in (a checked CallInput, or a part of one) to c. */
static hail_err apply_input(db *d, json_t *in, call_row *c)
{
    hail_err e = HAIL_OK;
    json_t *v;
    if ((v = json_object_get(in, "outcome_id"))) {
        c->outcome_id = 0;
        e = set_str(&c->outcome, NULL);
        if (!e && !json_is_null(v)) {
            char *name;
            int answered;
            int64_t id = json_integer_value(v);
            e = calls_outcome_of(d, id, &name, &answered);
            if (e == HAIL_ENOTFOUND)
                return bad("unknown_outcome", "no call outcome with id %lld", (long long)id);
            if (e)
                return e;
            c->outcome_id = id;
            free(c->outcome);
            c->outcome = name;
        }
    }
    if (!e && (v = json_object_get(in, "reason_id"))) {
        c->reason_id = 0;
        e = set_str(&c->reason, NULL);
        if (!e && !json_is_null(v)) {
            char *name;
            int64_t id = json_integer_value(v);
            e = calls_reason_of(d, id, &name);
            if (e == HAIL_ENOTFOUND)
                return bad("unknown_reason", "no call reason with id %lld", (long long)id);
            if (e)
                return e;
            c->reason_id = id;
            free(c->reason);
            c->reason = name;
        }
    }
    if (!e && (v = json_object_get(in, "voicemail_drop_id"))) {
        c->voicemail_drop_id = 0;
        if (!json_is_null(v)) {
            int64_t id = json_integer_value(v);
            e = calls_drop_exists(d, id);
            if (e == HAIL_ENOTFOUND)
                return bad("unknown_voicemail_drop", "no voicemail drop with id %lld",
                           (long long)id);
            c->voicemail_drop_id = id;
        }
    }
    if (!e && (v = json_object_get(in, "notes")))
        e = set_str(&c->notes, json_is_null(v) ? "" : json_string_value(v));
    if (!e && (v = json_object_get(in, "number_dialed")))
        e = set_number(d, &c->number_dialed, "number_dialed", v);
    if (!e && (v = json_object_get(in, "caller_id")))
        e = set_number(d, &c->caller_id, "caller_id", v);
    if (!e && (v = json_object_get(in, "started_at"))) {
        c->started_at = -1;
        if (!json_is_null(v)) {
            const char *s = json_string_value(v);
            if (time_parse_iso(s, strlen(s), &c->started_at))
                return bad("invalid_time",
                           "started_at '%.64s' is not an ISO 8601 time (such as "
                           "2026-03-01T10:00:00Z)",
                           s);
        }
    }
    if (!e && (v = json_object_get(in, "duration_s")))
        c->duration_s = json_is_null(v) ? -1 : json_integer_value(v);
    if (!e && (v = json_object_get(in, "recording_url"))) {
        if (!json_is_null(v) && !url_ok(json_string_value(v)))
            return bad("invalid_url", "recording_url '%.200s' is not an http or https URL",
                       json_string_value(v));
        e = set_str(&c->recording_url, json_is_null(v) ? NULL : json_string_value(v));
    }
    if (!e && (v = json_object_get(in, "answered_by")))
        e = set_str(&c->answered_by, json_is_null(v) ? NULL : json_string_value(v));
    if (!e && (v = json_object_get(in, "status")) && json_is_string(v))
        e = set_str(&c->status, json_string_value(v));
    return e;
}

/* The call's "Receive Sales Call" (PRODUCT.md §8): when it is logged, once. */
static hail_err record_activity(db *d, const call_row *c, int64_t now)
{
    char *email = NULL, *uname = NULL, *campaign = NULL;
    hail_err e = calls_user(d, c->user_id, &email, &uname);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_EINVAL, "no user with id %lld", (long long)c->user_id);
    json_t *attrs = NULL;
    if (!e) {
        attrs = json_object();
        if (!attrs)
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    }
    if (!e) {
        json_object_set_new(attrs, "made_by", json_string(email));
        json_object_set_new(attrs, "status", json_string(c->status));
        json_object_set_new(attrs, "subject", c->outcome ? json_string(c->outcome) : json_null());
        json_object_set_new(attrs, "number_called",
                            c->number_dialed ? json_string(c->number_dialed) : json_null());
        json_object_set_new(attrs, "source", json_string("hail"));
        json_object_set_new(attrs, "duration",
                            c->duration_s >= 0 ? json_integer(c->duration_s) : json_null());
        json_object_set_new(attrs, "recording_url",
                            c->recording_url ? json_string(c->recording_url) : json_null());
        json_object_set_new(attrs, "answered_by",
                            c->answered_by ? json_string(c->answered_by) : json_null());
        json_object_set_new(attrs, "sales_person_id", json_integer(c->user_id));
        if (c->reason)
            json_object_set_new(attrs, "reason", json_string(c->reason));
        if (c->campaign_id) {
            e = calls_campaign_name(d, c->campaign_id, &campaign);
            if (e == HAIL_ENOTFOUND)
                e = HAIL_OK; /* a campaign deleted since: no name to give */
            char url[1024];
            snprintf(url, sizeof url, "%s/campaigns/%lld", settings()->public_url,
                     (long long)c->campaign_id);
            json_object_set_new(attrs, "campaign_id", json_integer(c->campaign_id));
            json_object_set_new(attrs, "campaign_name",
                                campaign ? json_string(campaign) : json_null());
            json_object_set_new(attrs, "campaign_url", json_string(url));
        }
    }
    if (!e) {
        activity a = {
            .type = ACT_CALL,
            .person_id = c->person_id,
            .user_id = c->user_id,
            .campaign_id = c->campaign_id,
            .call_id = c->id,
            .occurred_at = c->started_at >= 0 ? c->started_at : now,
            .attrs = attrs,
        };
        e = activity_record(d, &a, NULL);
    }
    json_decref(attrs);
    free(email);
    free(uname);
    free(campaign);
    return e;
}

/* The rules of a call being logged: the outcome an admin may require, and
 * an answered outcome only on a completed call. */
static hail_err check_logging(db *d, const call_row *c)
{
    int req;
    hail_err e = require_outcome(d, &req);
    if (e)
        return e;
    if (req && !c->outcome_id)
        return bad("outcome_required", "an outcome is required to log a call (call settings: "
                                       "require_outcome)");
    if (c->outcome_id) {
        char *name;
        int answered;
        if ((e = calls_outcome_of(d, c->outcome_id, &name, &answered)))
            return e == HAIL_ENOTFOUND ? bad("unknown_outcome", "no call outcome with id %lld",
                                             (long long)c->outcome_id)
                                       : e;
        if (answered && strcmp(c->status, "completed") != 0)
            e = bad("outcome_mismatch",
                    "outcome '%.200s' is for answered calls, and the call's status is %s", name,
                    c->status);
        free(name);
    }
    return e;
}

hail_err call_log_tx(db *d, int64_t user_id, const char *role, json_t *in, int64_t task_id,
                     int64_t campaign_id, int64_t *call_id)
{
    (void)role;
    *call_id = 0;
    if (!json_is_object(in))
        return bad("invalid", "a call must be an object");
    json_t *pid = json_object_get(in, "person_id");
    if (!json_is_integer(pid) || json_integer_value(pid) < 1)
        return bad("invalid", "person_id is required");
    const char *status = json_string_value(json_object_get(in, "status"));
    if (!final_status(status))
        return bad("invalid", "status is required: one of completed, no_answer, cancelled, failed");
    int64_t now = time_now_us();
    call_row c = {.person_id = json_integer_value(pid),
                  .user_id = user_id,
                  .task_id = task_id,
                  .campaign_id = campaign_id,
                  .started_at = -1,
                  .duration_s = -1,
                  .created_at = now,
                  .updated_at = now};
    char *name = NULL, *phone = NULL;
    hail_err e = calls_person(d, c.person_id, &name, &phone);
    if (e == HAIL_ENOTFOUND)
        e = bad("unknown_person", "no person with id %lld", (long long)c.person_id);
    if (!e && !(c.notes = strdup("")))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    if (!e)
        e = apply_input(d, in, &c);
    /* No number given: the person's, when it is one. */
    phone_number n;
    if (!e && !c.number_dialed && phone &&
        phone_parse(phone, -1, default_country(d), &n) == HAIL_OK)
        e = set_str(&c.number_dialed, n.e164);
    if (!e && c.started_at < 0)
        c.started_at = now - (c.duration_s > 0 ? c.duration_s * US_PER_SEC : 0);
    if (!e)
        e = check_logging(d, &c);
    c.logged = 1;
    if (!e)
        e = calls_insert(d, &c, &c.id);
    if (!e)
        e = record_activity(d, &c, now);
    if (!e)
        *call_id = c.id;
    free(name);
    free(phone);
    calls_row_free(&c);
    return e;
}

hail_err calls_log(db *d, int64_t user_id, const char *role, json_t *in, json_t **out)
{
    *out = NULL;
    int64_t id;
    hail_err e = db_begin(d);
    if (e)
        return e;
    if ((e = call_log_tx(d, user_id, role, in, 0, 0, &id)) || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    return calls_json(d, id, out);
}

hail_err calls_get(db *d, const email_viewer *v, int64_t id, json_t **out)
{
    *out = NULL;
    if (!calls_visible(d, v, id))
        return hail_errf(HAIL_ENOTFOUND, "no call with id %lld", (long long)id);
    hail_err e = calls_json(d, id, out);
    return e == HAIL_ENOTFOUND ? hail_errf(e, "no call with id %lld", (long long)id) : e;
}

hail_err calls_update_call(db *d, const email_viewer *v, int64_t id, json_t *in, json_t **out)
{
    *out = NULL;
    if (!calls_visible(d, v, id))
        return hail_errf(HAIL_ENOTFOUND, "no call with id %lld", (long long)id);
    hail_err e = db_begin(d);
    if (e)
        return e;
    call_row c;
    e = calls_row_get(d, id, &c);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(e, "no call with id %lld", (long long)id);
    else if (!e && c.user_id != v->user_id && strcmp(v->role, "admin") != 0)
        e = hail_errf(HAIL_EFORBIDDEN, "only the user who made a call, or an admin, may change it");
    if (!e)
        e = apply_input(d, in, &c);
    int64_t now = time_now_us();
    int log_now = !e && !c.logged && final_status(c.status);
    if (!e && (c.logged || log_now))
        e = check_logging(d, &c);
    if (!e) {
        c.updated_at = now;
        if (log_now)
            c.logged = 1;
        e = calls_update(d, &c);
    }
    if (!e && log_now)
        e = record_activity(d, &c, now);
    calls_row_free(&c);
    if (e || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    return calls_json(d, id, out);
}

/* The dial of a person: number, caller id (NULL: none), tel: URI. */
static hail_err dial_of(db *d, int64_t person_id, phone_number *callee, char caller[32])
{
    caller[0] = '\0';
    char *name = NULL, *phone = NULL;
    hail_err e = calls_person(d, person_id, &name, &phone);
    free(name);
    if (e == HAIL_ENOTFOUND)
        return hail_errf(e, "no person with id %lld", (long long)person_id);
    if (e)
        return e;
    if (!phone)
        return bad("no_phone", "person %lld has no phone number", (long long)person_id);
    char **pool;
    long def;
    if ((e = calls_caller_id_pool(d, &pool, &def))) {
        free(phone);
        return e;
    }
    int cc = 1;
    size_t n = 0;
    while (pool[n])
        n++;
    phone_number *parsed = calloc(n ? n : 1, sizeof *parsed);
    if (!parsed) {
        free(phone);
        calls_strings_free(pool);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (phone_parse(pool[i], -1, 0, &parsed[i]) != HAIL_OK)
            parsed[i].country_code = 0; /* stored E.164 always parses; never matches if not */
    if (def >= 0 && parsed[def].country_code)
        cc = parsed[def].country_code;
    if (phone_parse(phone, -1, cc, callee)) {
        e = bad("no_phone", "person %lld has no phone number hail can dial: %s",
                (long long)person_id, hail_errmsg());
    } else {
        long i = phone_local_presence(callee, parsed, n, def);
        if (i >= 0)
            snprintf(caller, 32, "%s", pool[i]);
    }
    free(parsed);
    free(phone);
    calls_strings_free(pool);
    return e;
}

static json_t *dial_json(const phone_number *callee, const char *caller)
{
    char uri[PHONE_TEL_URI_MAX];
    phone_tel_uri(callee, uri);
    return json_pack("{ss so ss}", "number", callee->e164, "caller_id",
                     *caller ? json_string(caller) : json_null(), "tel_uri", uri);
}

hail_err calls_dial(db *d, int64_t person_id, json_t **out)
{
    *out = NULL;
    phone_number callee;
    char caller[32];
    hail_err e = dial_of(d, person_id, &callee, caller);
    if (e)
        return e;
    *out = dial_json(&callee, caller);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err calls_start(db *d, int64_t user_id, int64_t person_id, json_t **out)
{
    *out = NULL;
    phone_number callee;
    char caller[32];
    hail_err e = db_begin(d);
    if (e)
        return e;
    e = dial_of(d, person_id, &callee, caller);
    int64_t now = time_now_us();
    call_row c = {.person_id = person_id,
                  .user_id = user_id,
                  .started_at = now,
                  .duration_s = -1,
                  .created_at = now,
                  .updated_at = now};
    if (!e &&
        (set_str(&c.notes, "") || set_str(&c.status, "ringing") ||
         set_str(&c.number_dialed, callee.e164) || set_str(&c.caller_id, *caller ? caller : NULL)))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    if (!e)
        e = calls_insert(d, &c, &c.id);
    int64_t id = c.id;
    calls_row_free(&c);
    if (e || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    json_t *call;
    if ((e = calls_json(d, id, &call)))
        return e;
    *out = json_pack("{so so}", "call", call, "dial", dial_json(&callee, caller));
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

/* ---- caller ids ---- */

static hail_err number_of(json_t *v, char out[PHONE_E164_MAX + 1])
{
    phone_number n;
    if (phone_parse(json_string_value(v), -1, 0, &n))
        return bad("invalid_number", "number: %s", hail_errmsg());
    snprintf(out, PHONE_E164_MAX + 1, "%s", n.e164);
    return HAIL_OK;
}

static hail_err caller_id_defaults(db *d, int64_t id, json_t *is_default)
{
    hail_err e = HAIL_OK;
    if (json_is_true(is_default))
        e = calls_caller_id_set_default(d, id);
    else if (json_is_false(is_default))
        e = calls_caller_id_clear_default(d, id);
    int has = 1;
    if (!e)
        e = calls_caller_id_has_default(d, &has);
    if (!e && !has && !json_is_false(is_default))
        e = calls_caller_id_set_default(d, id);
    return e;
}

hail_err calls_caller_id_create(db *d, json_t *in, json_t **out)
{
    *out = NULL;
    char num[PHONE_E164_MAX + 1];
    hail_err e = number_of(json_object_get(in, "number"), num);
    if (e)
        return e;
    const char *label = json_string_value(json_object_get(in, "label"));
    if ((e = db_begin(d)))
        return e;
    int64_t id = 0;
    e = calls_caller_id_insert(d, num, label ? label : "", time_now_us(), &id);
    if (e == HAIL_EEXIST)
        e = hail_errf(e, "%s is in the caller-id pool already", num);
    if (!e)
        e = caller_id_defaults(d, id, json_object_get(in, "is_default"));
    if (e || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    return calls_caller_id_get(d, id, out);
}

hail_err calls_caller_id_change(db *d, int64_t id, json_t *in, json_t **out)
{
    *out = NULL;
    char num[PHONE_E164_MAX + 1];
    json_t *nv = json_object_get(in, "number");
    hail_err e = nv ? number_of(nv, num) : HAIL_OK;
    if (e)
        return e;
    if ((e = db_begin(d)))
        return e;
    e = calls_caller_id_update(d, id, nv ? num : NULL,
                               json_string_value(json_object_get(in, "label")));
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(e, "no caller id with id %lld", (long long)id);
    else if (e == HAIL_EEXIST)
        e = hail_errf(e, "%s is in the caller-id pool already", num);
    json_t *def = json_object_get(in, "is_default");
    if (!e && def)
        e = caller_id_defaults(d, id, def);
    if (e || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    return calls_caller_id_get(d, id, out);
}

hail_err calls_caller_id_remove(db *d, int64_t id)
{
    hail_err e = calls_caller_id_delete(d, id);
    return e == HAIL_ENOTFOUND ? hail_errf(e, "no caller id with id %lld", (long long)id) : e;
}

/* ---- settings ---- */

hail_err calls_settings_get(db *d, json_t **out)
{
    *out = NULL;
    int req;
    char *sec = NULL;
    hail_err e = require_outcome(d, &req);
    if (!e)
        e = db_kv_get(d, KV_DIALER_SECRET, &sec);
    if (e)
        return e;
    *out = json_pack("{sb sb}", "require_outcome", req, "dialer_secret_set", sec != NULL);
    free(sec);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err calls_settings_put(db *d, int require, const char *secret, json_t **out)
{
    *out = NULL;
    hail_err e = HAIL_OK;
    char *hex = NULL;
    if (secret && *secret) {
        unsigned char *sealed = NULL;
        size_t n = 0;
        if (!(e = seal_password(d, secret, strlen(secret), &sealed, &n))) {
            hex = malloc(2 * n + 1);
            if (hex)
                sodium_bin2hex(hex, 2 * n + 1, sealed, n);
            else
                e = hail_errf(HAIL_ENOMEM, "out of memory");
        }
        free(sealed);
    }
    if (!e && !(e = db_begin(d))) {
        if (require >= 0)
            e = db_kv_set(d, KV_REQUIRE_OUTCOME, require ? "1" : "0");
        if (!e && hex)
            e = db_kv_set(d, KV_DIALER_SECRET, hex);
        else if (!e && secret && !*secret)
            e = db_kv_del(d, KV_DIALER_SECRET);
        if (e || (e = db_commit(d)))
            db_rollback(d);
    }
    free(hex);
    return e ? e : calls_settings_get(d, out);
}

/* ---- voicemail drops ---- */

int calls_audio_type(const char *content_type, const void *data, size_t n, const char **type)
{
    static const char *const wav[] = {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave",
                                      NULL};
    static const char *const mp3[] = {"audio/mpeg", "audio/mp3", NULL};
    if (!content_type)
        return 0;
    size_t len = strcspn(content_type, "; \t");
    int is_wav = 0, is_mp3 = 0;
    for (int i = 0; wav[i]; i++)
        is_wav |= strlen(wav[i]) == len && !strncasecmp(content_type, wav[i], len);
    for (int i = 0; mp3[i]; i++)
        is_mp3 |= strlen(mp3[i]) == len && !strncasecmp(content_type, mp3[i], len);
    const unsigned char *b = data;
    if (is_wav) {
        *type = "audio/wav";
        if (n >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WAVE", 4))
            return 1;
        bad("content_mismatch", "the body is not a WAV file (no RIFF/WAVE header at its start)");
        return -1;
    }
    if (is_mp3) {
        *type = "audio/mpeg";
        /* An ID3v2 tag, or an MPEG audio frame header: 11 sync bits, a
         * known version and layer, a bitrate index that is not "bad". */
        if (n >= 10 && !memcmp(b, "ID3", 3))
            return 1;
        if (n >= 4 && b[0] == 0xff && (b[1] & 0xe0) == 0xe0 && ((b[1] >> 3) & 3) != 1 &&
            ((b[1] >> 1) & 3) != 0 && (b[2] >> 4) != 0xf && ((b[2] >> 2) & 3) != 3)
            return 1;
        bad("content_mismatch",
            "the body is not an MP3 file (no ID3 tag or MPEG audio frame at its start)");
        return -1;
    }
    return 0;
}

/* ---- the dialer ---- */

hail_err calls_dialer_verify(db *d, const char *ts, const char *sig, const char *body, size_t n,
                             int64_t now_s)
{
    if (!ts || !sig)
        return hail_errf(HAIL_EAUTH,
                         "the X-Hail-Timestamp and X-Hail-Signature headers are required");
    char *end;
    errno = 0;
    long long t = strtoll(ts, &end, 10);
    if (!isdigit((unsigned char)*ts) || *end || errno)
        return hail_errf(HAIL_EAUTH, "X-Hail-Timestamp must be a Unix time in seconds");
    if (t > now_s + CALLS_DIALER_SKEW_S || t < now_s - CALLS_DIALER_SKEW_S)
        return hail_errf(HAIL_EAUTH,
                         "X-Hail-Timestamp is more than %d seconds away from now: a stale or "
                         "replayed event",
                         CALLS_DIALER_SKEW_S);
    unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
    size_t got_n = 0;
    if (strncmp(sig, "sha256=", 7) != 0 || strlen(sig + 7) != 2 * sizeof got ||
        sodium_hex2bin(got, sizeof got, sig + 7, 2 * sizeof got, NULL, &got_n, NULL) != 0 ||
        got_n != sizeof got)
        return hail_errf(HAIL_EAUTH, "X-Hail-Signature must be sha256=<64 hex digits>");
    char *hex = NULL;
    hail_err e = db_kv_get(d, KV_DIALER_SECRET, &hex);
    if (e)
        return e;
    if (!hex)
        return hail_errf(HAIL_EAUTH, "the dialer webhook is off: no dialer secret is set");
    size_t hl = strlen(hex), sn = 0;
    unsigned char *sealed = malloc(hl / 2 + 1);
    char *secret = NULL;
    if (!sealed)
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    else if (sodium_hex2bin(sealed, hl / 2 + 1, hex, hl, NULL, &sn, NULL) != 0)
        e = hail_errf(HAIL_EIO, "the dialer secret in kv '%s' is damaged", KV_DIALER_SECRET);
    else
        e = seal_open(d, sealed, sn, &secret);
    free(sealed);
    free(hex);
    if (e)
        return e;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, n);
    crypto_auth_hmacsha256_final(&st, want);
    sodium_memzero(&st, sizeof st);
    seal_free(secret);
    if (sodium_memcmp(want, got, sizeof want) != 0)
        return hail_errf(HAIL_EAUTH, "X-Hail-Signature does not match the body and timestamp");
    return HAIL_OK;
}

hail_err calls_dialer_apply(db *d, json_t *ev, json_t **out)
{
    *out = NULL;
    const char *event_id = json_string_value(json_object_get(ev, "event_id"));
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *pid = json_string_value(json_object_get(ev, "provider_call_id"));
    json_t *cid = json_object_get(ev, "call_id");
    if (!json_is_integer(cid) && !pid)
        return hail_errf(HAIL_EINVAL, "call_id or provider_call_id is required");
    hail_err e = db_begin(d);
    if (e)
        return e;
    int64_t id = json_is_integer(cid) ? json_integer_value(cid) : 0;
    if (!id && !(e = calls_by_provider_id(d, pid, &id)) && !id)
        e = hail_errf(HAIL_ENOTFOUND, "no call with provider_call_id '%.200s'", pid);
    call_row c = {0};
    if (!e) {
        e = calls_row_get(d, id, &c);
        if (e == HAIL_ENOTFOUND)
            e = hail_errf(e, "no call with id %lld", (long long)id);
    }
    int fresh = 0;
    int64_t now = time_now_us();
    if (!e)
        e = calls_dialer_event(d, event_id, id, type, now, &fresh, NULL);
    if (!e && fresh) {
        json_t *v;
        if (pid && !c.provider_call_id)
            e = set_str(&c.provider_call_id, pid);
        if (!e && (v = json_object_get(ev, "answered_by")))
            e = set_str(&c.answered_by, json_string_value(v));
        if (!e && (v = json_object_get(ev, "recording_url"))) {
            if (!url_ok(json_string_value(v)))
                e = bad("invalid_url", "recording_url '%.200s' is not an http or https URL",
                        json_string_value(v));
            else
                e = set_str(&c.recording_url, json_string_value(v));
        }
        if (!e && (v = json_object_get(ev, "duration_s")))
            c.duration_s = json_integer_value(v);
        /* The status moves forward only, and a logged call keeps the rep's. */
        const char *next = NULL;
        if (!strcmp(type, "ringing") && !strcmp(c.status, "ringing"))
            next = "ringing";
        else if (!strcmp(type, "answered") && !final_status(c.status))
            next = "in_progress";
        else if (!strcmp(type, "ended") && !final_status(c.status))
            next = !strcmp(c.status, "in_progress") || c.duration_s > 0 ? "completed" : "no_answer";
        if (!e && next && !c.logged)
            e = set_str(&c.status, next);
        if (!e && !strcmp(type, "answered") && !c.answered_by)
            e = set_str(&c.answered_by, "human");
        c.updated_at = now;
        if (!e)
            e = calls_update(d, &c);
    }
    calls_row_free(&c);
    if (e || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    *out = json_pack("{sI sb}", "call_id", (json_int_t)id, "applied", fresh);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}
