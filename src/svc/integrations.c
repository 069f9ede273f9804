#include "core/common.h"

/* Admin settings of the outboxes (svc/integrations.h). */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mustache.h"
#include "core/utf8.h"
#include "svc/activity.h"
#include "svc/integrations.h"

const char *const integ_sf_subject_vars[] = {
    "activity_type", "activity_subject", "sales_campaign_name",
    "sales_person",  "person_email",     NULL,
};

static const char vars_list[] =
    "activity_type, activity_subject, sales_campaign_name, sales_person, person_email";

void integrations_settings_free(integrations_settings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->sf_types_n; i++)
        free(s->sf_types[i]);
    free(s->sf_types);
    free(s->sf_subject);
    free(s->sf_external_id);
    memset(s, 0, sizeof *s);
}

static int known_type(const char *t)
{
    for (size_t i = 0; activity_types[i]; i++)
        if (!strcmp(activity_types[i], t))
            return 1;
    return 0;
}

/* The known types of a, in activity_types order, without duplicates;
 * unknown entries are dropped (a stored value from a later version). */
static hail_err types_from_json(json_t *a, integrations_settings *s)
{
    size_t n = 0;
    for (size_t i = 0; activity_types[i]; i++)
        n++;
    s->sf_types = calloc(n ? n : 1, sizeof *s->sf_types);
    if (!s->sf_types)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    for (size_t i = 0; activity_types[i]; i++) {
        size_t k;
        json_t *v;
        int on = 0;
        json_array_foreach(a, k, v) on |=
            json_is_string(v) && !strcmp(json_string_value(v), activity_types[i]);
        if (!on)
            continue;
        if (!(s->sf_types[s->sf_types_n] = strdup(activity_types[i])))
            return hail_errf(HAIL_ENOMEM, "out of memory");
        s->sf_types_n++;
    }
    return HAIL_OK;
}

/* What a missing variable renders as in a check: it marks the template as
 * using a name that is not a variable. */
typedef struct check_ctx {
    char unknown[128];
} check_ctx;

static hail_err on_missing_check(void *ctx, const char *name, size_t n, int escaped, buf *out)
{
    (void)escaped;
    (void)out;
    check_ctx *c = ctx;
    if (!c->unknown[0])
        snprintf(c->unknown, sizeof c->unknown, "%.*s", (int)(n > 100 ? 100 : n), name);
    return HAIL_OK;
}

static hail_err subject_check(const char *tpl)
{
    size_t chars = utf8_chars(tpl);
    if (chars == 0)
        return hail_errf(HAIL_EINVAL, "salesforce_subject must not be empty");
    if (chars > INTEG_SF_SUBJECT_MAX)
        return hail_errf(HAIL_EINVAL, "salesforce_subject must be at most %d characters, not %zu",
                         INTEG_SF_SUBJECT_MAX, chars);
    json_t *data = json_object();
    if (!data)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    for (size_t i = 0; integ_sf_subject_vars[i]; i++)
        json_object_set_new(data, integ_sf_subject_vars[i], json_string("x"));
    check_ctx c = {{0}};
    mustache_opts o = {.escape_html = 0, .on_missing = on_missing_check, .ctx = &c};
    buf b;
    buf_init(&b, 1 << 20);
    hail_err e = mustache_render(tpl, strlen(tpl), data, &o, &b);
    buf_release(&b);
    json_decref(data);
    if (e == HAIL_EINVAL)
        return hail_errf(HAIL_EINVAL, "salesforce_subject is not a valid template: %s",
                         hail_errmsg());
    if (e)
        return e;
    if (c.unknown[0])
        return hail_errf(HAIL_EINVAL,
                         "salesforce_subject uses {{%s}}, which is not one of its variables: %s",
                         c.unknown, vars_list);
    return HAIL_OK;
}

hail_err integrations_settings_load(db *d, integrations_settings *out)
{
    memset(out, 0, sizeof *out);
    char *machine = NULL, *types = NULL, *subject = NULL;
    hail_err e;
    if ((e = db_kv_get(d, INTEG_KV_MARKETO_MACHINE, &machine)) ||
        (e = db_kv_get(d, INTEG_KV_SF_TYPES, &types)) ||
        (e = db_kv_get(d, INTEG_KV_SF_SUBJECT, &subject)) ||
        (e = db_kv_get(d, INTEG_KV_SF_EXTERNAL_ID, &out->sf_external_id)))
        goto done;
    out->marketo_send_machine = !(machine && !strcmp(machine, "skip"));
    json_t *a = types ? json_loads(types, 0, NULL) : NULL;
    if (!json_is_array(a)) {
        json_decref(a);
        a = json_loads(INTEG_SF_TYPES_DEFAULT, 0, NULL);
    }
    e = types_from_json(a, out);
    json_decref(a);
    if (e)
        goto done;
    if (subject && subject_check(subject) == HAIL_OK) {
        out->sf_subject = subject;
        subject = NULL;
    } else if (!(out->sf_subject = strdup(INTEG_SF_SUBJECT_DEFAULT))) {
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    }
done:
    free(machine);
    free(types);
    free(subject);
    if (e)
        integrations_settings_free(out);
    return e;
}

