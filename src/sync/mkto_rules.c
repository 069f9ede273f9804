#include "core/common.h"

/* Pure Marketo rules: error classes, envelopes, backoff, export windows, the
 * quota reset time, checkpoints. No I/O here, so tests/unit/test_marketo*.c
 * cover every branch with plain inputs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "net/outbound.h"
#include "sync/marketo.h"

const char *const mkto_fields[MKTO_NFIELDS] = {
    "id",
    "firstName",
    "lastName",
    "email",
    "phone",
    "title",
    "company",
    "leadSource",
    "linkedInProfileURL",
    "sfdcLeadId",
    "sfdcContactId",
    "sfdcAccountId",
    "sfdcOpptyId",
    "leadOwnerEmailAddress",
};

const char *mkto_fields_csv(void)
{
    return "id,firstName,lastName,email,phone,title,company,leadSource,linkedInProfileURL,"
           "sfdcLeadId,sfdcContactId,sfdcAccountId,sfdcOpptyId,leadOwnerEmailAddress";
}

int mkto_field_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return 0;
    for (int i = 0; i < MKTO_NFIELDS; i++)
        if (strcmp(name, mkto_fields[i]) == 0)
            return 0;
    return 1;
}

const char *mkto_field_name(int f, const char *tz_field)
{
    return f == PF_TIME_ZONE ? tz_field : person_marketo_field[f];
}

mkto_action mkto_classify(const char *code)
{
    static const struct {
        const char *code;
        mkto_action a;
    } table[] = {
        {"601", MKTO_RENEW}, {"602", MKTO_RENEW},        {"604", MKTO_RETRY}, {"606", MKTO_RATE},
        {"607", MKTO_QUOTA}, {"608", MKTO_RETRY},        {"611", MKTO_RETRY}, {"615", MKTO_RATE},
        {"713", MKTO_RETRY}, {"1029", MKTO_EXPORT_FULL},
    };
    if (!code)
        return MKTO_FATAL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(code, table[i].code) == 0)
            return table[i].a;
    return MKTO_FATAL;
}

/* Codes are strings in the contract; be lenient with a number. */
static void code_text(json_t *v, char *out, size_t size)
{
    if (json_is_string(v))
        snprintf(out, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        snprintf(out, size, "?");
}

hail_err mkto_envelope_parse(json_t *root, mkto_envelope *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(root))
        return hail_errf(HAIL_EREMOTE, "Marketo answered with something other than a JSON object");
    json_t *ok = json_object_get(root, "success");
    if (!json_is_boolean(ok))
        return hail_errf(HAIL_EREMOTE, "Marketo's answer has no success flag");
    out->success = json_is_true(ok);
    json_t *res = json_object_get(root, "result");
    out->result = json_is_array(res) ? res : NULL;
    out->more = json_is_true(json_object_get(root, "moreResult"));
    json_t *next = json_object_get(root, "nextPageToken");
    out->next_page = json_is_string(next) ? json_string_value(next) : NULL;
    json_t *w = json_object_get(root, "warnings");
    out->warnings = json_is_array(w) ? json_array_size(w) : 0;
    json_t *errs = json_object_get(root, "errors");
    if (json_is_array(errs) && json_array_size(errs) > 0) {
        json_t *e0 = json_array_get(errs, 0);
        if (json_is_object(e0)) {
            code_text(json_object_get(e0, "code"), out->code, sizeof out->code);
            json_t *msg = json_object_get(e0, "message");
            snprintf(out->message, sizeof out->message, "%s",
                     json_is_string(msg) ? json_string_value(msg) : "");
        } else if (json_is_string(e0)) {
            snprintf(out->code, sizeof out->code, "?");
            snprintf(out->message, sizeof out->message, "%s", json_string_value(e0));
        }
    }
    if (!out->success && !out->code[0])
        snprintf(out->code, sizeof out->code, "?");
    return HAIL_OK;
}

int mkto_record_skipped(json_t *rec, char *msg, size_t msgsize)
{
    json_t *st = json_object_get(rec, "status");
    if (!json_is_string(st) || strcmp(json_string_value(st), "skipped") != 0)
        return 0;
    json_t *why = json_object_get(rec, "reasons");
    if (!json_is_array(why))
        why = json_object_get(rec, "errors");
    json_t *r0 = json_is_array(why) ? json_array_get(why, 0) : NULL;
    char code[16] = "";
    const char *text = "no reason given";
    if (json_is_object(r0)) {
        code_text(json_object_get(r0, "code"), code, sizeof code);
        json_t *m = json_object_get(r0, "message");
        if (json_is_string(m))
            text = json_string_value(m);
    } else if (json_is_string(r0)) {
        text = json_string_value(r0);
    }
    snprintf(msg, msgsize, "%s%s%s", code, code[0] ? " " : "", text);
    return 1;
}

int64_t mkto_backoff_us(int attempt, int64_t base_us, int64_t cap_us, uint32_t rnd)
{
    return ob_backoff_us(attempt, base_us, cap_us, rnd); /* the one backoff: net/outbound */
}

