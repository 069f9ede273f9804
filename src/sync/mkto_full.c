#include "core/common.h"

/* Full sync: bulk lead exports streamed into the store.
 *
 * Windows of createdAt (≤ 31 days) from HAIL_MARKETO_SINCE up to the start of
 * the sync, or one export of the smart list. Up to PIPELINE jobs are created
 * and enqueued ahead so Marketo's two processing slots stay busy while we
 * import, but files are imported strictly in window order so the checkpoint
 * is one cursor (next_us) plus the window being read.
 *
 * The file goes straight from curl's write callback through sha256 and the
 * CSV parser into people_writer: nothing holds a whole file. A checkpoint
 * (the byte offset and record count of the last complete record, the sha256
 * state, the header) is written in the same transaction as the people it
 * covers, every CKPT_ROWS records or CKPT_US. Between checkpoints the writer
 * also commits (without one) whenever another writer waits for the lock
 * (db_bulk_due, store/db.h), so the server's writes stay prompt during a full
 * sync; a resume re-puts those records, which changes nothing. To know the offset of a record
 * boundary, the bytes after a checkpoint became due are fed line by line
 * until the parser sits between records. After an interruption the file is
 * asked for again with Range from that offset; a dropped connection does the
 * same within one run, skipping records already written since.
 *
 * The write transaction is only open while a file streams in: while waiting
 * for Marketo the writer is paused (committed, no transaction), so `hail
 * serve` can write to the same database meanwhile.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "people/marketo_csv.h"
#include "sync/marketo.h"

#define PIPELINE             4                     /* export jobs outstanding (≤ 10 queued) */
#define CKPT_ROWS            50000                 /* records per checkpoint */
#define CKPT_US              (INT64_C(250) * 1000) /* …or this much time */
#define MAX_RECORD           (4u << 20)            /* one CSV record, quoted newlines and all */
#define MAX_JOB_FAILURES     3
#define EXPORT_FULL_WAIT_MAX (INT64_C(2) * 3600 * 1000000)
#define MAX_REJECTS_LOGGED   10

typedef struct full {
    mkto_run *r;
    people_writer *w;
    int paused; /* writer open but no transaction */
} full;

/* ---- writer transaction control ---- */

static hail_err writer_active(full *f)
{
    if (!f->w) {
        hail_err e = mkto_writer_open(f->r, PW_BULK, &f->w);
        if (e)
            return e;
        f->paused = 0;
        return HAIL_OK;
    }
    if (f->paused) {
        hail_err e = db_begin(f->r->d);
        if (e)
            return e;
        f->paused = 0;
    }
    return HAIL_OK;
}

/* Commits and leaves no transaction open (people_writer keeps its state). */
static hail_err writer_pause(full *f)
{
    if (!f->w || f->paused)
        return HAIL_OK;
    hail_err e = db_commit(f->r->d);
    if (!e)
        f->paused = 1;
    return e;
}

/* Ends the writer: rebuilds the indexes a bulk load dropped. */
static hail_err writer_finish(full *f, int ok)
{
    if (!f->w)
        return HAIL_OK;
    if (f->paused && db_begin(f->r->d) == HAIL_OK)
        f->paused = 0;
    mkto_progress(f->r, "indexing", 1);
    /* Rows past the last checkpoint are whole records: keep them even on
     * failure (sent first, so that the run's stats count them). */
    hail_err e = f->paused ? HAIL_OK : people_writer_flush(f->w);
    hail_err e2 = mkto_writer_close(f->r, f->w, !f->paused && !e);
    e = e ? e : e2;
    f->w = NULL;
    return ok ? e : HAIL_OK;
}

/* ---- importing one file ----
 *
 * Two threads share the work: the calling thread downloads, hashes, parses
 * and validates (the producer); a writer thread owns the database for the
 * length of the file and puts the records (the consumer). Records travel in
 * fixed-size batches (field bytes copied into the batch's arena) through a
 * small pool: the producer fills one, the writer drains the rest in order.
 * A batch that ends on a record boundary the producer chose for a checkpoint
 * carries that boundary's offset, record count, sha256 state and header; the
 * writer saves the checkpoint right after putting the batch, so a checkpoint
 * only ever covers records already in its transaction. The first error on
 * either side stops both: the writer's is kept in the pool and seen by the
 * producer when it asks for an empty batch; the producer's ends the download,
 * after which the writer drains what was queued and stops. */

#define BATCH_ROWS  1024
#define BATCH_BYTES (512u << 10) /* ≥ PF_COUNT * PERSON_FIELD_MAX */
#define NBATCH      4

