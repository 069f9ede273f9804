#include "core/common.h"

#include "svc/triggers.h"

#include <sodium.h>

#include "core/timeutil.h"
#include "mail/seal.h"
#include "net/outbound.h"
#include "store/filters.h"
#include "store/triggers.h"
#include "store/users.h"
#include "svc/campaigns.h"

/* Triggers: their rules and their CRUD (svc/triggers.h). */

static hail_err bad(const char *fmt, const char *a)
{
    return hail_errf(HAIL_EINVAL, fmt, a);
}

/* The members each action's config may have. */
static const char *const webhook_members[] = {"url", "secret", NULL};
static const char *const campaign_members[] = {"campaign_id", NULL};
static const char *const task_members[] = {
    "task_name", "task_type", "task_details", "task_priority", "due_in_hours", "assignee_id", NULL};

static int listed(const char *const *list, const char *k)
{
    for (; *list; list++)
        if (!strcmp(*list, k))
            return 1;
    return 0;
}

/* A string member: 0 absent, 1 present and a string, -1 another type. */
static int str_member(const json_t *o, const char *k, const char **v)
{
    json_t *m = json_object_get(o, k);
    *v = NULL;
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_string(m))
        return -1;
    *v = json_string_value(m);
    return 1;
}

static int int_member(const json_t *o, const char *k, json_int_t min, json_int_t max, json_int_t *v)
{
    json_t *m = json_object_get(o, k);
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_integer(m) || json_integer_value(m) < min || json_integer_value(m) > max)
        return -1;
    *v = json_integer_value(m);
    return 1;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static hail_err check_url(const char *url)
{
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return bad("config.url must start with http:// or https://%s", "");
    if (strlen(url) > TRIG_URL_MAX)
        return hail_errf(HAIL_EINVAL, "config.url must be at most %d characters", TRIG_URL_MAX);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return bad("config.url must not contain spaces or control characters%s", "");
    const char *host = strstr(url, "//") + 2;
    if (!*host || *host == '/' || *host == ':' || *host == '?' || *host == '#')
        return bad("config.url has no host%s", "");
    return HAIL_OK;
}

hail_err trig_check_config(const char *action, const json_t *config, int create)
{
    if (!action)
        return bad("action is required%s", "");
    if (!json_is_object(config))
        return bad("config must be an object%s", "");
    const char *const *allowed = !strcmp(action, "webhook")           ? webhook_members
                                 : !strcmp(action, "add_to_campaign") ? campaign_members
                                 : !strcmp(action, "create_task")     ? task_members
                                                                      : NULL;
    if (!allowed)
        return bad("action must be one of webhook, add_to_campaign, create_task, not '%.40s'",
                   action);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)config, k, v)
    {
        if (!listed(allowed, k))
            return hail_errf(HAIL_EINVAL, "config.%.60s is not a setting of a %s trigger", k,
                             action);
    }
    const char *s;
    json_int_t i;
    if (allowed == webhook_members) {
        int r = str_member(config, "url", &s);
        if (r < 0)
            return bad("config.url must be a string%s", "");
        if (!r)
            return bad("config.url is required for a webhook trigger%s", "");
        hail_err e = check_url(s);
        if (e)
            return e;
        r = str_member(config, "secret", &s);
        if (r < 0)
            return bad("config.secret must be a string%s", "");
        if (!r && create)
            return bad("config.secret is required for a webhook trigger: the receiver checks "
                       "X-Hail-Signature with it%s",
                       "");
        if (r && (chars(s) < TRIG_SECRET_MIN || chars(s) > TRIG_SECRET_MAX))
            return hail_errf(HAIL_EINVAL, "config.secret must be %d to %d characters",
                             TRIG_SECRET_MIN, TRIG_SECRET_MAX);
        return HAIL_OK;
    }
    if (allowed == campaign_members) {
        int r = int_member(config, "campaign_id", 1, INT64_MAX, &i);
        if (r < 0)
            return bad("config.campaign_id must be a positive integer%s", "");
        if (!r)
            return bad("config.campaign_id is required for an add_to_campaign trigger%s", "");
        return HAIL_OK;
    }
    int r = str_member(config, "task_name", &s);
    if (r < 0)
        return bad("config.task_name must be a string%s", "");
    if (!r)
        return bad("config.task_name is required for a create_task trigger%s", "");
    if (!chars(s) || chars(s) > 200)
        return bad("config.task_name must be 1 to 200 characters%s", "");
    if ((r = str_member(config, "task_type", &s)) < 0 ||
        (r && strcmp(s, "call") && strcmp(s, "linkedin") && strcmp(s, "custom")))
        return bad("config.task_type must be one of call, linkedin, custom%s", "");
    if ((r = str_member(config, "task_details", &s)) < 0 || (r && chars(s) > 1000))
        return bad("config.task_details must be a string of at most 1000 characters%s", "");
    if ((r = str_member(config, "task_priority", &s)) < 0 ||
        (r && strcmp(s, "normal") && strcmp(s, "high")))
        return bad("config.task_priority must be one of normal, high%s", "");
    if (int_member(config, "due_in_hours", 0, 8760, &i) < 0)
        return bad("config.due_in_hours must be an integer from 0 to 8760%s", "");
    if (int_member(config, "assignee_id", 1, INT64_MAX, &i) < 0)
        return bad("config.assignee_id must be a positive integer%s", "");
    return HAIL_OK;
}