int mkto_window_at(int64_t start, int64_t until, int64_t *end)
{
    if (start >= until)
        return 0;
    *end = until - start > MKTO_WINDOW_MAX_US ? start + MKTO_WINDOW_MAX_US : until;
    return 1;
}

size_t mkto_window_count(int64_t since, int64_t until)
{
    size_t n = 0;
    int64_t end;
    while (mkto_window_at(since, until, &end)) {
        n++;
        since = end;
    }
    return n;
}

/* ---- US Central midnight ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Days since the epoch of the n-th Sunday of a month. */
static int64_t nth_sunday(int y, int m, int n)
{
    int64_t first = time_days_from_civil(y, m, 1);
    int64_t wd = ((first % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
    return first + (7 - wd) % 7 + 7 * (n - 1);
}

/* Daylight time in US Central at the UTC instant t (seconds): from 02:00 CST
 * (08:00 UTC) on the second Sunday of March to 02:00 CDT (07:00 UTC) on the
 * first Sunday of November. */
static int central_dst(int64_t t)
{
    int y, m, d;
    time_civil_from_days(floor_div(t, 86400), &y, &m, &d);
    int64_t start = nth_sunday(y, 3, 2) * 86400 + 8 * 3600;
    int64_t end = nth_sunday(y, 11, 1) * 86400 + 7 * 3600;
    return t >= start && t < end;
}

int64_t mkto_quota_reset_us(int64_t now_us)
{
    int64_t t = floor_div(now_us, US_PER_SEC);
    int64_t local = t + (central_dst(t) ? -5 : -6) * 3600;
    int64_t midnight_local = (floor_div(local, 86400) + 1) * 86400;
    /* The clocks change at 02:00, never at midnight: try each offset. */
    int64_t utc = midnight_local + 5 * 3600;
    if (!central_dst(utc))
        utc = midnight_local + 6 * 3600;
    return utc * US_PER_SEC;
}

/* ---- sha256 state ---- */

void mkto_sha_encode(const crypto_hash_sha256_state *s, char *out, size_t outsize)
{
    /* Field by field (the struct is public in sodium's header), so padding
     * and host layout never leak into the text. */
    unsigned char raw[8 * 4 + 8 + 64];
    size_t n = 0;
    for (int i = 0; i < 8; i++)
        for (int k = 3; k >= 0; k--)
            raw[n++] = (unsigned char)(s->state[i] >> (8 * k));
    for (int k = 7; k >= 0; k--)
        raw[n++] = (unsigned char)(s->count >> (8 * k));
    memcpy(raw + n, s->buf, 64);
    n += 64;
    if (outsize < 2 * n + 1) {
        if (outsize)
            out[0] = '\0';
        return;
    }
    sodium_bin2hex(out, outsize, raw, n);
}

hail_err mkto_sha_decode(const char *hex, crypto_hash_sha256_state *s)
{
    unsigned char raw[8 * 4 + 8 + 64];
    size_t n = 0;
    if (strlen(hex) != 2 * sizeof raw ||
        sodium_hex2bin(raw, sizeof raw, hex, strlen(hex), NULL, &n, NULL) != 0 || n != sizeof raw)
        return hail_errf(HAIL_EINVAL, "bad sha256 state in checkpoint");
    size_t p = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++)
            v = (v << 8) | raw[p++];
        s->state[i] = v;
    }
    uint64_t c = 0;
    for (int k = 0; k < 8; k++)
        c = (c << 8) | raw[p++];
    s->count = c;
    memcpy(s->buf, raw + p, 64);
    return HAIL_OK;
}

/* ---- checkpoint ---- */

char *mkto_checkpoint_encode(const mkto_checkpoint *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    const char *mode = c->mode == MKTO_MODE_FULL   ? "full"
                       : c->mode == MKTO_MODE_INCR ? "incr"
                                                   : "none";
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "mode", json_string(mode));
    json_object_set_new(o, "started", json_integer(c->started_us));
    if (c->mode == MKTO_MODE_FULL) {
        json_object_set_new(o, "since", json_integer(c->since_us));
        json_object_set_new(o, "until", json_integer(c->until_us));
        json_object_set_new(o, "smart", json_integer(c->smart_list_id));
        json_object_set_new(o, "next", json_integer(c->next_us));
        json_object_set_new(o, "prev", json_integer(c->prev_success_us));
        json_t *jobs = json_array();
        for (size_t i = 0; jobs && i < c->njobs; i++) {
            json_t *j = json_pack("{s:I,s:I,s:s,s:b}", "s", (json_int_t)c->jobs[i].start_us, "e",
                                  (json_int_t)c->jobs[i].end_us, "id", c->jobs[i].export_id, "q",
                                  c->jobs[i].enqueued);
            json_array_append_new(jobs, j);
        }
        json_object_set_new(o, "jobs", jobs);
        json_object_set_new(o, "offset", json_integer((json_int_t)c->offset));
        json_object_set_new(o, "records", json_integer((json_int_t)c->records));
        json_object_set_new(o, "header", json_string(c->header));
        json_object_set_new(o, "sha", json_string(c->sha));
    }
    json_object_set_new(o, "phase",
                        json_string(c->phase == MKTO_PHASE_DELETED ? "deleted" : "changes"));
    json_object_set_new(o, "isince", json_integer(c->since_inc_us));
    json_object_set_new(o, "token", json_string(c->token));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static int get_i64(json_t *o, const char *k, int64_t *v)
{
    json_t *x = json_object_get(o, k);
    if (!json_is_integer(x))
        return 0;
    *v = json_integer_value(x);
    return 1;
}

