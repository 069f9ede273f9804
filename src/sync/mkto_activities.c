#include "core/common.h"

/* Marketo's activities for the insight panel: sync/mkto_activities.h. */
#include "sync/mkto_activities.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "sync/marketo.h"

/* Someone is waiting: two attempts of at most 8 s each per call. */
#define PANEL_ATTEMPTS   2
#define PANEL_TIMEOUT_MS 8000L

static const struct {
    int64_t id;
    const char *key, *name;
} types[] = {
    {1, "web_visit", "Visit Webpage"},
    {2, "form_fill", "Fill Out Form"},
    {3, "link_click", "Click Link"},
    {6, "email_sent", "Send Email"},
    {10, "email_open", "Open Email"},
    {11, "email_click", "Click Email"},
    {46, "interesting_moment", "Interesting Moment"},
};

const char *mka_type_key(int64_t type_id)
{
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (types[i].id == type_id)
            return types[i].key;
    return NULL;
}

const char *mka_type_name(int64_t type_id)
{
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (types[i].id == type_id)
            return types[i].name;
    return NULL;
}

/* v as a JSON string cut to MKA_TEXT_MAX characters (numbers and booleans as
 * their text); null for null or anything else. */
static json_t *text_of(json_t *v)
{
    char num[64];
    const char *s = NULL;
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        s = num;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
    }
    if (!s)
        return json_null();
    size_t n = 0, chars = 0;
    while (s[n] && chars < MKA_TEXT_MAX) {
        n++;
        while (((unsigned char)s[n] & 0xC0) == 0x80)
            n++;
        chars++;
    }
    return json_stringn(s, n);
}

json_t *mka_item(json_t *rec)
{
    json_t *id = json_object_get(rec, "id");
    json_t *type = json_object_get(rec, "activityTypeId");
    json_t *date = json_object_get(rec, "activityDate");
    if (!json_is_integer(id) || !json_is_integer(type) || !json_is_string(date))
        return NULL;
    const char *key = mka_type_key(json_integer_value(type));
    int64_t at;
    if (!key || time_parse_iso(json_string_value(date), json_string_length(date), &at))
        return NULL;
    char iso[TIME_ISO_LEN];
    time_format_iso(at, iso);
    json_t *attrs = json_object();
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(rec, "attributes"), i, a)
    {
        json_t *name = json_object_get(a, "name");
        if (json_is_string(name) && json_string_length(name) <= MKA_TEXT_MAX)
            json_object_set_new(attrs, json_string_value(name),
                                text_of(json_object_get(a, "value")));
    }
    return json_pack("{sI ss ss ss so so}", "id", json_integer_value(id), "type", key, "type_name",
                     mka_type_name(json_integer_value(type)), "occurred_at", iso, "primary",
                     text_of(json_object_get(rec, "primaryAttributeValue")), "attrs",
                     attrs ? attrs : json_object());
}

size_t mka_keep_newest(json_t *list, json_t *records, size_t max)
{
    size_t bad = 0, i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        json_t *item = mka_item(rec);
        if (!item || json_array_append_new(list, item)) {
            bad++;
            continue;
        }
        while (json_array_size(list) > max)
            json_array_remove(list, 0);
    }
    return bad;
}

/* ---- the cache ---- */

typedef struct entry {
    int64_t lead;
    int64_t until; /* monotonic */
    int64_t fetched;
    size_t bytes;
    json_t *answer;
} entry;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static entry *cache;
static size_t ncache, cache_cap, cache_bytes;

static void drop(size_t i)
{
    json_decref(cache[i].answer);
    cache_bytes -= cache[i].bytes;
    cache[i] = cache[--ncache];
}

void mka_cache_clear(void)
{
    pthread_mutex_lock(&cache_mu);
    while (ncache)
        drop(0);
    free(cache);
    cache = NULL;
    cache_cap = 0;
    pthread_mutex_unlock(&cache_mu);
}

/* A copy of the live cached answer for lead, or NULL. */
static json_t *cache_get(int64_t lead)
{
    json_t *out = NULL;
    int64_t now = time_mono_us();
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < ncache; i++)
        if (cache[i].lead == lead) {
            if (now < cache[i].until)
                out = json_deep_copy(cache[i].answer);
            else
                drop(i);
            break;
        }
    pthread_mutex_unlock(&cache_mu);
    return out;
}

static void cache_put(int64_t lead, const json_t *answer, int64_t ttl)
{
    char *text = json_dumps(answer, JSON_COMPACT);
    size_t bytes = (text ? strlen(text) : 0) * 2 + 128; /* the tree is bigger than its text */
    free(text);
    json_t *copy = json_deep_copy(answer);
    if (!copy || bytes > MKA_CACHE_BYTES / 4) {
        json_decref(copy);
        return;
    }
    int64_t now = time_mono_us();
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < ncache; i++)
        if (cache[i].lead == lead) {
            drop(i);
            break;
        }
    /* Expired entries go first, then the oldest, until the new one fits. */
    for (size_t i = 0; i < ncache;)
        if (cache[i].until <= now)
            drop(i);
        else
            i++;
    while (ncache && cache_bytes + bytes > MKA_CACHE_BYTES) {
        size_t old = 0;
        for (size_t i = 1; i < ncache; i++)
            if (cache[i].fetched < cache[old].fetched)
                old = i;
        drop(old);
    }
    if (ncache == cache_cap) {
        size_t cap = cache_cap ? cache_cap * 2 : 16;
        entry *n = realloc(cache, cap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&cache_mu);
            json_decref(copy);
            return;
        }
        cache = n;
        cache_cap = cap;
    }
    cache[ncache++] = (entry){lead, now + ttl, now, bytes, copy};
    cache_bytes += bytes;
    pthread_mutex_unlock(&cache_mu);
}

