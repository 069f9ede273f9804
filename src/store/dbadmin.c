#include "core/common.h"

/* `hail db check` and `hail db copy`: store/dbadmin.h. */
#include "store/dbadmin.h"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/accounts.h"
#include "store/people.h"

/* ---- check ---- */

/* Names of d's tables and indexes as {name: "table"|"index"}. */
static hail_err schema_objects(db *d, json_t **out)
{
    *out = NULL;
    db_st *st = db_prepare(
        d, DB_SQL(d,
                  "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'index')"
                  " AND name NOT LIKE 'sqlite_%'",
                  "SELECT c.relname, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END"
                  " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                  " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'i')"));
    if (!st)
        return HAIL_EDB;
    json_t *o = json_object();
    if (!o)
        return HAIL_ENOMEM;
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        json_object_set_new(o, db_col_text(st, 0), json_string(db_col_text(st, 1)));
    hail_err e = rc == DB_ERROR ? db_fail(d, "check: schema") : HAIL_OK;
    db_st_free(st);
    if (e)
        json_decref(o);
    else
        *out = o;
    return e;
}

static void remove_dir(const char *dir)
{
    DIR *dh = opendir(dir);
    if (dh) {
        struct dirent *de;
        while ((de = readdir(dh))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(dh);
    }
    rmdir(dir);
}

/* What this binary makes: the objects of a new SQLite database. */
static hail_err reference_objects(json_t **out)
{
    char dir[64], path[96];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hail-check-XXXXXX",
             tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return hail_errf(HAIL_EIO, "cannot make a temporary directory: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/ref.db", dir);
    /* Its migrations are no news to the operator: quiet below warnings
     * meanwhile (the CLI's one thread; the level is restored). */
    enum log_level was = LOG_OFF;
    for (int l = LOG_DEBUG; l < LOG_OFF; l++)
        if (log_enabled((enum log_level)l)) {
            was = (enum log_level)l;
            break;
        }
    if (was < LOG_WARN)
        log_set_level(LOG_WARN);
    db *ref = NULL;
    hail_err e = db_open(path, DB_MIGRATE, &ref);
    if (!e)
        e = schema_objects(ref, out);
    db_close(ref);
    log_set_level(was);
    remove_dir(dir);
    return e;
}

/* One integer from a statement with no parameters; -1 on error. */
static int64_t one_i64(db *d, const char *sql, const char *what)
{
    db_st *st = db_prepare(d, sql); /* run once: not cached */
    if (!st)
        return -1;
    int64_t v = -1;
    int rc = db_step(st);
    if (rc == DB_ROW)
        v = db_col_i64(st, 0);
    else
        db_fail(d, what);
    db_st_free(st);
    return v;
}

typedef struct checker {
    dbcheck_fn fn;
    void *ctx;
    int problems;
} checker;

static void report(checker *c, const char *check, const char *problem, const char *note)
{
    if (problem)
        c->problems++;
    c->fn(c->ctx, check, problem, note);
}

static hail_err check_schema(db *d, checker *c)
{
    json_t *want = NULL, *have = NULL;
    hail_err e = reference_objects(&want);
    if (!e)
        e = schema_objects(d, &have);
    if (e) {
        json_decref(want);
        json_decref(have);
        return e;
    }
    buf b = BUF_INIT(4096);
    int missing = 0;
    const char *name;
    json_t *type;
    json_object_foreach(want, name, type)
    {
        json_t *got = json_object_get(have, name);
        if (got && json_equal(got, type))
            continue;
        if (missing++ < 8)
            buf_printf(&b, "%s%s %s", missing > 1 ? ", " : "", json_string_value(type), name);
    }
    char msg[4200];
    if (missing)
        snprintf(msg, sizeof msg, "%d missing: %s%s", missing, buf_cstr(&b),
                 missing > 8 ? ", …" : "");
    report(c, "schema", missing ? msg : NULL, NULL);
    buf_release(&b);
    json_decref(want);
    json_decref(have);
    return HAIL_OK;
}

static hail_err check_sqlite(db *d, checker *c)
{
    db_st *st = db_prepare(d, "PRAGMA integrity_check(20)");
    if (!st)
        return HAIL_EDB;
    buf b = BUF_INIT(8192);
    int rc, n = 0, ok = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        const char *line = db_col_text(st, 0);
        if (n++ == 0 && line && !strcmp(line, "ok"))
            ok = 1;
        else
            buf_printf(&b, "%s%s", b.len ? "; " : "", line ? line : "?");
    }
    db_st_free(st);
    if (rc == DB_ERROR) {
        buf_release(&b);
        return db_fail(d, "check: integrity");
    }
    report(c, "integrity", ok && n == 1 ? NULL : buf_cstr(&b), NULL);
    buf_release(&b);

    st = db_prepare(d, "PRAGMA foreign_key_check");
    if (!st)
        return HAIL_EDB;
    char first[256] = "";
    n = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n++ == 0)
            snprintf(first, sizeof first, "first: table %s row %lld refers to a missing %s row",
                     db_col_text(st, 0), (long long)db_col_i64(st, 1), db_col_text(st, 2));
    }
    db_st_free(st);
    if (rc == DB_ERROR)
        return db_fail(d, "check: foreign keys");
    char msg[400];
    snprintf(msg, sizeof msg, "%d row%s with a broken reference (%s)", n, n == 1 ? "" : "s", first);
    report(c, "foreign keys", n ? msg : NULL, NULL);
    return HAIL_OK;
}

