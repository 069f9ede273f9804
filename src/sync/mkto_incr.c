#include "core/common.h"

/* Incremental sync: Marketo's activity feeds since the last successful sync.
 *
 * Changes phase: leadchanges.json pages (data-value changes of our fields and
 * new leads) give the ids of leads that changed; their current whole records
 * come from leads.json (≤ 300 ids a call) and are upserted. An id that
 * leads.json no longer returns was deleted. Deleted phase: deletedleads.json
 * pages mark people deleted. Each batch is one short transaction that also
 * stores the paging token to continue from, so an interruption loses nothing
 * and repeats little. No transaction is open during an API call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "sync/marketo.h"

#define LEADS_PER_CALL 300
#define SCRATCH        2048

typedef struct idvec {
    int64_t *v;
    size_t n, cap;
} idvec;

static hail_err idvec_push(idvec *a, int64_t id)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 512;
        int64_t *p = realloc(a->v, cap * sizeof *p);
        if (!p)
            return HAIL_ENOMEM;
        a->v = p;
        a->cap = cap;
    }
    a->v[a->n++] = id;
    return HAIL_OK;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void idvec_sort_unique(idvec *a)
{
    if (a->n < 2)
        return;
    qsort(a->v, a->n, sizeof a->v[0], cmp_id);
    size_t k = 1;
    for (size_t i = 1; i < a->n; i++)
        if (a->v[i] != a->v[k - 1])
            a->v[k++] = a->v[i];
    a->n = k;
}

static int idvec_has(const idvec *a, int64_t id)
{
    return bsearch(&id, a->v, a->n, sizeof id, cmp_id) != NULL;
}

static hail_err paging_token(mkto_run *r, char *out, size_t size)
{
    char since[TIME_ISO_LEN];
    time_format_iso(r->ck.since_inc_us, since);
    buf q = BUF_INIT(256);
    hail_err e = buf_puts(&q, "sinceDatetime=");
    if (!e)
        e = mkto_escape(&q, since);
    json_t *root = NULL;
    mkto_envelope env;
    if (!e)
        e = mkto_call(r->m, "GET", "/rest/v1/activities/pagingtoken.json", q.data, NULL, &root,
                      &env);
    buf_release(&q);
    if (e)
        return e;
    if (!env.next_page || strlen(env.next_page) >= size)
        e = hail_errf(HAIL_EREMOTE, "Marketo's pagingtoken answer has no usable nextPageToken");
    else
        snprintf(out, size, "%s", env.next_page);
    json_decref(root);
    return e;
}

/* One page of an activity feed. */
static hail_err feed_page(mkto_run *r, const char *path, const char *token, int with_fields,
                          json_t **root, mkto_envelope *env)
{
    buf q = BUF_INIT(8192);
    hail_err e = buf_puts(&q, "nextPageToken=");
    if (!e)
        e = mkto_escape(&q, token);
    if (!e && with_fields)
        e = buf_printf(&q, "&fields=%s%s%s", mkto_fields_csv(), r->cfg->time_zone_field ? "," : "",
                       r->cfg->time_zone_field ? r->cfg->time_zone_field : "");
    if (!e)
        e = buf_puts(&q, "&batchSize=300");
    if (!e)
        e = mkto_call(r->m, "GET", path, q.data, NULL, root, env);
    buf_release(&q);
    return e;
}

