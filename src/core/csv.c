#include "core/common.h"

#include "core/csv.h"

#include <string.h>

enum { ST_FIELD_START, ST_UNQUOTED, ST_QUOTED, ST_QUOTE_IN_QUOTED, ST_CR };

void csv_init(csv_parser *p, csv_row_fn fn, void *ctx, size_t max_record)
{
    memset(p, 0, sizeof *p);
    p->fn = fn;
    p->ctx = ctx;
    buf_init(&p->data, max_record);
    p->line = 1;
    p->rec_line = 1;
    p->state = ST_FIELD_START;
}

void csv_release(csv_parser *p)
{
    buf_release(&p->data);
}

static hail_err begin_field(csv_parser *p, int quoted)
{
    if (p->nfields >= CSV_MAX_FIELDS)
        return hail_errf(HAIL_EINVAL, "line %lu: more than %d fields", p->rec_line, CSV_MAX_FIELDS);
    /* Terminate the previous field so every field is a C string in place. */
    if (p->nfields > 0) {
        hail_err e = buf_putc(&p->data, '\0');
        if (e)
            return hail_errf(e, "line %lu: record longer than %zu bytes", p->rec_line, p->data.max);
    }
    p->start[p->nfields] = p->data.len;
    p->quoted[p->nfields] = (unsigned char)quoted;
    p->nfields++;
    p->field_started = 1;
    return HAIL_OK;
}

static hail_err end_record(csv_parser *p)
{
    /* A blank line is not a record. */
    if (p->nfields == 1 && p->data.len == 0 && !p->quoted[0]) {
        p->nfields = 0;
        p->field_started = 0;
        p->rec_line = p->line;
        return HAIL_OK;
    }
    hail_err e = buf_putc(&p->data, '\0');
    if (e)
        return hail_errf(e, "line %lu: record too long", p->rec_line);
    csv_record *r = &p->rec;
    r->nfields = p->nfields;
    r->line = p->rec_line;
    for (size_t i = 0; i < p->nfields; i++) {
        size_t end = (i + 1 < p->nfields ? p->start[i + 1] : p->data.len) - 1;
        r->field[i] = p->data.data + p->start[i];
        r->len[i] = end - p->start[i];
        r->quoted[i] = p->quoted[i];
    }
    e = p->fn(p->ctx, r);
    p->records++;
    buf_reset(&p->data);
    p->nfields = 0;
    p->field_started = 0;
    p->rec_line = p->line;
    return e;
}

hail_err csv_feed(csv_parser *p, const char *d, size_t n)
{
    if (p->err)
        return p->err;
    hail_err e = HAIL_OK;
    size_t i = 0;
    while (i < n) {
        char c = d[i];
        switch (p->state) {
        case ST_CR:
            p->state = ST_FIELD_START;
            if (c == '\n') {
                i++;
                continue;
            }
            continue; /* a lone CR ended the record; reprocess c */
        case ST_FIELD_START:
            if (c == '"') {
                if ((e = begin_field(p, 1)))
                    goto fail;
                p->state = ST_QUOTED;
                i++;
                continue;
            }
            if ((e = begin_field(p, 0)))
                goto fail;
            p->state = ST_UNQUOTED;
            /* fall through to process c as unquoted content */
            /* FALLTHRU */
        case ST_UNQUOTED: {
            /* Fast path: copy a run of ordinary bytes at once. */
            size_t j = i;
            while (j < n && d[j] != ',' && d[j] != '\n' && d[j] != '\r' && d[j] != '"')
                j++;
            if (j > i) {
                if ((e = buf_append(&p->data, d + i, j - i)))
                    goto toolong;
                i = j;
                continue;
            }
            if (c == ',') {
                p->state = ST_FIELD_START;
                i++;
                continue;
            }
            if (c == '\n' || c == '\r') {
                i++;
                p->line++;
                p->state = c == '\r' ? ST_CR : ST_FIELD_START;
                if ((e = end_record(p)))
                    goto fail;
                continue;
            }
            /* a quote inside an unquoted field */
            e = hail_errf(HAIL_EINVAL, "line %lu: stray quote in an unquoted field", p->line);
            goto fail;
        }
        case ST_QUOTED: {
            size_t j = i;
            while (j < n && d[j] != '"') {
                if (d[j] == '\n')
                    p->line++;
                j++;
            }
            if (j > i) {
                if ((e = buf_append(&p->data, d + i, j - i)))
                    goto toolong;
                i = j;
                continue;
            }
            p->state = ST_QUOTE_IN_QUOTED;
            i++;
            continue;
        }
        case ST_QUOTE_IN_QUOTED:
            if (c == '"') {
                if ((e = buf_putc(&p->data, '"')))
                    goto toolong;
                p->state = ST_QUOTED;
                i++;
                continue;
            }
            if (c == ',') {
                i++;
                p->state = ST_FIELD_START;
                continue;
            }
            if (c == '\n' || c == '\r') {
                i++;
                p->line++;
                p->state = c == '\r' ? ST_CR : ST_FIELD_START;
                if ((e = end_record(p)))
                    goto fail;
                continue;
            }
            e = hail_errf(HAIL_EINVAL, "line %lu: unexpected character after a closing quote",
                          p->line);
            goto fail;
        }
    }
    return HAIL_OK;
toolong:
    e = hail_errf(HAIL_ETOOBIG, "line %lu: record longer than %zu bytes", p->rec_line, p->data.max);
fail:
    p->err = e;
    return e;
}

hail_err csv_finish(csv_parser *p)
{
    if (p->err)
        return p->err;
    hail_err e = HAIL_OK;
    if (p->state == ST_QUOTED)
        e = hail_errf(HAIL_EINVAL, "line %lu: quoted field not closed at end of input",
                      p->rec_line);
    else if (p->state == ST_FIELD_START && p->nfields > 0 && !(e = begin_field(p, 0)))
        e = end_record(p); /* input ended right after a comma: one more empty field */
    else if (!e && p->field_started && p->state != ST_FIELD_START)
        e = end_record(p);
    p->state = ST_FIELD_START;
    if (e)
        p->err = e;
    return e;
}
