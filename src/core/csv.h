/* A streaming RFC 4180 CSV parser.
 *
 * Push bytes in with csv_feed() in chunks of any size (a network read, a file
 * block); each complete record is handed to the row callback with its fields
 * as pointers into the parser's buffer, valid only during the call. Quoted
 * fields may hold commas, doubled quotes and line breaks; records end with LF
 * or CRLF. A record over `max_record` bytes or a malformed quote is an error
 * that names the line. The callback may stop parsing by returning non-OK.
 */
#ifndef HAIL_CORE_CSV_H
#define HAIL_CORE_CSV_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define CSV_MAX_FIELDS 256

typedef struct csv_record {
    size_t nfields;
    const char *field[CSV_MAX_FIELDS];
    size_t len[CSV_MAX_FIELDS];
    unsigned char quoted[CSV_MAX_FIELDS]; /* 1 if the field was in quotes */
    unsigned long line;                   /* line the record starts on (1-based) */
} csv_record;

typedef hail_err (*csv_row_fn)(void *ctx, const csv_record *rec);

typedef struct csv_parser {
    csv_row_fn fn;
    void *ctx;
    buf data; /* field bytes of the current record */
    size_t start[CSV_MAX_FIELDS];
    unsigned char quoted[CSV_MAX_FIELDS];
    size_t nfields;
    int state;
    unsigned long line; /* current physical line */
    unsigned long rec_line;
    unsigned long records; /* records delivered so far */
    int field_started;
    hail_err err;
    csv_record rec;
} csv_parser;

void csv_init(csv_parser *p, csv_row_fn fn, void *ctx, size_t max_record);
/* Feeds bytes. After an error, further calls return the same error. */
hail_err csv_feed(csv_parser *p, const char *data, size_t len);
/* Ends the input: a last record without a line break is delivered. */
hail_err csv_finish(csv_parser *p);
void csv_release(csv_parser *p);

#endif
