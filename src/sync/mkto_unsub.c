#include "core/common.h"

/* The Marketo unsubscribe check: sync/mkto_unsub.h. */
#include "sync/mkto_unsub.h"

#include "core/buf.h"
#include "sync/marketo.h"

#define KV_SWITCH "mail.marketo_unsubscribe_check"

hail_err mkto_unsub_enabled(db *d, int *on)
{
    char *v = NULL;
    hail_err e = db_kv_get(d, KV_SWITCH, &v);
    *on = !e && v && !strcmp(v, "1");
    free(v);
    return e;
}

hail_err mkto_unsub_set(db *d, int on)
{
    return db_kv_set(d, KV_SWITCH, on ? "1" : "0");
}

hail_err mkto_unsub_check(const char *address, const atomic_int *stop, int *unsubscribed)
{
    *unsubscribed = 0;
    if (!marketo_configured())
        return hail_errf(HAIL_EUNAVAIL, "the Marketo unsubscribe check is on but Marketo is not "
                                        "configured");
    marketo_config cfg;
    hail_err e = marketo_config_load(&cfg);
    if (e)
        return hail_errf(HAIL_EUNAVAIL, "Marketo cannot be asked: %s", hail_errmsg());
    mkto_client *m = NULL;
    buf q = BUF_INIT(4096);
    json_t *root = NULL;
    if ((e = mkto_client_new(&cfg, stop, &m)))
        goto out;
    if ((e = buf_puts(&q, "filterType=email&fields=email,unsubscribed&filterValues=")) ||
        (e = mkto_escape(&q, address)))
        goto out;
    mkto_envelope env;
    if ((e = mkto_call(m, "GET", "/rest/v1/leads.json", buf_cstr(&q), NULL, &root, &env)))
        goto out;
    size_t i;
    json_t *rec;
    json_array_foreach(env.result, i, rec)
    {
        json_t *u = json_object_get(rec, "unsubscribed");
        if (json_is_true(u) || (json_is_string(u) && !strcasecmp(json_string_value(u), "true")))
            *unsubscribed = 1;
    }
out:
    if (e)
        e = hail_errf(HAIL_EUNAVAIL, "Marketo cannot be asked: %s", hail_errmsg());
    json_decref(root);
    buf_release(&q);
    mkto_client_free(m);
    marketo_config_release(&cfg);
    return e;
}
