#include "core/common.h"

#include "people/import.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "people/marketo_csv.h"

/* Two passes over the file. The first checks every row and writes nothing
 * (a file that is not a regular file — standard input, a pipe — is copied to
 * a temporary file meanwhile, to be read again); only a file without a bad
 * row gets the second, which writes in short transactions (store/db.h: a bulk
 * writer yields the write lock whenever another writer waits, so the server's writes
 * stay prompt). A crash or a database error during the second pass leaves
 * the rows committed so far; people are upserted by id, so running the import
 * again completes it. */

struct import_state {
    db *d;
    people_writer *w; /* NULL in the checking pass */
    mcsv_map map;
    int have_header;
    import_report *rep;
    unsigned long rows;
};

static void note(import_report *rep, const char *msg)
{
    if (rep->errors < IMPORT_MAX_ERRORS)
        snprintf(rep->first_errors[rep->errors], sizeof rep->first_errors[0], "%s", msg);
    rep->errors++;
}

static hail_err on_row(void *ctx, const csv_record *rec)
{
    struct import_state *s = ctx;
    if (!s->have_header) {
        s->have_header = 1;
        return mcsv_map_header(&s->map, rec);
    }
    s->rows++;
    person_in p;
    hail_err e = mcsv_person(&s->map, rec, &p);
    char why[200];
    if (!e && person_in_check_time_zone(&p, why, sizeof why) && !s->w) {
        import_report *rep = s->rep;
        if (rep->warnings < IMPORT_MAX_ERRORS)
            snprintf(rep->first_warnings[rep->warnings], sizeof rep->first_warnings[0],
                     "line %lu: %s", rec->line, why);
        rep->warnings++;
    }
    if (!s->w) {
        if (e == HAIL_EINVAL) {
            note(s->rep, hail_errmsg());
            return HAIL_OK; /* keep going to report every bad row */
        }
        return e;
    }
    if (e == HAIL_EINVAL)
        return hail_errf(HAIL_EIO, "the file changed while it was being imported (%s)",
                         hail_errmsg());
    if (e || (e = people_writer_put_valid(s->w, &p)))
        return e;
    if ((s->rows & 63) == 0 && db_bulk_due(s->d)) {
        if ((e = people_writer_yield(s->w)))
            return e;
        s->rep->committed = s->rows;
    }
    return HAIL_OK;
}

/* One pass over in (copied to spool when given). */
static hail_err parse(struct import_state *s, FILE *in, FILE *spool)
{
    csv_parser p;
    csv_init(&p, on_row, s, 1 << 20);
    char chunk[1 << 16];
    size_t n;
    hail_err e = HAIL_OK;
    while (!e && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        if (spool && fwrite(chunk, 1, n, spool) != n)
            e = hail_errf(HAIL_EIO, "cannot write a temporary copy of the input");
        if (!e)
            e = csv_feed(&p, chunk, n);
    }
    if (!e && ferror(in))
        e = hail_errf(HAIL_EIO, "read error");
    if (!e)
        e = csv_finish(&p);
    csv_release(&p);
    return e;
}

static hail_err check(FILE *in, FILE *spool, import_report *rep)
{
    struct import_state s = {.rep = rep};
    hail_err e = parse(&s, in, spool);
    if (e == HAIL_EINVAL || e == HAIL_ETOOBIG) {
        /* A malformed file (bad quoting, a header without id): report it as a row error. */
        note(rep, hail_errmsg());
        e = HAIL_OK;
    }
    if (!e && !s.have_header)
        note(rep, "the file is empty: a header row with an id column is required");
    rep->rows = s.rows;
    return e;
}

static hail_err write_all(db *d, FILE *in, import_report *rep)
{
    struct import_state s = {.d = d, .rep = rep};
    hail_err e = people_writer_open(d, PW_BULK, &s.w);
    if (e)
        return e;
    e = parse(&s, in, NULL);
    if (e == HAIL_EINVAL || e == HAIL_ETOOBIG) /* the header or the quoting changed */
        e = hail_errf(HAIL_EIO, "the file changed while it was being imported (%s)", hail_errmsg());
    if (!e && s.rows != rep->rows)
        e = hail_errf(HAIL_EIO, "the file changed while it was being imported (%lu rows, then %lu)",
                      rep->rows, s.rows);
    if (!e && !(e = people_writer_flush(s.w)))
        rep->stats = *people_writer_stats(s.w);
    hail_err ce = people_writer_close(s.w, !e);
    if (!e && !ce)
        rep->committed = s.rows;
    return e ? e : ce;
}

hail_err people_import_csv(db *d, FILE *in, import_report *rep)
{
    memset(rep, 0, sizeof *rep);
    struct stat sb;
    FILE *spool = NULL;
    if (fstat(fileno(in), &sb) != 0 || !S_ISREG(sb.st_mode) || fseeko(in, 0, SEEK_CUR) != 0) {
        if (!(spool = tmpfile()))
            return hail_errf(HAIL_EIO, "cannot create a temporary file for the input");
    }
    off_t start = spool ? 0 : ftello(in);
    hail_err e = check(in, spool, rep);
    if (!e && rep->errors && rep->rows == 0) {
        /* No data row was read: the file itself is wrong (empty, no usable
         * header), not some of its rows. The message above says what. */
        e = hail_errf(HAIL_EINVAL, "nothing was imported");
    } else if (!e && rep->errors) {
        e = hail_errf(HAIL_EINVAL, "%lu bad row%s; nothing was imported", rep->errors,
                      rep->errors == 1 ? "" : "s");
    } else if (!e) {
        FILE *again = spool ? spool : in;
        if (fflush(again) != 0 || fseeko(again, spool ? 0 : start, SEEK_SET) != 0)
            e = hail_errf(HAIL_EIO, "cannot read the input again");
        else
            e = write_all(d, again, rep);
    }
    if (spool)
        fclose(spool);
    return e;
}