typedef struct batch {
    size_t n, used;
    uint64_t rejected; /* records refused by the producer */
    int ckpt;          /* ends at a checkpoint boundary: the fields below */
    int sha_ok;
    uint64_t offset, records;
    crypto_hash_sha256_state sha;
    char header[sizeof((mkto_checkpoint *)0)->header];
    person_in p[BATCH_ROWS];
    char arena[BATCH_BYTES];
} batch;

typedef struct bpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch *all[NBATCH];
    batch *free_[NBATCH];
    size_t nfree;
    batch *q[NBATCH]; /* full batches, in order */
    size_t qhead, qlen;
    int done;     /* the producer pushes no more */
    hail_err err; /* the writer's error */
    char msg[512];
} bpool;

typedef struct importer {
    full *f;
    mkto_checkpoint *ck;
    bpool pool;
    batch *cur; /* being filled (producer) */
    csv_parser csv;
    mcsv_map map;
    int have_header;
    char header[sizeof((mkto_checkpoint *)0)->header];
    crypto_hash_sha256_state sha; /* of the bytes fed so far */
    int sha_ok;                   /* sha covers the file from byte 0 */
    uint64_t fed;                 /* file offset of the next byte */
    uint64_t records;             /* data records parsed (file position) */
    uint64_t written;             /* high-water mark of records handed to the writer */
    /* The last boundary handed on for a checkpoint (where a retry starts). */
    uint64_t bd_offset, bd_records;
    crypto_hash_sha256_state bd_sha;
    uint64_t rejected; /* for the log's limit */
    int writer_failed; /* the producer stopped on the writer's error */
    uint64_t since_ckpt;
    int64_t ckpt_at;
    int want_ckpt;
} importer;

/* Producer: an empty batch, waiting for the writer if need be. */
static hail_err pool_take(importer *im)
{
    bpool *p = &im->pool;
    pthread_mutex_lock(&p->mu);
    while (!p->err && p->nfree == 0)
        pthread_cond_wait(&p->cv, &p->mu);
    hail_err e = p->err;
    if (!e) {
        im->cur = p->free_[--p->nfree];
        im->cur->n = im->cur->used = 0;
        im->cur->rejected = 0;
        im->cur->ckpt = 0;
    }
    pthread_mutex_unlock(&p->mu);
    if (e) {
        im->writer_failed = 1;
        return e;
    }
    return HAIL_OK;
}

/* Producer: hands the current batch to the writer. */
static void pool_push(importer *im)
{
    bpool *p = &im->pool;
    if (!im->cur)
        return;
    pthread_mutex_lock(&p->mu);
    p->q[(p->qhead + p->qlen++) % NBATCH] = im->cur;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    im->cur = NULL;
}

/* Writer: saves the checkpoint a batch ends with (same transaction). */
static hail_err checkpoint(full *f, const batch *b)
{
    mkto_run *r = f->r;
    mkto_checkpoint *ck = &r->ck;
    ck->offset = b->offset;
    ck->records = b->records;
    if (b->sha_ok)
        mkto_sha_encode(&b->sha, ck->sha, sizeof ck->sha);
    else
        ck->sha[0] = '\0';
    memcpy(ck->header, b->header, sizeof ck->header);
    hail_err e = mkto_save_checkpoint(r);
    if (!e)
        e = writer_pause(f);
    if (e)
        return e;
    if (mkto_stopping(r))
        return hail_errf(HAIL_ECANCELLED, "stopped");
    /* Let another writer (the server's, another process's) in before taking
     * the lock again. */
    db_bulk_pause(f->r->d);
    mkto_progress(r, "importing", 0);
    return writer_active(f);
}

static hail_err write_batch(full *f, const batch *b)
{
    mkto_run *r = f->r;
    r->rejected += b->rejected;
    for (size_t i = 0; i < b->n; i++) {
        hail_err e = people_writer_put_valid(f->w, &b->p[i]);
        if (e == HAIL_EINVAL) {
            if (r->rejected++ < MAX_REJECTS_LOGGED)
                log_warn("marketo: skipping a record of the export file: %s", hail_errmsg());
        } else if (e) {
            return e;
        }
        /* Someone waits for the lock: let them in now (whole records only;
         * the next checkpoint covers these too). */
        if ((i & 63) == 63 && db_bulk_due(r->d)) {
            if ((e = writer_pause(f)))
                return e;
            db_bulk_pause(r->d);
            if ((e = writer_active(f)))
                return e;
        }
    }
    mkto_progress(r, "importing", 0);
    return b->ckpt ? checkpoint(f, b) : HAIL_OK;
}