static int64_t lead_id_of(json_t *act)
{
    json_t *v = json_object_get(act, "leadId");
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

/* Fetches the current records of ids[0..n) (n ≤ 300); appends each answer's
 * root to roots (the records point into them). */
static hail_err fetch_leads(mkto_run *r, const int64_t *ids, size_t n, json_t *roots)
{
    buf base = BUF_INIT(64 * 1024);
    hail_err e = buf_puts(&base, "filterType=id&filterValues=");
    for (size_t i = 0; !e && i < n; i++)
        e = buf_printf(&base, "%s%lld", i ? "," : "", (long long)ids[i]);
    if (!e)
        e = buf_printf(&base, "&fields=%s%s%s&batchSize=%d", mkto_fields_csv(),
                       r->cfg->time_zone_field ? "," : "",
                       r->cfg->time_zone_field ? r->cfg->time_zone_field : "", LEADS_PER_CALL);
    buf q = BUF_INIT(64 * 1024);
    char *page = NULL;
    while (!e) {
        buf_reset(&q);
        if ((e = buf_append(&q, base.data, base.len)))
            break;
        if (page && ((e = buf_puts(&q, "&nextPageToken=")) || (e = mkto_escape(&q, page))))
            break;
        json_t *root;
        mkto_envelope env;
        if ((e = mkto_call(r->m, "GET", "/rest/v1/leads.json", q.data, NULL, &root, &env)))
            break;
        json_array_append_new(roots, root);
        free(page);
        page = NULL;
        if (!env.more || !env.next_page)
            break;
        if (!(page = strdup(env.next_page)))
            e = HAIL_ENOMEM;
    }
    free(page);
    buf_release(&q);
    buf_release(&base);
    return e;
}

/* Upserts the records in roots, deactivates the ids among want that did not
 * come back, and stores the checkpoint — one transaction. */
static hail_err write_leads(mkto_run *r, json_t *roots, const int64_t *want, size_t nwant,
                            int save_ck)
{
    idvec got = {0};
    people_writer *w = NULL;
    hail_err e = mkto_writer_open(r, 0, &w);
    char scratch[SCRATCH];
    for (size_t i = 0; !e && i < json_array_size(roots); i++) {
        json_t *res = json_object_get(json_array_get(roots, i), "result");
        for (size_t k = 0; !e && k < json_array_size(res); k++) {
            json_t *rec = json_array_get(res, k);
            char why[300];
            if (mkto_record_skipped(rec, why, sizeof why)) {
                log_warn("marketo: leads.json skipped a record: %s", why);
                continue;
            }
            person_in p;
            e = mkto_person_from_json(rec, r->cfg->time_zone_field, &p, scratch, sizeof scratch);
            if (!e)
                mkto_check_time_zone(&p, r->cfg->time_zone_field);
            if (!e)
                e = idvec_push(&got, p.marketo_id);
            if (!e)
                e = people_writer_put(w, &p);
            if (e == HAIL_EINVAL) {
                if (r->rejected++ < 10)
                    log_warn("marketo: skipping lead %lld: %s", (long long)p.marketo_id,
                             hail_errmsg());
                e = HAIL_OK;
            }
        }
    }
    idvec_sort_unique(&got);
    /* Changed, but gone now: deleted in Marketo. */
    for (size_t i = 0; !e && i < nwant; i++)
        if (!idvec_has(&got, want[i]))
            e = people_writer_deactivate(w, want[i], 1);
    if (!e && save_ck)
        e = mkto_save_checkpoint(r);
    hail_err e2 = w ? mkto_writer_close(r, w, !e) : HAIL_OK;
    free(got.v);
    mkto_progress(r, "changes", 0);
    return e ? e : e2;
}

/* Writes the changed leads collected so far, then records `next` as where
 * the feed continues. */
static hail_err flush_changes(mkto_run *r, idvec *pending, const char *next)
{
    idvec_sort_unique(pending);
    hail_err e = HAIL_OK;
    size_t done = 0;
    do {
        size_t n = pending->n - done > LEADS_PER_CALL ? LEADS_PER_CALL : pending->n - done;
        int last = done + n == pending->n;
        json_t *roots = json_array();
        if (!roots)
            return HAIL_ENOMEM;
        if (n)
            e = fetch_leads(r, pending->v + done, n, roots);
        if (!e && last)
            snprintf(r->ck.token, sizeof r->ck.token, "%s", next);
        if (!e && (n || last))
            e = write_leads(r, roots, pending->v + done, n, last);
        json_decref(roots);
        done += n;
        if (mkto_stopping(r) && !e && !last)
            e = hail_errf(HAIL_ECANCELLED, "stopped");
    } while (!e && done < pending->n);
    pending->n = 0;
    return e;
}

static hail_err changes_phase(mkto_run *r)
{
    hail_err e = HAIL_OK;
    idvec pending = {0};
    char *cur = strdup(r->ck.token);
    if (!cur)
        return HAIL_ENOMEM;
    for (;;) {
        json_t *root;
        mkto_envelope env;
        if ((e = feed_page(r, "/rest/v1/activities/leadchanges.json", cur, 1, &root, &env)))
            break;
        for (size_t i = 0; !e && i < json_array_size(env.result); i++) {
            int64_t id = lead_id_of(json_array_get(env.result, i));
            if (id > 0)
                e = idvec_push(&pending, id);
        }
        int more = env.more;
        char *next = env.next_page ? strdup(env.next_page) : NULL;
        json_decref(root);
        if (!e && !next)
            e = hail_errf(HAIL_EREMOTE, "Marketo's leadchanges page has no nextPageToken");
        if (!e && strlen(next) >= sizeof r->ck.token)
            e = hail_errf(HAIL_EREMOTE, "Marketo's nextPageToken is too long");
        /* A short or empty page with moreResult is not the end. */
        if (!e && (pending.n >= LEADS_PER_CALL || !more || mkto_stopping(r)))
            e = flush_changes(r, &pending, next);
        free(cur);
        cur = next;
        if (e || !more)
            break;
        if (mkto_stopping(r)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
    }
    free(cur);
    free(pending.v);
    return e;
}

static hail_err deleted_phase(mkto_run *r)
{
    hail_err e = HAIL_OK;
    for (;;) {
        json_t *root;
        mkto_envelope env;
        if ((e = feed_page(r, "/rest/v1/activities/deletedleads.json", r->ck.token, 0, &root,
                           &env)))
            break;
        int more = env.more;
        if (!env.next_page || strlen(env.next_page) >= sizeof r->ck.token) {
            json_decref(root);
            e = hail_errf(HAIL_EREMOTE, "Marketo's deletedleads page has no usable nextPageToken");
            break;
        }
        snprintf(r->ck.token, sizeof r->ck.token, "%s", env.next_page);
        size_t n = json_array_size(env.result);
        if (n) {
            people_writer *w;
            if (!(e = mkto_writer_open(r, 0, &w))) {
                for (size_t i = 0; !e && i < n; i++) {
                    int64_t id = lead_id_of(json_array_get(env.result, i));
                    if (id > 0)
                        e = people_writer_deactivate(w, id, 1);
                }
                if (!e)
                    e = mkto_save_checkpoint(r);
                hail_err e2 = mkto_writer_close(r, w, !e);
                if (!e)
                    e = e2;
            }
        } else {
            e = mkto_save_checkpoint(r);
        }
        json_decref(root);
        mkto_progress(r, "deleted", 0);
        if (e || !more)
            break;
        if (mkto_stopping(r)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
    }
    return e;
}

hail_err mkto_incr_sync(mkto_run *r)
{
    hail_err e;
    if (r->ck.phase == MKTO_PHASE_CHANGES) {
        mkto_progress(r, "changes", 1);
        if (!r->ck.token[0]) {
            if ((e = paging_token(r, r->ck.token, sizeof r->ck.token)) ||
                (e = mkto_save_checkpoint(r)))
                return e;
        }
        if ((e = changes_phase(r)))
            return e;
        r->ck.phase = MKTO_PHASE_DELETED;
        r->ck.token[0] = '\0';
    }
    mkto_progress(r, "deleted", 1);
    if (!r->ck.token[0]) {
        if ((e = paging_token(r, r->ck.token, sizeof r->ck.token)) || (e = mkto_save_checkpoint(r)))
            return e;
    }
    return deleted_phase(r);
}
