/* Marketo lead CSV (a bulk export file, or `hail import people`) to person
 * records: map the header once, then turn each row into a person_in.
 * Used by both the Marketo sync and the CSV import, so both apply one rule:
 * column names are Marketo REST names, `id` is required, other unknown
 * columns are ignored, an empty value or the unquoted literal `null` is null
 * (a quoted "null" is the text null). */
#ifndef HAIL_PEOPLE_MARKETO_CSV_H
#define HAIL_PEOPLE_MARKETO_CSV_H

#include "core/csv.h"
#include "core/err.h"
#include "store/people.h"

typedef struct mcsv_map {
    /* Set before mcsv_map_header: the column that holds the time zone (the
     * Marketo sync's HAIL_MARKETO_TIME_ZONE_FIELD). NULL: timeZone or
     * time_zone (the CSV import). */
    const char *time_zone_column;
    size_t ncols;
    int id_col;
    signed char field_of_col[CSV_MAX_FIELDS]; /* enum person_field, or -1 */
} mcsv_map;

/* Reads the header record. HAIL_EINVAL if there is no id column or a column
 * appears twice. */
hail_err mcsv_map_header(mcsv_map *m, const csv_record *header);

/* Turns a data record into *out (pointing into rec). HAIL_EINVAL with a
 * message naming the line when the field count or the id is wrong, or a
 * value fails person_in_validate(). */
hail_err mcsv_person(const mcsv_map *m, const csv_record *rec, person_in *out);

#endif