void trig_sign(const char *key, size_t key_n, const char *body, size_t n,
               char out[TRIG_SIGNATURE_SIZE])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, key_n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, n);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, TRIG_SIGNATURE_SIZE - 7, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

int64_t trig_wh_backoff_us(int attempts, uint32_t rnd)
{
    return ob_backoff_us(attempts > 0 ? attempts - 1 : 0, TRIG_WH_BASE_US, TRIG_WH_CAP_US, rnd);
}

static void collect_types(const json_t *j, json_t *out, int depth)
{
    if (depth > 64)
        return;
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) collect_types(v, out, depth + 1);
        return;
    }
    if (!json_is_object(j))
        return;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v)
    {
        if (!strcmp(k, "type") && json_is_string(v))
            json_array_append(out, v);
        else if (!strcmp(k, "types") && json_is_array(v)) {
            size_t i;
            json_t *t;
            json_array_foreach(v, i, t) if (json_is_string(t)) json_array_append(out, t);
        } else
            collect_types(v, out, depth + 1);
    }
}

json_t *trig_filter_types(const json_t *definition)
{
    json_t *out = json_array();
    if (out)
        collect_types(definition, out, 0);
    return out;
}

/* ---- CRUD ---- */

/* The references of a config: the campaign, the assignee. */
static hail_err check_refs(db *d, int64_t user_id, const char *action, const json_t *config)
{
    if (!strcmp(action, "add_to_campaign")) {
        int64_t id = json_integer_value(json_object_get(config, "campaign_id"));
        camp_user u = {user_id, "admin"};
        json_t *c = NULL;
        hail_err e = campaign_get(d, &u, id, &c);
        json_decref(c);
        if (e == HAIL_ENOTFOUND)
            return hail_errf(HAIL_EINVAL, "config.campaign_id: no campaign with id %lld",
                             (long long)id);
        return e;
    }
    if (!strcmp(action, "create_task")) {
        json_t *a = json_object_get(config, "assignee_id");
        if (!a)
            return HAIL_OK;
        user u;
        hail_err e = users_get(d, json_integer_value(a), &u);
        if (e == HAIL_ENOTFOUND || (!e && !u.active))
            return hail_errf(HAIL_EINVAL, "config.assignee_id: no active user with id %lld",
                             (long long)json_integer_value(a));
        return e;
    }
    return HAIL_OK;
}

/* The saved filter filter_id exists (any filter: the trigger is an admin's). */
static hail_err check_filter(db *d, int64_t filter_id)
{
    json_t *f = NULL;
    hail_err e = filter_get(d, filter_id, &f);
    json_decref(f);
    if (e == HAIL_ENOTFOUND)
        return hail_errf(HAIL_EINVAL, "filter_id: no filter with id %lld", (long long)filter_id);
    return e;
}

/* The stored config (no secret) as JSON text, and the secret sealed. */
static hail_err split_config(db *d, const json_t *config, char **text, unsigned char **sealed,
                             size_t *sealed_n, int *has_secret)
{
    *text = NULL;
    *sealed = NULL;
    *sealed_n = 0;
    *has_secret = 0;
    json_t *c = json_deep_copy(config);
    if (!c)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    json_t *s = json_object_get(c, "secret");
    hail_err e = HAIL_OK;
    if (json_is_string(s)) {
        *has_secret = 1;
        e = seal_password(d, json_string_value(s), json_string_length(s), sealed, sealed_n);
    }
    json_object_del(c, "secret");
    json_object_del(c, "secret_set");
    if (!e && !(*text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS)))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    json_decref(c);
    if (e) {
        free(*sealed);
        *sealed = NULL;
    }
    return e;
}