/* ---- fetching ---- */

/* One pass from `days` ago: the newest MKA_MAX_ITEMS into list (oldest
 * first); *complete 0 when MKA_MAX_PAGES pages did not reach the end. */
static hail_err one_pass(mkto_client *m, int64_t lead, int days, json_t *list, int *complete)
{
    char since[TIME_ISO_LEN];
    time_format_iso(time_now_us() - (int64_t)days * 86400 * US_PER_SEC, since);
    buf q = BUF_INIT(8192);
    json_t *root = NULL;
    mkto_envelope env;
    hail_err e = buf_printf(&q, "sinceDatetime=%s", since);
    if (!e)
        e = mkto_call(m, "GET", "/rest/v1/activities/pagingtoken.json", buf_cstr(&q), NULL, &root,
                      &env);
    char *token = NULL;
    if (!e && (!env.next_page || !(token = strdup(env.next_page))))
        e = env.next_page ? HAIL_ENOMEM : hail_errf(HAIL_EREMOTE, "Marketo sent no paging token");
    json_decref(root);
    root = NULL;
    *complete = 0;
    for (int page = 0; !e && page < MKA_MAX_PAGES; page++) {
        buf_reset(&q);
        if ((e = buf_puts(&q, "nextPageToken=")) || (e = mkto_escape(&q, token)) ||
            (e = buf_printf(&q, "&activityTypeIds=%s&leadIds=%lld&batchSize=300", MKA_TYPE_IDS,
                            (long long)lead)))
            break;
        if ((e = mkto_call(m, "GET", "/rest/v1/activities.json", buf_cstr(&q), NULL, &root, &env)))
            break;
        size_t bad = mka_keep_newest(list, env.result, MKA_MAX_ITEMS);
        if (bad)
            log_debug("marketo activities: %zu records of lead %lld not usable", bad,
                      (long long)lead);
        int more = env.more;
        free(token);
        token = env.next_page ? strdup(env.next_page) : NULL;
        json_decref(root);
        root = NULL;
        if (!more) {
            *complete = 1;
            break;
        }
        if (!token)
            e = hail_errf(HAIL_EREMOTE, "Marketo said there is more but sent no paging token");
    }
    free(token);
    buf_release(&q);
    return e;
}

static json_t *answer(const char *status, const char *message, json_t *data)
{
    json_t *a =
        json_pack("{ss sn so}", "status", status, "message", "data", data ? data : json_array());
    if (a && message && json_object_set_new(a, "message", json_string(message))) {
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *mka_for_lead(int64_t marketo_id)
{
    if (!marketo_configured())
        return answer("not_configured",
                      "Marketo is not configured on this server (HAIL_MARKETO_URL, "
                      "HAIL_MARKETO_CLIENT_ID, HAIL_MARKETO_CLIENT_SECRET): only hail's own "
                      "activities are shown.",
                      NULL);
    json_t *hit = cache_get(marketo_id);
    if (hit)
        return hit;
    marketo_config cfg;
    hail_err e = marketo_config_load(&cfg);
    if (e) {
        char msg[768];
        snprintf(msg, sizeof msg, "Marketo's settings are not valid: %s", hail_errmsg());
        return answer("unavailable", msg, NULL);
    }
    mkto_client *m = NULL;
    json_t *list = json_array();
    int complete = 0, days = MKA_DAYS;
    e = list ? mkto_client_new(&cfg, NULL, &m) : HAIL_ENOMEM;
    if (!e) {
        mkto_client_set_patience(m, PANEL_ATTEMPTS, PANEL_TIMEOUT_MS);
        e = one_pass(m, marketo_id, days, list, &complete);
    }
    if (!e && !complete) {
        days = MKA_SHORT_DAYS;
        json_array_clear(list);
        e = one_pass(m, marketo_id, days, list, &complete);
    }
    json_t *out;
    if (e) {
        char msg[768];
        snprintf(msg, sizeof msg, "Marketo's activities cannot be shown now: %s", hail_errmsg());
        log_warn("marketo activities of lead %lld: %s", (long long)marketo_id, hail_errmsg());
        json_decref(list);
        out = answer("unavailable", msg, NULL);
        if (out)
            cache_put(marketo_id, out, MKA_FAIL_TTL_US);
    } else {
        /* newest first */
        size_t n = json_array_size(list);
        json_t *data = json_array();
        for (size_t i = n; data && i > 0; i--)
            json_array_append(data, json_array_get(list, i - 1));
        json_decref(list);
        char msg[256];
        if (!complete)
            snprintf(msg, sizeof msg,
                     "Marketo has more activities for this person in the last %d days than "
                     "hail reads at once (%d pages): the newest may be missing.",
                     days, MKA_MAX_PAGES);
        else if (days != MKA_DAYS)
            snprintf(msg, sizeof msg,
                     "Marketo has more activities for this person than hail reads at once: "
                     "showing the last %d days.",
                     days);
        out = answer("ok", complete && days == MKA_DAYS ? NULL : msg, data);
        if (out)
            cache_put(marketo_id, out, MKA_TTL_US);
    }
    mkto_client_free(m);
    marketo_config_release(&cfg);
    return out;
}