static hail_err check_pg(db *d, checker *c)
{
    int64_t n = one_i64(d,
                        "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n"
                        " ON n.oid = c.connamespace WHERE n.nspname = current_schema()"
                        " AND NOT c.convalidated",
                        "check: constraints");
    if (n < 0)
        return HAIL_EDB;
    char msg[200];
    snprintf(msg, sizeof msg, "%lld constraint%s not validated", (long long)n, n == 1 ? "" : "s");
    report(c, "foreign keys", n ? msg : NULL, NULL);

    /* Identity sequences behind their table's largest id: the next insert
     * would collide (a copy that did not set them, or rows written with
     * explicit ids). */
    db_st *st = db_prepare(
        d, "SELECT table_name, m, coalesce(pg_sequence_last_value(s), 0) FROM ("
           " SELECT c.table_name::text AS table_name,"
           "  pg_get_serial_sequence(quote_ident(c.table_name), c.column_name)::regclass AS s,"
           "  (xpath('/row/m/text()', query_to_xml(format('SELECT max(%I) AS m FROM %I',"
           "   c.column_name, c.table_name), false, true, '')))[1]::text::bigint AS m"
           " FROM information_schema.columns c"
           " WHERE c.table_schema = current_schema() AND c.is_identity = 'YES') x"
           " WHERE m > coalesce(pg_sequence_last_value(s), 0) ORDER BY 1");
    if (!st)
        return HAIL_EDB;
    buf b = BUF_INIT(4096);
    int rc, bad = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        bad++;
        buf_printf(&b, "%s%s (largest id %lld, sequence at %lld)", b.len ? ", " : "",
                   db_col_text(st, 0), (long long)db_col_i64(st, 1), (long long)db_col_i64(st, 2));
    }
    db_st_free(st);
    if (rc == DB_ERROR) {
        buf_release(&b);
        return db_fail(d, "check: sequences");
    }
    char seq[4200];
    snprintf(seq, sizeof seq, "behind their ids: %s", buf_cstr(&b));
    report(c, "sequences", bad ? seq : NULL, NULL);
    buf_release(&b);
    return HAIL_OK;
}

