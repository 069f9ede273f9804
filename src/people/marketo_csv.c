#include "core/common.h"

#include "people/marketo_csv.h"

#include <string.h>

hail_err mcsv_map_header(mcsv_map *m, const csv_record *h)
{
    m->ncols = h->nfields;
    m->id_col = -1;
    int seen[PF_COUNT] = {0};
    for (size_t i = 0; i < h->nfields; i++) {
        const char *name = h->field[i];
        size_t len = h->len[i];
        /* Tolerate a UTF-8 byte-order mark before the first column name. */
        if (i == 0 && len >= 3 && memcmp(name, "\xEF\xBB\xBF", 3) == 0) {
            name += 3;
            len -= 3;
        }
        m->field_of_col[i] = -1;
        if (len == 2 && memcmp(name, "id", 2) == 0) {
            if (m->id_col >= 0)
                return hail_errf(HAIL_EINVAL, "line %lu: column id appears twice", h->line);
            m->id_col = (int)i;
            continue;
        }
        int f = person_field_by_marketo_name(name, len);
        const char *tzc = m->time_zone_column;
        if (tzc) /* "" matches no column */
            f = *tzc && strlen(tzc) == len && memcmp(tzc, name, len) == 0 ? PF_TIME_ZONE
                : f == PF_TIME_ZONE                                       ? -1
                                                                          : f;
        if (f >= 0) {
            if (seen[f]++)
                return hail_errf(HAIL_EINVAL, "line %lu: column %s appears twice", h->line,
                                 f == PF_TIME_ZONE ? "timeZone (or time_zone)"
                                                   : person_marketo_field[f]);
            m->field_of_col[i] = (signed char)f;
        }
    }
    if (m->id_col < 0)
        return hail_errf(HAIL_EINVAL, "line %lu: the header has no id column", h->line);
    return HAIL_OK;
}

hail_err mcsv_person(const mcsv_map *m, const csv_record *rec, person_in *out)
{
    memset(out, 0, sizeof *out);
    if (rec->nfields != m->ncols)
        return hail_errf(HAIL_EINVAL, "line %lu: %zu fields, the header has %zu", rec->line,
                         rec->nfields, m->ncols);
    const char *id = rec->field[m->id_col];
    size_t idl = rec->len[m->id_col];
    int64_t v = 0;
    if (idl == 0)
        return hail_errf(HAIL_EINVAL, "line %lu: id is empty", rec->line);
    for (size_t i = 0; i < idl; i++) {
        if (id[i] < '0' || id[i] > '9' || idl > 18)
            return hail_errf(HAIL_EINVAL, "line %lu: id '%.*s' is not a positive integer",
                             rec->line, (int)(idl > 40 ? 40 : idl), id);
        v = v * 10 + (id[i] - '0');
    }
    if (v == 0)
        return hail_errf(HAIL_EINVAL, "line %lu: id '%.*s' is not a positive integer", rec->line,
                         (int)(idl > 40 ? 40 : idl), id);
    out->marketo_id = v;
    for (size_t i = 0; i < rec->nfields; i++) {
        int f = m->field_of_col[i];
        if (f < 0)
            continue;
        if (rec->len[i] == 0 ||
            (!rec->quoted[i] && rec->len[i] == 4 && memcmp(rec->field[i], "null", 4) == 0))
            continue; /* null */
        out->f[f] = rec->field[i];
        out->len[f] = rec->len[i];
    }
    hail_err e = person_in_validate(out);
    if (e)
        return hail_errf(e, "line %lu: %s", rec->line, hail_errmsg());
    return HAIL_OK;
}
