/* `hail import people FILE.csv`: people from a CSV with Marketo's columns,
 * under the sync's rules (only people with an owner are active, duplicates
 * by email kept, key = Marketo id). All or nothing for bad input: every row is
 * checked before anything is written, and a file with any bad row imports
 * nothing (every bad row is reported by line). The rows are then written in
 * short transactions that let other writers in; if the import is interrupted
 * (a crash, a database error) the rows committed so far stay, and running it
 * again completes it (people are upserted by id). */
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
    unsigned long committed;                   /* rows known written (all, on success) */
    unsigned long errors;                      /* bad rows (all counted) */
    char first_errors[IMPORT_MAX_ERRORS][256]; /* the first ones, each naming its line */
    /* Rows imported with a value left out: a time zone the system does not
     * know is stored as null (person_in_check_time_zone). */
    unsigned long warnings;
    char first_warnings[IMPORT_MAX_ERRORS][256];
} import_report;

/* Imports from an open stream. HAIL_EINVAL when any row was bad (nothing
 * written; see report); other errors for I/O or the database, after which
 * report->committed rows (at least) were written. */
hail_err people_import_csv(db *d, FILE *in, import_report *rep);

#endif