static hail_err check_people(db *d, checker *c)
{
    char *bulk = NULL, *dirty = NULL;
    hail_err e = db_kv_get(d, PEOPLE_BULK_KEY, &bulk);
    if (!e)
        e = db_kv_get(d, ACCOUNTS_DIRTY_KEY, &dirty);
    int pending = bulk || dirty;
    free(bulk);
    free(dirty);
    if (e)
        return e;
    if (pending) {
        const char *note = "skipped: a bulk load has not finished (it rebuilds them)";
        report(c, "account counts", NULL, note);
        report(c, "search keys", NULL, note);
        return HAIL_OK;
    }
    /* The counts as the triggers keep them against the counts from people. */
    int64_t n = one_i64(d,
                        "WITH p AS (SELECT sfdc_account_id AS a, coalesce(company, '') AS c,"
                        " count(*) AS n FROM people"
                        " WHERE active = 1 AND sfdc_account_id IS NOT NULL GROUP BY 1, 2)"
                        " SELECT (SELECT count(*) FROM (SELECT a, c, n FROM p EXCEPT"
                        " SELECT account_id, company, people FROM account_companies) x)"
                        " + (SELECT count(*) FROM (SELECT account_id, company, people"
                        " FROM account_companies EXCEPT SELECT a, c, n FROM p) y)",
                        "check: account counts");
    if (n < 0)
        return HAIL_EDB;
    char msg[200];
    snprintf(msg, sizeof msg, "%lld account/company count%s from people", (long long)n,
             n == 1 ? " differs" : "s differ");
    report(c, "account counts", n ? msg : NULL, NULL);

    n = one_i64(d,
                "SELECT count(*) FROM people_search s LEFT JOIN people p ON p.id = s.person_id"
                " WHERE p.id IS NULL OR p.active <> 1",
                "check: search keys");
    if (n < 0)
        return HAIL_EDB;
    snprintf(msg, sizeof msg, "%lld search key%s of people missing or inactive", (long long)n,
             n == 1 ? "" : "s");
    report(c, "search keys", n ? msg : NULL, NULL);
    return HAIL_OK;
}

hail_err dbadmin_check(db *d, dbcheck_fn fn, void *ctx, int *problems)
{
    checker c = {fn, ctx, 0};
    *problems = 0;
    hail_err e = check_schema(d, &c);
    if (!e)
        e = db_engine_of(d) == DB_POSTGRES ? check_pg(d, &c) : check_sqlite(d, &c);
    if (!e)
        e = check_people(d, &c);
    *problems = c.problems;
    return e;
}

/* ---- copy ---- */

typedef struct table {
    char *name;
    int ncols;
    unsigned char *blob; /* per column: copied as bytea */
    int has_id;
    int placed;
    char **deps; /* tables it refers to */
    int ndeps;
    int64_t rows;
    /* Statement texts, built per table and prepared uncached (db_prepare). */
    char *sql_count, *sql_select, *sql_copy, *sql_setval;
} table;

typedef struct copy_job {
    db *src, *dst;
    table *t;
    int n;
} copy_job;

static void tables_free(copy_job *j)
{
    for (int i = 0; i < j->n; i++) {
        table *t = &j->t[i];
        free(t->name);
        free(t->blob);
        for (int k = 0; k < t->ndeps; k++)
            free(t->deps[k]);
        free(t->deps);
        free(t->sql_count);
        free(t->sql_select);
        free(t->sql_copy);
        free(t->sql_setval);
    }
    free(j->t);
}

