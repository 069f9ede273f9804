/* `hail import people FILE.csv`: people from a CSV with Marketo's columns,
 * under the sync's rules (only people with an owner are active, duplicates
 * by email kept, key = Marketo id). All or nothing: one transaction; any bad
 * row rolls everything back and every bad row is reported by line. */
#ifndef HAIL_PEOPLE_IMPORT_H
#define HAIL_PEOPLE_IMPORT_H

#include <stdio.h>

#include "core/err.h"
#include "store/db.h"
#include "store/people.h"

#define IMPORT_MAX_ERRORS 20

typedef struct import_report {
    people_stats stats;
    unsigned long rows;
    unsigned long errors;                      /* bad rows (all counted) */
    char first_errors[IMPORT_MAX_ERRORS][256]; /* the first ones, each naming its line */
} import_report;

/* Imports from an open stream. HAIL_EINVAL when any row was bad (nothing
 * written; see report); other errors for I/O or the database. */
hail_err people_import_csv(db *d, FILE *in, import_report *rep);

#endif