hail_err trig_create(db *d, int64_t user_id, const json_t *body, json_t **out)
{
    *out = NULL;
    const char *action = json_string_value(json_object_get(body, "action"));
    const json_t *config = json_object_get(body, "config");
    hail_err e = trig_check_config(action, config, 1);
    if (!e)
        e = check_filter(d, json_integer_value(json_object_get(body, "filter_id")));
    if (!e)
        e = check_refs(d, user_id, action, config);
    if (e)
        return e;
    trig_write w = {
        .name = json_string_value(json_object_get(body, "name")),
        .filter_id = json_integer_value(json_object_get(body, "filter_id")),
        .action = action,
        .enabled = json_is_boolean(json_object_get(body, "enabled"))
                       ? json_is_true(json_object_get(body, "enabled"))
                       : 1,
        .created_by = user_id,
    };
    char *text;
    unsigned char *sealed;
    int has;
    if ((e = split_config(d, config, &text, &sealed, &w.secret_n, &has)))
        return e;
    w.config = text;
    w.secret = sealed;
    int64_t id = 0;
    e = trig_db_create(d, &w, time_now_us(), &id);
    free(text);
    free(sealed);
    return e ? e : trig_db_get(d, id, out);
}

hail_err trig_update(db *d, int64_t id, const json_t *body, json_t **out)
{
    *out = NULL;
    trig_row old;
    hail_err e = trig_db_row(d, id, &old);
    if (e)
        return e;
    json_t *jaction = json_object_get(body, "action");
    const char *action = jaction ? json_string_value(jaction) : old.action;
    const json_t *config = json_object_get(body, "config");
    int changed = strcmp(action, old.action) != 0;
    trig_write w = {
        .name = json_string_value(json_object_get(body, "name")),
        .filter_id = json_integer_value(json_object_get(body, "filter_id")),
        .action = jaction ? action : NULL,
        .enabled = json_is_boolean(json_object_get(body, "enabled"))
                       ? json_is_true(json_object_get(body, "enabled"))
                       : -1,
    };
    char *text = NULL;
    unsigned char *sealed = NULL;
    if (w.filter_id && (e = check_filter(d, w.filter_id)))
        ; /* e says which */
    else if (changed && !config)
        e = hail_errf(HAIL_EINVAL, "config is required when the action changes (from %s to %s)",
                      old.action, action);
    else if (config) {
        unsigned char *cur = NULL;
        size_t cur_n = 0;
        if (!changed && !strcmp(action, "webhook"))
            e = trig_db_secret(d, id, &cur, &cur_n);
        free(cur);
        if (!e)
            e = trig_check_config(action, config, !cur);
        if (!e)
            e = check_refs(d, old.created_by, action, config);
        int has = 0;
        if (!e)
            e = split_config(d, config, &text, &sealed, &w.secret_n, &has);
        w.config = text;
        w.secret = sealed;
        /* a new secret replaces the old; another action keeps none */
        w.set_secret = has || changed;
    }
    if (!e)
        e = trig_db_update(d, id, &w, time_now_us());
    free(text);
    free(sealed);
    free(old.name);
    free(old.action);
    json_decref(old.config);
    return e ? e : trig_db_get(d, id, out);
}

hail_err trig_delete(db *d, int64_t id)
{
    return trig_db_delete(d, id);
}

hail_err trig_get(db *d, int64_t id, json_t **out)
{
    return trig_db_get(d, id, out);
}

hail_err trig_list(db *d, int64_t after, int limit, json_t **out, int64_t *next)
{
    return trig_db_page(d, after, limit, out, next);
}

/* HAIL_ENOTFOUND when trigger id does not exist. */
static hail_err exists(db *d, int64_t id)
{
    trig_row r;
    hail_err e = trig_db_row(d, id, &r);
    if (!e) {
        free(r.name);
        free(r.action);
        json_decref(r.config);
    }
    return e;
}

hail_err trig_fires(db *d, int64_t id, int64_t before, int limit, json_t **out, int64_t *next)
{
    *out = NULL;
    hail_err e = exists(d, id);
    return e ? e : trig_db_fires_page(d, id, before, limit, out, next);
}

hail_err trig_deliveries(db *d, int64_t id, int64_t before, int limit, json_t **out, int64_t *next)
{
    *out = NULL;
    hail_err e = exists(d, id);
    return e ? e : wh_db_page(d, id, before, limit, out, next);
}