static void *writer_main(void *arg)
{
    importer *im = arg;
    bpool *p = &im->pool;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->qlen && !p->done)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->qlen) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        batch *b = p->q[p->qhead];
        p->qhead = (p->qhead + 1) % NBATCH;
        p->qlen--;
        pthread_mutex_unlock(&p->mu);

        hail_err e = write_batch(im->f, b);

        pthread_mutex_lock(&p->mu);
        p->free_[p->nfree++] = b;
        if (e) {
            p->err = e;
            snprintf(p->msg, sizeof p->msg, "%s", hail_errmsg());
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (e)
            break;
    }
    return NULL;
}

static hail_err pool_init(bpool *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < NBATCH; i++) {
        if (!(p->all[i] = malloc(sizeof(batch)))) {
            while (i--)
                free(p->all[i]);
            return HAIL_ENOMEM;
        }
        p->free_[p->nfree++] = p->all[i];
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return HAIL_OK;
}

static void pool_release(bpool *p)
{
    for (size_t i = 0; i < NBATCH; i++)
        free(p->all[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

/* Producer: copies a valid record into the current batch. */
static hail_err batch_add(importer *im, const person_in *in)
{
    size_t need = 0;
    for (int i = 0; i < PF_COUNT; i++)
        if (in->f[i])
            need += in->len[i];
    batch *b = im->cur;
    if (b && (b->n == BATCH_ROWS || BATCH_BYTES - b->used < need)) {
        pool_push(im);
        b = NULL;
    }
    if (!b) {
        hail_err e = pool_take(im);
        if (e)
            return e;
        b = im->cur;
    }
    person_in *p = &b->p[b->n++];
    p->marketo_id = in->marketo_id;
    for (int i = 0; i < PF_COUNT; i++) {
        p->len[i] = in->len[i];
        if (!in->f[i]) {
            p->f[i] = NULL;
            continue;
        }
        p->f[i] = b->arena + b->used;
        memcpy(b->arena + b->used, in->f[i], in->len[i]);
        b->used += in->len[i];
    }
    return HAIL_OK;
}

static hail_err header_text(const csv_record *h, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nfields; i++) {
        if (n + h->len[i] + 2 > size)
            return hail_errf(HAIL_EREMOTE, "the export file's header is too long");
        if (i)
            out[n++] = ',';
        memcpy(out + n, h->field[i], h->len[i]);
        n += h->len[i];
    }
    out[n] = '\0';
    return HAIL_OK;
}

static hail_err take_header(importer *im, const csv_record *h)
{
    const char *tzf = im->f->r->cfg->time_zone_field;
    im->map.time_zone_column = tzf ? tzf : ""; /* "": no column is the time zone */
    hail_err e = mcsv_map_header(&im->map, h);
    if (e)
        return hail_errf(HAIL_EREMOTE, "Marketo's export file: %s", hail_errmsg());
    /* Every requested field must be there: a missing owner column would take
     * everyone out of the active set. */
    int have[PF_COUNT] = {0};
    for (size_t i = 0; i < im->map.ncols; i++)
        if (im->map.field_of_col[i] >= 0)
            have[im->map.field_of_col[i]] = 1;
    for (int i = 0; i < PF_TIME_ZONE; i++)
        if (!have[i])
            return hail_errf(HAIL_EREMOTE, "Marketo's export file has no %s column",
                             person_marketo_field[i]);
    /* The time zone only when the setting names it; an export job made
     * before it was set (a resumed full sync) has no such column: its
     * people get no time zone rather than the sync failing on every resume. */
    if (tzf && !have[PF_TIME_ZONE])
        log_warn("marketo: the export file has no %s column (an export made before "
                 "HAIL_MARKETO_TIME_ZONE_FIELD was set): its people are synced without a time "
                 "zone",
                 tzf);
    im->have_header = 1;
    return HAIL_OK;
}

/* The header of a resumed file comes from the checkpoint. */
static hail_err header_from_checkpoint(importer *im)
{
    csv_record h;
    memset(&h, 0, sizeof h);
    const char *s = im->header;
    while (*s && h.nfields < CSV_MAX_FIELDS) {
        const char *c = strchr(s, ',');
        size_t len = c ? (size_t)(c - s) : strlen(s);
        h.field[h.nfields] = s;
        h.len[h.nfields] = len;
        h.nfields++;
        if (!c)
            break;
        s = c + 1;
    }
    h.line = 1;
    return take_header(im, &h);
}

static hail_err on_row(void *ctx, const csv_record *rec)
{
    importer *im = ctx;
    mkto_run *r = im->f->r;
    if (!im->have_header) {
        hail_err e = header_text(rec, im->header, sizeof im->header);
        return e ? e : take_header(im, rec);
    }
    im->records++;
    if (im->records <= im->written)
        return HAIL_OK; /* written before the connection dropped */
    im->written = im->records;
    person_in p;
    hail_err e = mcsv_person(&im->map, rec, &p);
    if (!e) {
        mkto_check_time_zone(&p, r->cfg->time_zone_field);
        if ((e = batch_add(im, &p)))
            return e;
    } else if (e == HAIL_EINVAL) {
        if (im->rejected++ < MAX_REJECTS_LOGGED)
            log_warn("marketo: skipping a record of the export file: %s", hail_errmsg());
        if (!im->cur && (e = pool_take(im)))
            return e;
        im->cur->rejected++;
    } else {
        return e;
    }
    if (++im->since_ckpt >= CKPT_ROWS)
        im->want_ckpt = 1;
    if ((im->since_ckpt & 1023) == 0 && time_mono_us() - im->ckpt_at >= CKPT_US)
        im->want_ckpt = 1;
    if (mkto_stopping(r))
        im->want_ckpt = 1;
    return HAIL_OK;
}

static void importer_reset_parser(importer *im)
{
    csv_release(&im->csv);
    csv_init(&im->csv, on_row, im, MAX_RECORD);
}

static uint64_t im_rewind(void *ctx)
{
    importer *im = ctx;
    importer_reset_parser(im);
    im->fed = im->bd_offset;
    im->records = im->bd_records;
    im->sha = im->bd_sha;
    im->have_header = 0;
    if (im->fed > 0 && header_from_checkpoint(im))
        im->fed = 0; /* cannot map the columns: start over */
    if (im->fed == 0) {
        im->records = 0;
        im->have_header = 0;
        crypto_hash_sha256_init(&im->sha);
        im->sha_ok = 1;
    }
    return im->fed;
}

static void im_restart(void *ctx, uint64_t from)
{
    importer *im = ctx;
    importer_reset_parser(im);
    im->fed = from;
    im->records = 0;
    im->have_header = 0;
    crypto_hash_sha256_init(&im->sha);
    im->sha_ok = 1;
}

/* Producer, between records: ends the batch at this boundary for the writer
 * to checkpoint after it. */
static hail_err boundary(importer *im)
{
    hail_err e;
    if (!im->cur && (e = pool_take(im)))
        return e;
    batch *b = im->cur;
    b->ckpt = 1;
    b->offset = im->fed;
    b->records = im->records;
    b->sha_ok = im->sha_ok;
    b->sha = im->sha;
    memcpy(b->header, im->header, sizeof b->header);
    pool_push(im);
    im->bd_offset = im->fed;
    im->bd_records = im->records;
    im->bd_sha = im->sha;
    im->since_ckpt = 0;
    im->want_ckpt = 0;
    im->ckpt_at = time_mono_us();
    if (mkto_stopping(im->f->r))
        return hail_errf(HAIL_ECANCELLED, "stopped"); /* the writer saves that checkpoint */
    return HAIL_OK;
}

static hail_err im_sink(void *ctx, const char *d, size_t n)
{
    importer *im = ctx;
    while (n) {
        size_t k = n;
        if (im->want_ckpt) {
            const char *nl = memchr(d, '\n', n);
            if (nl)
                k = (size_t)(nl - d) + 1;
        }
        crypto_hash_sha256_update(&im->sha, (const unsigned char *)d, k);
        hail_err e = csv_feed(&im->csv, d, k);
        if (e)
            return e;
        im->fed += k;
        d += k;
        n -= k;
        /* nfields == 0: the parser is between records, so everything fed so
         * far is whole records. */
        if (im->want_ckpt && im->csv.nfields == 0 && im->have_header && (e = boundary(im)))
            return e;
    }
    return HAIL_OK;
}

typedef struct export_info {
    char status[32];
    int64_t records; /* -1 unknown */
    int64_t size;    /* -1 unknown */
    char checksum[80];
    char error[256];
} export_info;

static int hex_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'F' ? (char)(a[i] + 32) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'F' ? (char)(b[i] + 32) : b[i];
        if (x != y)
            return 0;
    }
    return 1;
}