static char *printed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printed(const char *fmt, ...)
{
    buf b = BUF_INIT(1 << 20);
    va_list ap;
    va_start(ap, fmt);
    hail_err e = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (e) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

/* The source's tables, their columns and references. */
static hail_err read_tables(copy_job *j)
{
    db *d = j->src;
    db_st *st = db_prepare(d, "SELECT name FROM sqlite_master WHERE type = 'table'"
                              " AND name NOT LIKE 'sqlite_%' ORDER BY name");
    if (!st)
        return HAIL_EDB;
    int rc = DB_DONE, cap = 0;
    hail_err e = HAIL_OK;
    while (!e && (rc = db_step(st)) == DB_ROW) {
        if (j->n == cap) {
            cap = cap ? 2 * cap : 16;
            table *t = realloc(j->t, (size_t)cap * sizeof *t);
            if (!t) {
                e = HAIL_ENOMEM;
                break;
            }
            j->t = t;
        }
        table *t = &j->t[j->n];
        memset(t, 0, sizeof *t);
        if (!(t->name = strdup(db_col_text(st, 0))))
            e = HAIL_ENOMEM;
        else
            j->n++;
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "copy: tables");
    db_st_free(st);
    for (int i = 0; !e && i < j->n; i++) {
        table *t = &j->t[i];
        buf cols = BUF_INIT(1 << 16);
        st = db_prepare(d, "SELECT name, upper(type) FROM pragma_table_info($1) ORDER BY cid");
        if (!st) {
            e = HAIL_EDB;
            break;
        }
        db_bind_text(st, 1, t->name, -1);
        int cap_cols = 0;
        while (!e && (rc = db_step(st)) == DB_ROW) {
            const char *col = db_col_text(st, 0), *type = db_col_text(st, 1);
            if (t->ncols == cap_cols) {
                cap_cols = cap_cols ? 2 * cap_cols : 16;
                unsigned char *bl = realloc(t->blob, (size_t)cap_cols);
                if (!bl) {
                    e = HAIL_ENOMEM;
                    break;
                }
                t->blob = bl;
            }
            t->blob[t->ncols] = type && strstr(type, "BLOB") != NULL;
            if (!strcmp(col, "id"))
                t->has_id = 1;
            e = buf_printf(&cols, "%s\"%s\"", t->ncols ? ", " : "", col);
            t->ncols++;
        }
        if (!e && rc == DB_ERROR)
            e = db_fail(d, "copy: columns");
        db_st_free(st);
        if (!e) {
            t->sql_count = printed("SELECT count(*) FROM \"%s\"", t->name);
            t->sql_select = printed("SELECT %s FROM \"%s\"", buf_cstr(&cols), t->name);
            t->sql_copy = printed("COPY \"%s\" (%s) FROM STDIN", t->name, buf_cstr(&cols));
            t->sql_setval = printed("SELECT setval(pg_get_serial_sequence($1, 'id')::regclass,"
                                    " coalesce(max(id), 1), max(id) IS NOT NULL) FROM \"%s\"",
                                    t->name);
            if (!t->sql_count || !t->sql_select || !t->sql_copy || !t->sql_setval)
                e = HAIL_ENOMEM;
        }
        buf_release(&cols);
        if (e)
            break;
        st = db_prepare(d, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)");
        if (!st) {
            e = HAIL_EDB;
            break;
        }
        db_bind_text(st, 1, t->name, -1);
        while (!e && (rc = db_step(st)) == DB_ROW) {
            char **deps = realloc(t->deps, (size_t)(t->ndeps + 1) * sizeof *deps);
            if (!deps || !(deps[t->ndeps] = strdup(db_col_text(st, 0)))) {
                if (deps)
                    t->deps = deps;
                e = HAIL_ENOMEM;
                break;
            }
            t->deps = deps;
            t->ndeps++;
        }
        if (!e && rc == DB_ERROR)
            e = db_fail(d, "copy: references");
        db_st_free(st);
    }
    return e;
}

static int placed(const copy_job *j, const char *name)
{
    for (int i = 0; i < j->n; i++)
        if (!strcmp(j->t[i].name, name))
            return j->t[i].placed;
    return 1; /* not a table of the copy */
}

/* Reorders j->t so that a table comes after those it refers to. */
static hail_err order_tables(copy_job *j)
{
    table *out = malloc((size_t)(j->n ? j->n : 1) * sizeof *out);
    if (!out)
        return HAIL_ENOMEM;
    int k = 0;
    while (k < j->n) {
        int progress = 0;
        for (int i = 0; i < j->n; i++) {
            table *t = &j->t[i];
            if (t->placed)
                continue;
            int ready = 1;
            for (int m = 0; m < t->ndeps && ready; m++)
                ready = !strcmp(t->deps[m], t->name) || placed(j, t->deps[m]);
            if (ready) {
                t->placed = 1;
                out[k++] = *t;
                progress = 1;
            }
        }
        if (!progress) {
            free(out);
            return hail_errf(HAIL_EDB, "copy: the tables refer to each other in a cycle");
        }
    }
    free(j->t);
    j->t = out;
    return HAIL_OK;
}

static hail_err count_rows(db *d, const table *t, int64_t *n)
{
    *n = one_i64(d, t->sql_count, "copy: count");
    return *n < 0 ? HAIL_EDB : HAIL_OK;
}

/* Sends table t's rows from the source to the target's COPY. */
static hail_err copy_rows(copy_job *j, table *t, dbcopy_fn fn, void *ctx)
{
    hail_err e = db_copy_begin(j->dst, t->sql_copy);
    if (e)
        return e;
    db_st *st = db_prepare(j->src, t->sql_select);
    if (!st) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", hail_errmsg());
        db_copy_end(j->dst);
        return hail_errf(HAIL_EDB, "%s", msg);
    }
    buf b = BUF_INIT(SIZE_MAX / 2);
    buf hex = BUF_INIT(SIZE_MAX / 2);
    int64_t done = 0;
    int rc = DB_DONE;
    while (!e && (rc = db_step(st)) == DB_ROW) {
        for (int i = 0; !e && i < t->ncols; i++) {
            if (db_col_null(st, i)) {
                e = db_copy_field(&b, NULL, 0, i == 0);
            } else if (t->blob[i]) {
                const unsigned char *p = db_col_blob(st, i);
                size_t n = db_col_bytes(st, i);
                buf_reset(&hex);
                e = buf_puts(&hex, "\\x");
                for (size_t k = 0; !e && k < n; k++)
                    e = buf_printf(&hex, "%02x", p[k]);
                if (!e)
                    e = db_copy_field(&b, buf_cstr(&hex), hex.len, i == 0);
            } else {
                const char *s = db_col_text(st, i);
                e = db_copy_field(&b, s ? s : "", s ? db_col_bytes(st, i) : 0, i == 0);
            }
        }
        if (!e)
            e = buf_putc(&b, '\n');
        done++;
        if (!e && b.len >= (1 << 20)) {
            e = db_copy_put(j->dst, b.data, b.len);
            buf_reset(&b);
        }
        if (!e && done % 50000 == 0 && done < t->rows && fn)
            fn(ctx, t->name, done, t->rows);
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(j->src, "copy: read");
    db_st_free(st);
    if (!e && b.len)
        e = db_copy_put(j->dst, b.data, b.len);
    buf_release(&b);
    buf_release(&hex);
    hail_err end = db_copy_end(j->dst);
    if (!e)
        e = end;
    if (!e && done != t->rows)
        e = hail_errf(HAIL_EDB, "copy: table %s had %lld rows, %lld were read", t->name,
                      (long long)t->rows, (long long)done);
    if (!e && fn)
        fn(ctx, t->name, done, t->rows);
    return e;
}

/* Rows the migrations themselves create (the default maildir channel, the
 * seeded call outcomes and reasons): an empty target has them, and the copy
 * replaces them with the source's. */
static const struct {
    const char *table, *count, *del;
} seed_rows[] = {
    {"channels", "SELECT count(*) FROM channels WHERE created_at = 0",
     "DELETE FROM channels WHERE created_at = 0"},
    {"call_outcomes", "SELECT count(*) FROM call_outcomes WHERE created_at = 0",
     "DELETE FROM call_outcomes WHERE created_at = 0"},
    {"call_reasons", "SELECT count(*) FROM call_reasons WHERE created_at = 0",
     "DELETE FROM call_reasons WHERE created_at = 0"},
};

static hail_err copy_all(copy_job *j, dbcopy_fn fn, void *ctx, int64_t *rows)
{
    hail_err e;
    for (int i = 0; i < j->n; i++) {
        table *t = &j->t[i];
        int64_t n;
        if ((e = count_rows(j->dst, t, &n)))
            return e;
        for (size_t k = 0; k < sizeof seed_rows / sizeof *seed_rows; k++) {
            if (strcmp(t->name, seed_rows[k].table) != 0)
                continue;
            int64_t seeded = one_i64(j->dst, seed_rows[k].count, "copy: count");
            if (seeded < 0)
                return HAIL_EDB;
            n -= seeded;
        }
        if (n > 0)
            return hail_errf(HAIL_EEXIST,
                             "the target database is not empty (table %s has %lld row%s);"
                             " copy needs an empty database",
                             t->name, (long long)n, n == 1 ? "" : "s");
    }
    /* One snapshot of the source (WAL: writers go on meanwhile). */
    if ((e = db_exec(j->src, "BEGIN")))
        return e;
    hail_err e2;
    for (int i = 0; !e && i < j->n; i++)
        e = count_rows(j->src, &j->t[i], &j->t[i].rows);
    /* One transaction on the target: a failure leaves it empty. */
    if (!e && !(e = db_begin(j->dst)))
        e = db_exec(j->dst, "SET LOCAL statement_timeout = 0; SET LOCAL hail.bulk = 'on'");
    for (size_t k = 0; !e && k < sizeof seed_rows / sizeof *seed_rows; k++)
        e = db_exec(j->dst, seed_rows[k].del);
    for (int i = 0; !e && i < j->n; i++) {
        table *t = &j->t[i];
        if ((e = copy_rows(j, t, fn, ctx)))
            break;
        *rows += t->rows;
        if (t->has_id) {
            db_st *st = db_prepare(j->dst, t->sql_setval);
            if (!st) {
                e = HAIL_EDB;
                break;
            }
            db_bind_text(st, 1, t->name, -1);
            int rc = db_step(st);
            if (rc == DB_ERROR)
                e = db_fail(j->dst, "copy: sequence");
            db_st_free(st);
        }
    }
    for (int i = 0; !e && i < j->n; i++) {
        int64_t n;
        if ((e = count_rows(j->dst, &j->t[i], &n)))
            break;
        if (n != j->t[i].rows)
            e = hail_errf(HAIL_EDB,
                          "copy: table %s has %lld rows in the target and %lld in the source;"
                          " nothing was copied",
                          j->t[i].name, (long long)n, (long long)j->t[i].rows);
    }
    if (!e)
        e = db_commit(j->dst);
    if (e && db_in_tx(j->dst))
        db_rollback(j->dst);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", hail_errmsg());
    if ((e2 = db_exec(j->src, "COMMIT")) && !e)
        return e2;
    if (e)
        hail_errf(e, "%s", msg);
    return e;
}

hail_err dbadmin_copy(const char *from, const char *to, dbcopy_fn fn, void *ctx, int64_t *rows,
                      int *tables)
{
    *rows = 0;
    *tables = 0;
    char name[512];
    if (db_target_engine(from) != DB_SQLITE) {
        db_target_redact(from, name, sizeof name);
        return hail_errf(HAIL_EINVAL, "hail db copy reads a SQLite database, not %s", name);
    }
    if (db_target_engine(to) != DB_POSTGRES) {
        db_target_redact(to, name, sizeof name);
        return hail_errf(HAIL_EINVAL,
                         "--to must name a PostgreSQL database (postgresql://… or key=value),"
                         " not '%s'",
                         name);
    }
    copy_job j = {0};
    hail_err e = db_open(from, DB_MIGRATE, &j.src);
    if (!e)
        e = db_open(to, DB_MIGRATE, &j.dst);
    if (!e)
        e = read_tables(&j);
    if (!e)
        e = order_tables(&j);
    if (!e)
        e = copy_all(&j, fn, ctx, rows);
    if (!e)
        *tables = j.n;
    else
        *rows = 0;
    /* The message survives the closes. */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", hail_errmsg());
    db_close(j.dst);
    db_close(j.src);
    tables_free(&j);
    if (e)
        hail_errf(e, "%s", msg);
    return e;
}