int integrations_sf_logs(const integrations_settings *s, const char *type)
{
    for (size_t i = 0; type && i < s->sf_types_n; i++)
        if (!strcmp(s->sf_types[i], type))
            return 1;
    return 0;
}

json_t *integrations_settings_json(const integrations_settings *s)
{
    json_t *types = json_array();
    for (size_t i = 0; types && i < s->sf_types_n; i++)
        json_array_append_new(types, json_string(s->sf_types[i]));
    json_t *o =
        json_pack("{ss so ss}", "marketo_machine", s->marketo_send_machine ? "flagged" : "skip",
                  "salesforce_types", types, "salesforce_subject", s->sf_subject);
    if (o)
        json_object_set_new(o, "salesforce_external_id",
                            s->sf_external_id ? json_string(s->sf_external_id) : json_null());
    return o;
}

hail_err integrations_settings_put(db *d, const char *machine, json_t *types, const char *subject)
{
    if (machine && strcmp(machine, "flagged") && strcmp(machine, "skip"))
        return hail_errf(HAIL_EINVAL,
                         "marketo_machine must be \"flagged\" or \"skip\", not \"%.100s\"",
                         machine);
    char *types_text = NULL;
    if (types) {
        if (!json_is_array(types))
            return hail_errf(HAIL_EINVAL, "salesforce_types must be an array of activity types");
        size_t i;
        json_t *v;
        json_array_foreach(types, i, v)
        {
            if (!json_is_string(v) || !known_type(json_string_value(v))) {
                buf b;
                buf_init(&b, 4096);
                for (size_t k = 0; activity_types[k]; k++)
                    buf_printf(&b, "%s%s", k ? ", " : "", activity_types[k]);
                hail_err e;
                if (json_is_string(v))
                    e = hail_errf(HAIL_EINVAL,
                                  "salesforce_types[%zu] must be one of %s, not \"%.100s\"", i,
                                  buf_cstr(&b), json_string_value(v));
                else
                    e = hail_errf(HAIL_EINVAL, "salesforce_types[%zu] must be one of %s", i,
                                  buf_cstr(&b));
                buf_release(&b);
                return e;
            }
        }
        integrations_settings s = {0};
        hail_err e = types_from_json(types, &s);
        json_t *norm = e ? NULL : json_array();
        for (size_t k = 0; norm && k < s.sf_types_n; k++)
            json_array_append_new(norm, json_string(s.sf_types[k]));
        integrations_settings_free(&s);
        if (e)
            return e;
        types_text = norm ? json_dumps(norm, JSON_COMPACT) : NULL;
        json_decref(norm);
        if (!types_text)
            return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    hail_err e = HAIL_OK;
    if (subject && (e = subject_check(subject))) {
        free(types_text);
        return e;
    }
    if ((e = db_begin(d)))
        goto out;
    if ((machine && (e = db_kv_set(d, INTEG_KV_MARKETO_MACHINE, machine))) ||
        (types_text && (e = db_kv_set(d, INTEG_KV_SF_TYPES, types_text))) ||
        (subject && (e = db_kv_set(d, INTEG_KV_SF_SUBJECT, subject)))) {
        db_rollback(d);
        goto out;
    }
    e = db_commit(d);
out:
    free(types_text);
    return e;
}

hail_err integrations_subject_render(const char *tpl, json_t *data, char **out)
{
    *out = NULL;
    mustache_opts o = {.escape_html = 0};
    buf b;
    buf_init(&b, 64 * 1024);
    hail_err e = mustache_render(tpl, strlen(tpl), data, &o, &b);
    if (e) {
        buf_release(&b);
        return e;
    }
    size_t len = 0;
    char *s = buf_detach(&b, &len);
    if (!s)
        s = strdup("");
    if (!s)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    /* Cut to INTEG_SF_SUBJECT_OUT code points (a whole character). */
    size_t i = 0, chars = 0;
    while (s[i] && chars < INTEG_SF_SUBJECT_OUT) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    s[i] = '\0';
    *out = s;
    return HAIL_OK;
}
