#include "core/common.h"

#include "store/sfdc.h"

#include <stdio.h>
#include <string.h>

hail_err sfdc_people(db *d, int contact, const char *sf_id, int64_t *ids, size_t max, size_t *n)
{
    *n = 0;
    /* Salesforce answers with 18-character ids; hail may hold the 15-character form. */
    size_t len = strlen(sf_id);
    db_st *st = contact ? db_stmt(d, "SELECT id FROM people WHERE sfdc_contact_id IN ($1, $2)")
                        : db_stmt(d, "SELECT id FROM people WHERE sfdc_lead_id IN ($1, $2)");
    if (!st)
        return db_fail(d, "finding people by Salesforce id");
    db_bind_text(st, 1, sf_id, (int)len);
    db_bind_text(st, 2, sf_id, (int)(len > 15 ? 15 : len));
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        if (*n < max)
            ids[(*n)++] = db_col_i64(st, 0);
    return rc == DB_ERROR ? db_fail(d, "finding people by Salesforce id") : HAIL_OK;
}

hail_err sfdc_unsub_changed_at(db *d, int64_t person_id, int64_t *at)
{
    *at = 0;
    db_st *st = db_stmt(d, "SELECT at FROM unsubscribes WHERE person_id = $1 ORDER BY id DESC "
                           "LIMIT 1");
    if (!st)
        return db_fail(d, "reading an unsubscribe");
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        *at = db_col_i64(st, 0);
        db_reset(st);
    }
    return rc == DB_ERROR ? db_fail(d, "reading an unsubscribe") : HAIL_OK;
}
