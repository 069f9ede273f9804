#include "core/common.h"

#include "people/import.h"

#include <stdio.h>
#include <string.h>

#include "people/marketo_csv.h"

struct import_state {
    people_writer *w;
    mcsv_map map;
    int have_header;
    import_report *rep;
    hail_err fatal;
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
    s->rep->rows++;
    person_in p;
    hail_err e = mcsv_person(&s->map, rec, &p);
    if (e == HAIL_EINVAL) {
        note(s->rep, hail_errmsg());
        return HAIL_OK; /* keep going to report every bad row */
    }
    if (e)
        return e;
    /* After the first bad row nothing will be committed; still validate the rest. */
    if (s->rep->errors)
        return HAIL_OK;
    return people_writer_put(s->w, &p);
}

hail_err people_import_csv(db *d, FILE *in, import_report *rep)
{
    memset(rep, 0, sizeof *rep);
    struct import_state s = {.rep = rep};
    hail_err e = people_writer_open(d, PW_BULK, &s.w);
    if (e)
        return e;
    csv_parser p;
    csv_init(&p, on_row, &s, 1 << 20);
    char chunk[1 << 16];
    size_t n;
    while (!e && (n = fread(chunk, 1, sizeof chunk, in)) > 0)
        e = csv_feed(&p, chunk, n);
    if (!e && ferror(in))
        e = hail_errf(HAIL_EIO, "read error");
    if (!e)
        e = csv_finish(&p);
    csv_release(&p);
    if (e == HAIL_EINVAL || e == HAIL_ETOOBIG) {
        /* A malformed file (bad quoting, a header without id): report it as a row error. */
        note(rep, hail_errmsg());
        e = HAIL_OK;
    }
    if (!e && !s.have_header)
        note(rep, "the file is empty: a header row with an id column is required");
    int ok = !e && rep->errors == 0;
    if (ok)
        rep->stats = *people_writer_stats(s.w);
    hail_err ce = people_writer_close(s.w, ok);
    if (e)
        return e;
    if (ce)
        return ce;
    if (rep->errors)
        return hail_errf(HAIL_EINVAL, "%lu bad row%s; nothing was imported", rep->errors,
                         rep->errors == 1 ? "" : "s");
    return HAIL_OK;
}