static int get_str(json_t *o, const char *k, char *out, size_t size)
{
    json_t *x = json_object_get(o, k);
    if (!json_is_string(x) || json_string_length(x) >= size)
        return 0;
    memcpy(out, json_string_value(x), json_string_length(x) + 1);
    return 1;
}

hail_err mkto_checkpoint_decode(const char *text, mkto_checkpoint *c)
{
    memset(c, 0, sizeof *c);
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    hail_err e = hail_errf(HAIL_EINVAL, "unreadable Marketo sync checkpoint");
    char mode[8], phase[16];
    int64_t v;
    if (!json_is_object(o) || !get_i64(o, "v", &v) || v != 1 ||
        !get_str(o, "mode", mode, sizeof mode) || !get_i64(o, "started", &c->started_us) ||
        !get_str(o, "phase", phase, sizeof phase) || !get_i64(o, "isince", &c->since_inc_us) ||
        !get_str(o, "token", c->token, sizeof c->token))
        goto out;
    c->phase = strcmp(phase, "deleted") == 0 ? MKTO_PHASE_DELETED : MKTO_PHASE_CHANGES;
    if (strcmp(mode, "incr") == 0) {
        c->mode = MKTO_MODE_INCR;
    } else if (strcmp(mode, "full") == 0) {
        c->mode = MKTO_MODE_FULL;
        int64_t off, rec;
        json_t *jobs = json_object_get(o, "jobs");
        if (!get_i64(o, "since", &c->since_us) || !get_i64(o, "until", &c->until_us) ||
            !get_i64(o, "smart", &c->smart_list_id) || !get_i64(o, "next", &c->next_us) ||
            !get_i64(o, "prev", &c->prev_success_us) || !get_i64(o, "offset", &off) ||
            !get_i64(o, "records", &rec) || off < 0 || rec < 0 ||
            !get_str(o, "header", c->header, sizeof c->header) ||
            !get_str(o, "sha", c->sha, sizeof c->sha) || !json_is_array(jobs) ||
            json_array_size(jobs) > MKTO_MAX_JOBS)
            goto out;
        c->offset = (uint64_t)off;
        c->records = (uint64_t)rec;
        c->njobs = json_array_size(jobs);
        for (size_t i = 0; i < c->njobs; i++) {
            json_t *j = json_array_get(jobs, i);
            mkto_job *jb = &c->jobs[i];
            if (!json_is_object(j) || !get_i64(j, "s", &jb->start_us) ||
                !get_i64(j, "e", &jb->end_us) ||
                !get_str(j, "id", jb->export_id, sizeof jb->export_id) ||
                !json_is_boolean(json_object_get(j, "q")))
                goto out;
            jb->enqueued = json_is_true(json_object_get(j, "q"));
        }
    } else {
        goto out;
    }
    e = HAIL_OK;
out:
    json_decref(o);
    if (e)
        memset(c, 0, sizeof *c);
    return e;
}

/* ---- leads.json records ---- */

hail_err mkto_person_from_json(json_t *rec, const char *tz_field, person_in *p, char *scratch,
                               size_t scratch_size)
{
    memset(p, 0, sizeof *p);
    json_t *id = json_object_get(rec, "id");
    if (json_is_integer(id))
        p->marketo_id = json_integer_value(id);
    else if (json_is_string(id))
        p->marketo_id = strtoll(json_string_value(id), NULL, 10);
    if (p->marketo_id <= 0)
        return hail_errf(HAIL_EINVAL, "a lead record without a valid id");
    size_t used = 0;
    for (int i = 0; i < PF_COUNT; i++) {
        const char *name = mkto_field_name(i, tz_field);
        json_t *v = name ? json_object_get(rec, name) : NULL;
        if (json_is_string(v)) {
            p->f[i] = json_string_value(v);
            p->len[i] = json_string_length(v);
            continue;
        }
        char tmp[64];
        int n;
        if (json_is_integer(v))
            n = snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            n = snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));
        else if (json_is_boolean(v))
            n = snprintf(tmp, sizeof tmp, "%s", json_is_true(v) ? "true" : "false");
        else
            continue; /* missing, null, or a structure: null */
        if (n < 0 || used + (size_t)n + 1 > scratch_size)
            continue;
        memcpy(scratch + used, tmp, (size_t)n + 1);
        p->f[i] = scratch + used;
        p->len[i] = (size_t)n;
        used += (size_t)n + 1;
    }
    return HAIL_OK;
}