/* Imports jobs[0]'s file from the checkpoint on. HAIL_EREMOTE with
 * *corrupt = 1 when the file does not match its checksum or record count. */
static hail_err import_file(full *f, const export_info *info, int *corrupt)
{
    mkto_run *r = f->r;
    mkto_checkpoint *ck = &r->ck;
    importer im;
    memset(&im, 0, sizeof im);
    im.f = f;
    im.ck = ck;
    *corrupt = 0;
    hail_err e = pool_init(&im.pool);
    if (e)
        return e;
    csv_init(&im.csv, on_row, &im, MAX_RECORD);
    crypto_hash_sha256_init(&im.bd_sha);
    im.sha_ok = 1;
    if (ck->offset > 0 && (!ck->sha[0] || mkto_sha_decode(ck->sha, &im.bd_sha))) {
        im.sha_ok = 0; /* resumed without a usable hash state: count only */
        log_warn("marketo: resuming export %s at byte %llu without its checksum state; the "
                 "record count is still verified",
                 ck->jobs[0].export_id, (unsigned long long)ck->offset);
    }
    im.bd_offset = ck->offset;
    im.bd_records = ck->records;
    memcpy(im.header, ck->header, sizeof im.header);
    im.written = ck->records;
    im.rejected = r->rejected;
    im.ckpt_at = time_mono_us();

    char path[160];
    snprintf(path, sizeof path, "/bulk/v1/leads/export/%s/file.json", ck->jobs[0].export_id);
    mkto_stream s = {im_rewind, im_restart, im_sink, &im};
    e = writer_active(f);
    pthread_t writer;
    int started = 0;
    if (!e) {
        if (pthread_create(&writer, NULL, writer_main, &im) != 0)
            e = hail_errf(HAIL_ENOMEM, "cannot start the import's writer thread");
        else
            started = 1;
    }
    if (!e) {
        if (ck->offset > 0 && info->size >= 0 && ck->offset == (uint64_t)info->size)
            im_rewind(&im); /* the whole file was read before the interruption */
        else
            e = mkto_download(r->m, path, &s);
    }
    if (!e)
        e = csv_finish(&im.csv);
    if (started) {
        /* Records past the last checkpoint are whole: written even on failure. */
        pool_push(&im);
        pthread_mutex_lock(&im.pool.mu);
        im.pool.done = 1;
        pthread_cond_broadcast(&im.pool.cv);
        pthread_mutex_unlock(&im.pool.mu);
        pthread_join(writer, NULL);
        if (im.pool.err && (!e || im.writer_failed))
            e = hail_errf(im.pool.err, "%s", im.pool.msg);
    }
    if (!e && !im.have_header && im.fed > 0)
        e = hail_errf(HAIL_EREMOTE, "Marketo's export file %s has no header",
                      ck->jobs[0].export_id);
    if (!e && info->records >= 0 && im.records != (uint64_t)info->records) {
        *corrupt = 1;
        e = hail_errf(
            HAIL_EREMOTE, "Marketo's export file %s has %llu records, its status said %lld",
            ck->jobs[0].export_id, (unsigned long long)im.records, (long long)info->records);
    }
    if (!e && im.sha_ok && strncmp(info->checksum, "sha256:", 7) == 0) {
        unsigned char dig[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        crypto_hash_sha256_final(&im.sha, dig);
        sodium_bin2hex(hex, sizeof hex, dig, sizeof dig);
        if (!hex_equal(hex, info->checksum + 7)) {
            *corrupt = 1;
            e = hail_errf(HAIL_EREMOTE, "Marketo's export file %s does not match its checksum",
                          ck->jobs[0].export_id);
        }
    }
    csv_release(&im.csv);
    pool_release(&im.pool);
    return e;
}

/* ---- export jobs ---- */

static int safe_id(const char *s)
{
    if (!*s || strlen(s) >= 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return 0;
    return 1;
}

static hail_err export_create(mkto_run *r, mkto_job *j)
{
    json_t *fields = json_array();
    for (int i = 0; fields && i < MKTO_NFIELDS; i++)
        json_array_append_new(fields, json_string(mkto_fields[i]));
    if (fields && r->cfg->time_zone_field)
        json_array_append_new(fields, json_string(r->cfg->time_zone_field));
    json_t *filter;
    if (r->ck.smart_list_id > 0) {
        filter = json_pack("{s:I}", "smartListId", (json_int_t)r->ck.smart_list_id);
    } else {
        char a[TIME_ISO_LEN], b[TIME_ISO_LEN];
        time_format_iso(j->start_us, a);
        time_format_iso(j->end_us, b);
        filter = json_pack("{s:{s:s,s:s}}", "createdAt", "startAt", a, "endAt", b);
    }
    json_t *req = json_pack("{s:o,s:s,s:o}", "fields", fields, "format", "CSV", "filter", filter);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body)
        return HAIL_ENOMEM;
    json_t *root;
    mkto_envelope env;
    hail_err e =
        mkto_call(r->m, "POST", "/bulk/v1/leads/export/create.json", NULL, body, &root, &env);
    free(body);
    if (e)
        return e;
    json_t *r0 = env.result ? json_array_get(env.result, 0) : NULL;
    json_t *id = json_object_get(r0, "exportId");
    char why[300];
    if (r0 && mkto_record_skipped(r0, why, sizeof why))
        e = hail_errf(HAIL_EREMOTE, "Marketo refused the export: %s", why);
    else if (!json_is_string(id) || !safe_id(json_string_value(id)))
        e = hail_errf(HAIL_EREMOTE, "Marketo's export/create answer has no usable exportId");
    else
        snprintf(j->export_id, sizeof j->export_id, "%s", json_string_value(id));
    json_decref(root);
    return e;
}

static hail_err export_post(mkto_run *r, const mkto_job *j, const char *action)
{
    char path[160];
    snprintf(path, sizeof path, "/bulk/v1/leads/export/%s/%s.json", j->export_id, action);
    json_t *root;
    mkto_envelope env;
    hail_err e = mkto_call(r->m, "POST", path, NULL, NULL, &root, &env);
    json_decref(root);
    return e;
}

static hail_err export_status(mkto_run *r, const mkto_job *j, export_info *info)
{
    memset(info, 0, sizeof *info);
    info->records = info->size = -1;
    char path[160];
    snprintf(path, sizeof path, "/bulk/v1/leads/export/%s/status.json", j->export_id);
    json_t *root;
    mkto_envelope env;
    hail_err e = mkto_call(r->m, "GET", path, NULL, NULL, &root, &env);
    if (e)
        return e;
    json_t *r0 = env.result ? json_array_get(env.result, 0) : NULL;
    json_t *st = json_object_get(r0, "status");
    if (!json_is_string(st)) {
        json_decref(root);
        return hail_errf(HAIL_EREMOTE, "Marketo's export status has no status");
    }
    snprintf(info->status, sizeof info->status, "%s", json_string_value(st));
    json_t *v;
    if (json_is_integer(v = json_object_get(r0, "numberOfRecords")))
        info->records = json_integer_value(v);
    if (json_is_integer(v = json_object_get(r0, "fileSize")))
        info->size = json_integer_value(v);
    if (json_is_string(v = json_object_get(r0, "fileChecksum")))
        snprintf(info->checksum, sizeof info->checksum, "%s", json_string_value(v));
    if (json_is_string(v = json_object_get(r0, "errorMsg")))
        snprintf(info->error, sizeof info->error, "%s", json_string_value(v));
    json_decref(root);
    return HAIL_OK;
}

static int is_export_full(mkto_run *r, hail_err e)
{
    return e == HAIL_EBUSY && strcmp(mkto_client_last_code(r->m), "1029") == 0;
}

/* The next window to queue after the last outstanding job (0 when none left). */
static int next_window(mkto_run *r, mkto_job *out)
{
    mkto_checkpoint *ck = &r->ck;
    int64_t start = ck->njobs ? ck->jobs[ck->njobs - 1].end_us : ck->next_us;
    memset(out, 0, sizeof *out);
    if (ck->smart_list_id > 0) {
        /* One job for the whole list, standing for [since, until). */
        if (start >= ck->until_us)
            return 0;
        out->start_us = start;
        out->end_us = ck->until_us;
        return 1;
    }
    int64_t end;
    if (!mkto_window_at(start, ck->until_us, &end))
        return 0;
    out->start_us = start;
    out->end_us = end;
    return 1;
}

/* Creates and enqueues jobs up to the pipeline depth. A full queue just ends
 * the filling for now; the head job's own enqueue waits for room. */
static hail_err fill_pipeline(full *f)
{
    mkto_run *r = f->r;
    mkto_checkpoint *ck = &r->ck;
    for (;;) {
        mkto_job *last = ck->njobs ? &ck->jobs[ck->njobs - 1] : NULL;
        if (last && (!last->export_id[0] || !last->enqueued))
            return HAIL_OK; /* finish that one first */
        if (ck->njobs >= PIPELINE)
            return HAIL_OK;
        mkto_job j;
        if (!next_window(r, &j))
            return HAIL_OK;
        hail_err e = export_create(r, &j);
        if (is_export_full(r, e))
            return HAIL_OK;
        if (e)
            return e;
        ck->jobs[ck->njobs++] = j;
        if ((e = mkto_save_checkpoint(r)))
            return e;
        e = export_post(r, &ck->jobs[ck->njobs - 1], "enqueue");
        if (is_export_full(r, e))
            return HAIL_OK;
        if (e)
            return e;
        ck->jobs[ck->njobs - 1].enqueued = 1;
        if ((e = mkto_save_checkpoint(r)))
            return e;
    }
}

static void window_text(const mkto_checkpoint *ck, const mkto_job *j, char *out, size_t size)
{
    if (ck->smart_list_id > 0) {
        snprintf(out, size, "smart list %lld", (long long)ck->smart_list_id);
        return;
    }
    char a[TIME_ISO_LEN], b[TIME_ISO_LEN];
    time_format_iso(j->start_us, a);
    time_format_iso(j->end_us, b);
    snprintf(out, size, "createdAt %s – %s", a, b);
}

/* Drops jobs[0] (done) and moves the rest up. */
static void shift_job(mkto_checkpoint *ck)
{
    ck->next_us = ck->jobs[0].end_us;
    memmove(&ck->jobs[0], &ck->jobs[1], (ck->njobs - 1) * sizeof ck->jobs[0]);
    ck->njobs--;
    ck->offset = ck->records = 0;
    ck->header[0] = ck->sha[0] = '\0';
}

/* Forgets jobs[0]'s export (failed, expired or corrupt) so it is created again. */
static void reset_head(mkto_checkpoint *ck)
{
    ck->jobs[0].export_id[0] = '\0';
    ck->jobs[0].enqueued = 0;
    ck->offset = ck->records = 0;
    ck->header[0] = ck->sha[0] = '\0';
}

static hail_err wait_poll(mkto_run *r, int64_t us)
{
    if (time_sleep_us(us, r->opt->stop))
        return hail_errf(HAIL_ECANCELLED, "stopped");
    return HAIL_OK;
}

static hail_err run_pipeline(full *f)
{
    mkto_run *r = f->r;
    mkto_checkpoint *ck = &r->ck;
    int failures = 0, corrupt_retries = 0;
    int64_t full_since = 0, full_wait = r->cfg->poll_us;
    for (;;) {
        if (mkto_stopping(r))
            return hail_errf(HAIL_ECANCELLED, "stopped");
        hail_err e;
        if ((e = writer_pause(f)) || (e = fill_pipeline(f)))
            return e;
        if (ck->njobs == 0) {
            mkto_job j;
            if (!next_window(r, &j))
                return HAIL_OK;        /* every window imported */
            ck->jobs[ck->njobs++] = j; /* the queue was full: the head waits below */
        }
        mkto_job *head = &ck->jobs[0];
        char what[96];
        window_text(ck, head, what, sizeof what);
        if (head->export_id[0] && !head->enqueued) {
            /* After an interruption the enqueue may have happened unrecorded:
             * only a Created job can (and must) be enqueued. */
            export_info st;
            e = export_status(r, head, &st);
            if (!e && strcmp(st.status, "Created") != 0) {
                head->enqueued = 1;
                if ((e = mkto_save_checkpoint(r)))
                    return e;
                continue;
            }
            if (e == HAIL_EREMOTE && !strcmp(mkto_client_last_code(r->m), "1003")) {
                reset_head(ck); /* Marketo forgot it: make it again */
                if ((e = mkto_save_checkpoint(r)))
                    return e;
                continue;
            }
            if (e)
                return e;
        }
        if (!head->export_id[0] || !head->enqueued) {
            int creating = !head->export_id[0];
            e = creating ? export_create(r, head) : export_post(r, head, "enqueue");
            if (is_export_full(r, e)) {
                /* Other jobs (ours or another integration's) fill the queue. */
                if (!full_since)
                    full_since = time_mono_us();
                else if (time_mono_us() - full_since > EXPORT_FULL_WAIT_MAX)
                    return hail_errf(HAIL_EBUSY,
                                     "Marketo's export queue stayed full for two hours (%s)",
                                     hail_errmsg());
                log_info("marketo: export queue full; waiting %.1f s",
                         (double)full_wait / US_PER_SEC);
                mkto_progress(r, "exporting", 1);
                if ((e = wait_poll(r, full_wait)))
                    return e;
                int64_t cap =
                    r->cfg->poll_us > 300 * US_PER_SEC ? r->cfg->poll_us : 300 * US_PER_SEC;
                full_wait = full_wait * 2 > cap ? cap : full_wait * 2;
                continue;
            }
            if (e)
                return e;
            if (!creating)
                head->enqueued = 1;
            full_since = 0;
            full_wait = r->cfg->poll_us;
            if ((e = mkto_save_checkpoint(r)))
                return e;
            if (creating) {
                /* Enqueue right away (the status check above is for resumes). */
                e = export_post(r, head, "enqueue");
                if (!e) {
                    head->enqueued = 1;
                    if ((e = mkto_save_checkpoint(r)))
                        return e;
                } else if (!is_export_full(r, e)) {
                    return e;
                }
            }
            continue;
        }
        export_info info;
        e = export_status(r, head, &info);
        if (e == HAIL_EREMOTE && !strcmp(mkto_client_last_code(r->m), "1003")) {
            /* Marketo forgot the job (exports are kept for a week): make it again. */
            log_warn("marketo: export %s for %s is gone (%s); creating it again", head->export_id,
                     what, hail_errmsg());
            reset_head(ck);
            if ((e = mkto_save_checkpoint(r)))
                return e;
            continue;
        }
        if (e)
            return e;
        if (!strcmp(info.status, "Completed")) {
            if (head->end_us >= ck->until_us) {
                /* The last file: now the total is known. */
                people_stats st;
                mkto_stats(r, &st);
                uint64_t left = info.records > 0 ? (uint64_t)info.records : 0;
                left = left > ck->records ? left - ck->records : 0;
                r->total = st.seen + r->rejected + left;
            }
            log_debug("marketo: importing %s (%lld records)", what, (long long)info.records);
            mkto_progress(r, "importing", 1);
            int corrupt = 0;
            e = import_file(f, &info, &corrupt);
            if (e == HAIL_ENOTFOUND || (corrupt && corrupt_retries++ == 0)) {
                log_warn("marketo: %s; exporting %s again", hail_errmsg(), what);
                reset_head(ck);
                if ((e = mkto_save_checkpoint(r)) || (e = writer_pause(f)))
                    return e;
                continue;
            }
            if (e)
                return e;
            corrupt_retries = 0;
            failures = 0;
            shift_job(ck);
            if ((e = mkto_save_checkpoint(r)) || (e = writer_pause(f)))
                return e;
            continue;
        }
        if (!strcmp(info.status, "Failed") || !strcmp(info.status, "Cancelled") ||
            !strcmp(info.status, "Canceled")) {
            if (++failures >= MAX_JOB_FAILURES)
                return hail_errf(HAIL_EREMOTE, "Marketo's export of %s %s %d times (%s)", what,
                                 info.status[0] == 'F' ? "failed" : "was cancelled", failures,
                                 info.error[0] ? info.error : "no reason given");
            log_warn("marketo: export of %s %s (%s); creating it again", what, info.status,
                     info.error[0] ? info.error : "no reason given");
            reset_head(ck);
            if ((e = mkto_save_checkpoint(r)))
                return e;
            continue;
        }
        if (!strcmp(info.status, "Created")) {
            head->enqueued = 0; /* the enqueue did not take (or was lost) */
            continue;
        }
        /* Queued or Processing: Marketo moves at most once a minute. */
        mkto_progress(r, "exporting", 0);
        if ((e = wait_poll(r, r->cfg->poll_us)))
            return e;
    }
}

void mkto_full_cancel_jobs(mkto_run *r, const mkto_checkpoint *ck)
{
    for (size_t i = 0; i < ck->njobs; i++)
        if (ck->jobs[i].export_id[0] && ck->jobs[i].enqueued &&
            export_post(r, &ck->jobs[i], "cancel") == HAIL_OK)
            log_info("marketo: cancelled export %s of an abandoned sync", ck->jobs[i].export_id);
}

hail_err mkto_full_sync(mkto_run *r)
{
    full f = {.r = r};
    mkto_progress(r, "exporting", 1);
    hail_err e = run_pipeline(&f);
    hail_err e2 = writer_finish(&f, !e);
    if (!e)
        e = e2;
    if (!e && r->ck.prev_success_us > 0) {
        /* Leads deleted since the last sync are not in any export: ask for them. */
        if (r->ck.phase != MKTO_PHASE_DELETED || !r->ck.since_inc_us) {
            r->ck.phase = MKTO_PHASE_DELETED;
            r->ck.since_inc_us = r->ck.prev_success_us;
            r->ck.token[0] = '\0';
            if ((e = mkto_save_checkpoint(r)))
                return e;
        }
        e = mkto_incr_sync(r);
    }
    return e;
}
