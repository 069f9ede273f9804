#include "core/common.h"

#include "mail/unsub.h"

#include "core/timeutil.h"
#include "store/unsub.h"
#include "svc/activity.h"

hail_err unsub_state(db *d, int64_t person_id, int *unsubscribed)
{
    int64_t since;
    char source[32];
    hail_err e = unsub_store_state(d, person_id, &since, source, sizeof source);
    *unsubscribed = !e && since != 0;
    return e;
}

hail_err unsub_record(db *d, int64_t person_id, const char *action, const char *source,
                      int64_t user_id, int64_t email_id)
{
    int unsub = !strcmp(action, "unsubscribe");
    if (!unsub && strcmp(action, "resubscribe") != 0)
        return hail_errf(HAIL_EINVAL, "unknown unsubscribe action '%s'", action);
    if (!db_in_tx(d))
        return hail_errf(HAIL_EINVAL, "an unsubscribe is recorded inside a transaction");
    /* Two nodes unsubscribing the same person at once record it once. */
    char lock[64];
    snprintf(lock, sizeof lock, "unsub.%lld", (long long)person_id);
    hail_err e = db_lock(d, lock);
    int now_unsub;
    if (!e)
        e = unsub_state(d, person_id, &now_unsub);
    if (e)
        return e;
    if (now_unsub == unsub)
        return HAIL_OK; /* nothing changes */
    int64_t at = time_now_us();
    json_t *attrs = json_pack("{ss}", "source", source);
    if (!attrs)
        return HAIL_ENOMEM;
    activity a = {
        .type = unsub ? ACT_UNSUBSCRIBE : ACT_RESUBSCRIBE,
        .person_id = person_id,
        .user_id = user_id,
        .email_id = email_id,
        .occurred_at = at,
        .attrs = attrs,
    };
    if (!(e = unsub_store_add(d, person_id, action, source, user_id, email_id, at)) &&
        !(e = unsub_store_set(d, person_id, unsub ? at : 0, source)))
        e = activity_record(d, &a, NULL);
    json_decref(attrs);
    return e;
}

hail_err unsub_get(db *d, int64_t person_id, json_t **out)
{
    *out = NULL;
    hail_err e = unsub_store_person(d, person_id);
    if (e == HAIL_ENOTFOUND)
        return hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)person_id);
    int64_t since;
    char source[32];
    json_t *hist = NULL;
    if (e || (e = unsub_store_state(d, person_id, &since, source, sizeof source)) ||
        (e = unsub_store_history(d, person_id, &hist))) {
        json_decref(hist);
        return e;
    }
    char iso[TIME_ISO_LEN];
    if (since)
        time_format_iso(since, iso);
    *out = json_pack("{sb so so so}", "unsubscribed", since != 0, "since",
                     since ? json_string(iso) : json_null(), "source",
                     since ? json_string(source) : json_null(), "data", hist);
    return *out ? HAIL_OK : HAIL_ENOMEM;
}

hail_err unsub_change(db *d, int64_t person_id, const char *action, const char *source,
                      int64_t user_id, int64_t email_id, json_t **out)
{
    if (out)
        *out = NULL;
    hail_err e = unsub_store_person(d, person_id);
    if (e == HAIL_ENOTFOUND)
        return hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)person_id);
    if (e || (e = db_begin(d)))
        return e;
    if ((e = unsub_record(d, person_id, action, source, user_id, email_id)) || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    return out ? unsub_get(d, person_id, out) : HAIL_OK;
}

hail_err unsub_email_person(db *d, int64_t email_id, int64_t *person_id, char *to, size_t n)
{
    return unsub_store_email(d, email_id, person_id, to, n);
}
