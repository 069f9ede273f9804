#include "core/common.h"

/* The PostgreSQL engine (libpq) behind store/db.c: see store/db_pg.h and
 * docs/store.md, "PostgreSQL". */
#include "store/db_pg.h"

#include <libpq-fe.h>

#include "core/log.h"
#include "store/schema.h"

/* Type oids of the results read specially (pg_type.h is server-side). */
#define OID_BOOL  16
#define OID_BYTEA 17

/* A transaction's limits (pg_begin): a statement that runs longer is a
 * runaway (bulk writers commit every few seconds); lock waits are the
 * caller's. */
#define STATEMENT_TIMEOUT_MS 300000
/* Statements outside a transaction wait this long for a row lock. */
#define LOCK_TIMEOUT_MS 10000
/* An unreachable server fails this fast (unless the target sets its own). */
#define CONNECT_TIMEOUT_S "5"

struct pg_conn {
    PGconn *h;
    unsigned next_id; /* statement names: s1, s2, ... */
    int64_t changes;
    int bad;       /* the connection broke */
    int in_tx;     /* inside a transaction, as last known (kept when the connection breaks) */
    char state[6]; /* SQLSTATE of the last error, "" none */
    char msg[512]; /* its message */
};

typedef struct pg_param {
    const char *v; /* NULL: SQL NULL */
    int len;
    int binary;
    char *own; /* storage for copies */
    size_t cap;
} pg_param;

typedef struct pg_blob {
    int row; /* the row decoded, -1 none */
    unsigned char *p;
    size_t n, cap;
} pg_blob;

struct pg_st {
    pg_conn *c;
    char *sql; /* for messages */
    char name[24];
    int nparams;
    pg_param *params;
    const char **values;
    int *lengths, *formats;
    PGresult *res;
    int ran;  /* executed since the last reset: 1 rows, -1 failed */
    int row;  /* current row of res */
    int ncol; /* columns of res */
    int oom;  /* a value could not be bound: the next step fails */
    pg_blob *blobs;
};

static void tx_note(pg_conn *c);

/* ---- errors ---- */

static void clear_error(pg_conn *c)
{
    c->state[0] = '\0';
    c->msg[0] = '\0';
}

/* Copies a message's first line, without a trailing period or blanks. */
static void first_line(char *out, size_t size, const char *m)
{
    size_t n = strcspn(m, "\n");
    while (n && (m[n - 1] == '.' || m[n - 1] == ' ' || m[n - 1] == '\r' || m[n - 1] == '\t'))
        n--;
    snprintf(out, size, "%.*s", (int)n, m);
}

/* Records the error of res (or of the connection when res is NULL or has
 * none). */
static void keep_error(pg_conn *c, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m || !*m)
        m = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(c->h);
    snprintf(c->state, sizeof c->state, "%s", state ? state : "");
    first_line(c->msg, sizeof c->msg, m && *m ? m : "unknown error");
    if (PQstatus(c->h) == CONNECTION_BAD)
        c->bad = 1;
}

db_errkind pg_errkind(pg_conn *c)
{
    const char *s = c->state;
    if (c->bad || strncmp(s, "08", 2) == 0 || !strcmp(s, "57P01") || !strcmp(s, "57P02") ||
        !strcmp(s, "57P03"))
        return DB_ERR_CONNECTION;
    if (!strcmp(s, "23505"))
        return DB_ERR_UNIQUE;
    if (!strcmp(s, "23503"))
        return DB_ERR_FOREIGN_KEY;
    if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03") || !strcmp(s, "57014"))
        return DB_ERR_BUSY;
    return DB_ERR_OTHER;
}

hail_err pg_fail(pg_conn *c, const char *what)
{
    switch (pg_errkind(c)) {
    case DB_ERR_UNIQUE:
        return hail_errf(HAIL_EEXIST, "%s: %s", what, c->msg);
    case DB_ERR_BUSY:
        log_warn("store: %s: %s", what, c->msg);
        return hail_errf(HAIL_EUNAVAIL, "the database is busy; try again in a moment");
    case DB_ERR_CONNECTION:
        log_warn("store: %s: %s", what, c->msg);
        return hail_errf(HAIL_EUNAVAIL, "the database cannot be reached; try again in a moment");
    default:
        /* Text that is not UTF-8 (from outside: a query parameter) is bad
         * input, not a failing database; SQLite just finds nothing. */
        if (!strcmp(c->state, "22021"))
            return hail_errf(HAIL_EINVAL, "text is not valid UTF-8");
        return hail_errf(HAIL_EDB, "%s: %s", what, c->msg);
    }
}

int pg_broken(pg_conn *c)
{
    return c->bad || PQstatus(c->h) == CONNECTION_BAD;
}

/* ---- connecting ---- */

/* Notices (CREATE … IF NOT EXISTS skipping, …) are not for stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    if (log_enabled(LOG_DEBUG)) {
        char line[512];
        first_line(line, sizeof line, message);
        log_debug("store: postgresql: %s", line);
    }
}

/* Replaces every occurrence of secret (slen bytes, none: nothing to do) in
 * s by "***". */
static void scrub(char *s, size_t size, const char *secret, size_t slen)
{
    if (!slen || !size)
        return;
    char out[512];
    size_t o = 0;
    for (const char *p = s; *p && o + 4 < sizeof out && o + 4 < size;) {
        if (strncmp(p, secret, slen) == 0) {
            memcpy(out + o, "***", 3);
            o += 3;
            p += slen;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(s, out, o + 1);
}

/* libpq's message, as the contract's "Names" has it: the first line, the
 * "connection to server … failed: " and severity prefixes dropped, the
 * first letter lowered, no trailing period. */
static void connect_reason(char *out, size_t size, const char *m)
{
    char line[512];
    first_line(line, sizeof line, m && *m ? m : "unknown error");
    const char *p = line;
    if (strncmp(p, "connection to server ", 21) == 0) {
        const char *f = strstr(p, " failed: ");
        if (f)
            p = f + 9;
    }
    static const char *const severities[] = {"FATAL:  ", "ERROR:  ", "FATAL: ", "ERROR: "};
    for (size_t i = 0; i < sizeof severities / sizeof *severities; i++)
        if (strncmp(p, severities[i], strlen(severities[i])) == 0) {
            p += strlen(severities[i]);
            break;
        }
    snprintf(out, size, "%s", p);
    if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
        out[0] = (char)(out[0] - 'A' + 'a');
}

hail_err pg_connect(const char *target, pg_conn **out)
{
    *out = NULL;
    char name[512];
    db_target_redact(target, name, sizeof name);
    /* The password is what the redaction replaced: between the longest
     * common prefix and suffix of the two. Scrubbed from any message that
     * quotes the target (libpq's parse errors do). */
    size_t tl = strlen(target), nl = strlen(name), pre = 0, suf = 0;
    while (pre < tl && pre < nl && target[pre] == name[pre])
        pre++;
    while (suf < tl - pre && suf < nl - pre && target[tl - 1 - suf] == name[nl - 1 - suf])
        suf++;
    char secret[256];
    size_t slen = tl - pre - suf;
    if (slen >= sizeof secret)
        slen = sizeof secret - 1;
    memcpy(secret, target + pre, slen);
    secret[slen] = '\0';

    pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return HAIL_ENOMEM;
    /* Before dbname: the target's own settings win; after it: forced. */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                                "client_encoding", NULL};
    const char *const vals[] = {CONNECT_TIMEOUT_S, "hail", target, "UTF8", NULL};
    c->h = PQconnectdbParams(keys, vals, 1);
    if (!c->h || PQstatus(c->h) != CONNECTION_OK) {
        char reason[512];
        connect_reason(reason, sizeof reason, c->h ? PQerrorMessage(c->h) : "out of memory");
        scrub(reason, sizeof reason, secret, slen);
        if (c->h)
            PQfinish(c->h);
        free(c);
        return hail_errf(HAIL_EIO, "cannot connect to the database %s: %s", name, reason);
    }
    PQsetNoticeProcessor(c->h, on_notice, NULL);
    char set[96];
    snprintf(set, sizeof set, "SET lock_timeout = %d", LOCK_TIMEOUT_MS);
    hail_err e = pg_exec(c, set);
    if (e) {
        e = hail_errf(HAIL_EIO, "cannot use the database %s: %s", name, c->msg);
        pg_disconnect(c);
        return e;
    }
    *out = c;
    return HAIL_OK;
}

void pg_disconnect(pg_conn *c)
{
    if (!c)
        return;
    if (c->h)
        PQfinish(c->h);
    free(c);
}

/* ---- statements ---- */

pg_st *pg_prepare(pg_conn *c, const char *sql)
{
    clear_error(c);
    pg_st *s = calloc(1, sizeof *s);
    if (!s) {
        hail_errf(HAIL_ENOMEM, "out of memory");
        return NULL;
    }
    s->c = c;
    s->sql = strdup(sql);
    snprintf(s->name, sizeof s->name, "s%u", ++c->next_id);
    PGresult *r = PQprepare(c->h, s->name, sql, 0, NULL);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (ok) {
        PQclear(r);
        r = PQdescribePrepared(c->h, s->name);
        ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    }
    if (!ok) {
        keep_error(c, r);
        PQclear(r);
        free(s->sql);
        free(s);
        if (pg_errkind(c) == DB_ERR_CONNECTION) {
            pg_fail(c, "prepare");
            return NULL;
        }
        hail_errf(HAIL_EDB, "prepare: %s", c->msg);
        log_error("store: cannot prepare: %s: %s", c->msg, sql);
        return NULL;
    }
    s->nparams = PQnparams(r);
    PQclear(r);
    if (s->nparams) {
        s->params = calloc((size_t)s->nparams, sizeof *s->params);
        s->values = calloc((size_t)s->nparams, sizeof *s->values);
        s->lengths = calloc((size_t)s->nparams, sizeof *s->lengths);
        s->formats = calloc((size_t)s->nparams, sizeof *s->formats);
        if (!s->params || !s->values || !s->lengths || !s->formats) {
            pg_st_free(s);
            hail_errf(HAIL_ENOMEM, "out of memory");
            return NULL;
        }
    }
    return s;
}

static void blobs_free(pg_st *s)
{
    if (s->blobs) {
        for (int i = 0; i < s->ncol; i++)
            free(s->blobs[i].p);
        free(s->blobs);
        s->blobs = NULL;
    }
}

void pg_reset(pg_st *s)
{
    if (s->res) {
        PQclear(s->res);
        s->res = NULL;
    }
    blobs_free(s);
    s->ran = 0;
    s->row = -1;
    s->ncol = 0;
}

void pg_st_free(pg_st *s)
{
    if (!s)
        return;
    pg_reset(s);
    free(s->sql);
    for (int i = 0; i < s->nparams && s->params; i++)
        free(s->params[i].own);
    free(s->params);
    free(s->values);
    free(s->lengths);
    free(s->formats);
    free(s);
}

static pg_param *param(pg_st *s, int i)
{
    if (i < 1 || i > s->nparams) {
        log_error("store: parameter %d of %d bound in: %s", i, s->nparams,
                  s->sql ? s->sql : s->name);
        return NULL;
    }
    return &s->params[i - 1];
}

/* Copies n bytes (NUL-terminated) into the parameter's own storage. */
static void param_copy(pg_st *s, pg_param *p, const void *v, size_t n, int binary)
{
    if (n + 1 > p->cap) {
        size_t cap = n + 1 < 32 ? 32 : n + 1;
        char *own = realloc(p->own, cap);
        if (!own) {
            p->v = NULL;
            s->oom = 1;
            return;
        }
        p->own = own;
        p->cap = cap;
    }
    if (n)
        memcpy(p->own, v, n);
    p->own[n] = '\0';
    p->v = p->own;
    p->len = (int)n;
    p->binary = binary;
}

void pg_bind_i64(pg_st *s, int i, int64_t v)
{
    pg_param *p = param(s, i);
    if (!p)
        return;
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRId64, v);
    param_copy(s, p, t, (size_t)n, 0);
}

void pg_bind_double(pg_st *s, int i, double v)
{
    pg_param *p = param(s, i);
    if (!p)
        return;
    char t[40];
    int n = snprintf(t, sizeof t, "%.17g", v);
    param_copy(s, p, t, (size_t)n, 0);
}

void pg_bind_text(pg_st *s, int i, const char *v, int len, int copy)
{
    pg_param *p = param(s, i);
    if (!p)
        return;
    if (!v) {
        p->v = NULL;
        return;
    }
    /* Text goes as a C string: a reference only to a whole one. */
    if (!copy && len < 0) {
        p->v = v;
        p->len = (int)strlen(v);
        p->binary = 0;
        return;
    }
    param_copy(s, p, v, len < 0 ? strlen(v) : (size_t)len, 0);
}

void pg_bind_blob(pg_st *s, int i, const void *v, size_t n)
{
    pg_param *p = param(s, i);
    if (p)
        param_copy(s, p, v ? v : "", n, 1);
}

void pg_bind_null(pg_st *s, int i)
{
    pg_param *p = param(s, i);
    if (p)
        p->v = NULL;
}

void pg_clear_bindings(pg_st *s)
{
    for (int i = 0; i < s->nparams; i++)
        s->params[i].v = NULL;
}

/* Rows changed, from a command's tag ("INSERT 0 3", "UPDATE 2", …). */
static void count_changes(pg_conn *c, PGresult *r)
{
    const char *tag = PQcmdStatus(r);
    if (tag &&
        (!strncmp(tag, "INSERT", 6) || !strncmp(tag, "UPDATE", 6) || !strncmp(tag, "DELETE", 6) ||
         !strncmp(tag, "MERGE", 5) || !strncmp(tag, "COPY", 4)))
        c->changes = strtoll(PQcmdTuples(r), NULL, 10);
}

int pg_step(pg_st *s)
{
    pg_conn *c = s->c;
    if (s->ran < 0)
        return DB_ERROR;
    if (!s->ran) {
        clear_error(c);
        if (s->oom) {
            s->oom = 0;
            s->ran = -1;
            snprintf(c->msg, sizeof c->msg, "out of memory");
            return DB_ERROR;
        }
        for (int i = 0; i < s->nparams; i++) {
            s->values[i] = s->params[i].v;
            s->lengths[i] = s->params[i].v ? s->params[i].len : 0;
            s->formats[i] = s->params[i].v ? s->params[i].binary : 0;
        }
        PGresult *r =
            PQexecPrepared(c->h, s->name, s->nparams, s->values, s->lengths, s->formats, 0);
        tx_note(c);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            keep_error(c, r);
            PQclear(r);
            s->ran = -1;
            return DB_ERROR;
        }
        count_changes(c, r);
        s->res = r;
        s->ran = 1;
        s->row = -1;
        s->ncol = PQnfields(r);
    }
    if (s->row < PQntuples(s->res))
        s->row++;
    return s->row < PQntuples(s->res) ? DB_ROW : DB_DONE;
}

static int has_value(pg_st *s, int i)
{
    return s->res && s->row >= 0 && s->row < PQntuples(s->res) && i >= 0 && i < s->ncol &&
           !PQgetisnull(s->res, s->row, i);
}

int pg_col_null(pg_st *s, int i)
{
    return !has_value(s, i);
}

int pg_col_count(pg_st *s)
{
    return s->res ? s->ncol : 0;
}

int64_t pg_col_i64(pg_st *s, int i)
{
    if (!has_value(s, i))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, i);
    if (PQftype(s->res, i) == OID_BOOL)
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

double pg_col_double(pg_st *s, int i)
{
    if (!has_value(s, i))
        return 0;
    const char *v = PQgetvalue(s->res, s->row, i);
    if (PQftype(s->res, i) == OID_BOOL)
        return v[0] == 't';
    return strtod(v, NULL);
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The current row's bytea column i, decoded (kept until the next step). */
static pg_blob *blob(pg_st *s, int i)
{
    if (!s->blobs) {
        s->blobs = calloc((size_t)s->ncol, sizeof *s->blobs);
        if (!s->blobs)
            return NULL;
        for (int k = 0; k < s->ncol; k++)
            s->blobs[k].row = -1;
    }
    pg_blob *b = &s->blobs[i];
    if (b->row == s->row)
        return b;
    const char *v = PQgetvalue(s->res, s->row, i);
    size_t len = (size_t)PQgetlength(s->res, s->row, i);
    if (len + 1 > b->cap) {
        unsigned char *p = realloc(b->p, len + 1);
        if (!p)
            return NULL;
        b->p = p;
        b->cap = len + 1;
    }
    size_t n = 0;
    if (len >= 2 && v[0] == '\\' && v[1] == 'x') {
        for (size_t k = 2; k + 1 < len; k += 2) {
            int hi = hexval(v[k]), lo = hexval(v[k + 1]);
            if (hi < 0 || lo < 0)
                break;
            b->p[n++] = (unsigned char)(hi << 4 | lo);
        }
    } else {
        /* bytea_output = escape: libpq decodes it. */
        size_t un = 0;
        unsigned char *u = PQunescapeBytea((const unsigned char *)v, &un);
        if (!u)
            return NULL;
        memcpy(b->p, u, un < len ? un : len);
        n = un < len ? un : len;
        PQfreemem(u);
    }
    b->p[n] = '\0';
    b->n = n;
    b->row = s->row;
    return b;
}

const char *pg_col_text(pg_st *s, int i)
{
    if (!has_value(s, i))
        return NULL;
    if (PQftype(s->res, i) == OID_BYTEA) {
        pg_blob *b = blob(s, i);
        return b ? (const char *)b->p : NULL;
    }
    return PQgetvalue(s->res, s->row, i);
}

const void *pg_col_blob(pg_st *s, int i)
{
    if (!has_value(s, i))
        return NULL;
    if (PQftype(s->res, i) == OID_BYTEA) {
        pg_blob *b = blob(s, i);
        return b ? b->p : NULL;
    }
    return PQgetvalue(s->res, s->row, i);
}

size_t pg_col_bytes(pg_st *s, int i)
{
    if (!has_value(s, i))
        return 0;
    if (PQftype(s->res, i) == OID_BYTEA) {
        pg_blob *b = blob(s, i);
        return b ? b->n : 0;
    }
    return (size_t)PQgetlength(s->res, s->row, i);
}

int64_t pg_changes(pg_conn *c)
{
    return c->changes;
}

/* ---- plain SQL, transactions, locks ---- */

/* Runs sql (several statements allowed); on failure the error is kept. */
static int run(pg_conn *c, const char *sql)
{
    clear_error(c);
    PGresult *r = PQexec(c->h, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (ok)
        count_changes(c, r);
    else
        keep_error(c, r);
    PQclear(r);
    tx_note(c);
    return ok;
}

hail_err pg_exec(pg_conn *c, const char *sql)
{
    if (run(c, sql))
        return HAIL_OK;
    db_errkind k = pg_errkind(c);
    if (k == DB_ERR_BUSY || k == DB_ERR_CONNECTION)
        return pg_fail(c, "exec");
    return hail_errf(HAIL_EDB, "%s", c->msg);
}

/* Notes the transaction state after a command. A broken connection keeps
 * the last one: its transaction is lost, and the caller must hear so (it
 * rolls back) rather than carry on outside one on a new connection. */
static void tx_note(pg_conn *c)
{
    if (PQstatus(c->h) != CONNECTION_OK) {
        c->bad = 1;
        return;
    }
    PGTransactionStatusType t = PQtransactionStatus(c->h);
    if (t != PQTRANS_ACTIVE)
        c->in_tx = t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

int pg_in_tx(pg_conn *c)
{
    tx_note(c);
    return c->in_tx;
}

hail_err pg_begin(pg_conn *c, int lock_wait_ms)
{
    if (pg_in_tx(c))
        return hail_errf(HAIL_EDB, "begin: cannot start a transaction within a transaction");
    /* lock_timeout 0 would mean no limit: "do not wait" is the shortest wait. */
    char sql[160];
    snprintf(sql, sizeof sql,
             "BEGIN; SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = %d",
             STATEMENT_TIMEOUT_MS, lock_wait_ms > 0 ? lock_wait_ms : 1);
    if (run(c, sql))
        return HAIL_OK;
    hail_err e = pg_fail(c, "begin");
    pg_rollback(c);
    return e;
}

hail_err pg_commit(pg_conn *c)
{
    if (PQstatus(c->h) != CONNECTION_OK) {
        /* The transaction went with the connection. */
        c->bad = 1;
        c->in_tx = 0;
        snprintf(c->state, sizeof c->state, "08006");
        snprintf(c->msg, sizeof c->msg, "the connection was lost");
        return pg_fail(c, "commit");
    }
    if (PQtransactionStatus(c->h) == PQTRANS_INERROR) {
        /* COMMIT would roll back and say nothing: say it. */
        pg_rollback(c);
        return hail_errf(HAIL_EDB, "commit: the transaction was aborted by an earlier error");
    }
    clear_error(c);
    PGresult *r = PQexec(c->h, "COMMIT");
    tx_note(c);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    hail_err e = HAIL_OK;
    if (st != PGRES_COMMAND_OK) {
        keep_error(c, r);
        e = pg_fail(c, "commit");
    } else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
        e = hail_errf(HAIL_EDB, "commit: the transaction was aborted by an earlier error");
    }
    PQclear(r);
    if (e)
        pg_rollback(c);
    return e;
}

/* A COPY left open (its writer failed half way) is abandoned first. */
static void copy_abandon(pg_conn *c)
{
    if (PQtransactionStatus(c->h) != PQTRANS_ACTIVE)
        return;
    PQputCopyEnd(c->h, "abandoned");
    PGresult *r;
    while ((r = PQgetResult(c->h))) {
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
            break; /* not ours to finish */
    }
}

void pg_rollback(pg_conn *c)
{
    if (PQstatus(c->h) != CONNECTION_OK) {
        c->bad = 1;
        c->in_tx = 0; /* lost with the connection; the caller knows now */
        return;
    }
    copy_abandon(c);
    if (!pg_in_tx(c))
        return;
    PGresult *r = PQexec(c->h, "ROLLBACK");
    PQclear(r);
    tx_note(c);
    if (c->bad)
        c->in_tx = 0;
}

/* 64-bit FNV-1a: the advisory lock key of a name. */
static int64_t lock_key(const char *name)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    return (int64_t)h;
}

/* Runs "SELECT <fn>(key)" with key as its one parameter. */
static int lock_call(pg_conn *c, const char *sql, int64_t key)
{
    char k[24];
    snprintf(k, sizeof k, "%" PRId64, key);
    const char *vals[1] = {k};
    clear_error(c);
    PGresult *r = PQexecParams(c->h, sql, 1, NULL, vals, NULL, NULL, 0);
    tx_note(c);
    int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        keep_error(c, r);
    PQclear(r);
    return ok;
}

hail_err pg_lock(pg_conn *c, const char *name)
{
    if (!pg_in_tx(c))
        return hail_errf(HAIL_EDB, "lock %s: not inside a transaction", name);
    if (lock_call(c, "SELECT pg_advisory_xact_lock(CAST($1 AS BIGINT))", lock_key(name)))
        return HAIL_OK;
    return pg_fail(c, "lock");
}

/* ---- COPY ---- */

hail_err pg_copy_begin(pg_conn *c, const char *sql)
{
    clear_error(c);
    PGresult *r = PQexec(c->h, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COPY_IN) {
        PQclear(r);
        return HAIL_OK;
    }
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        snprintf(c->msg, sizeof c->msg, "not a COPY … FROM STDIN statement");
    else
        keep_error(c, r);
    PQclear(r);
    return pg_fail(c, "copy");
}

hail_err pg_copy_put(pg_conn *c, const char *data, size_t n)
{
    /* PQputCopyData takes an int: large chunks go in pieces. */
    while (n) {
        int k = n > (1u << 30) ? 1 << 30 : (int)n;
        if (PQputCopyData(c->h, data, k) != 1) {
            clear_error(c);
            keep_error(c, NULL);
            return pg_fail(c, "copy");
        }
        data += k;
        n -= (size_t)k;
    }
    return HAIL_OK;
}

hail_err pg_copy_end(pg_conn *c)
{
    clear_error(c);
    int sent = PQputCopyEnd(c->h, NULL);
    int failed = sent != 1;
    if (failed)
        keep_error(c, NULL);
    PGresult *r;
    /* Every result until the end, the COPY's verdict among them. */
    while ((r = PQgetResult(c->h))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK)
            count_changes(c, r);
        else if (!failed) {
            keep_error(c, r);
            failed = 1;
        }
        PQclear(r);
        if (st == PGRES_COPY_IN) {
            /* Still copying (cannot happen after PQputCopyEnd): give up. */
            PQputCopyEnd(c->h, "abandoned");
        }
    }
    tx_note(c);
    return failed ? pg_fail(c, "copy") : HAIL_OK;
}

/* ---- the schema ---- */

/* The advisory lock nodes take to migrate one at a time. */
#define MIGRATE_LOCK "hail.schema.migrate"

/* One integer from a query without parameters: *v, or -1 when no row. */
static int query_int(pg_conn *c, const char *sql, int64_t *v)
{
    clear_error(c);
    PGresult *r = PQexec(c->h, sql);
    int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        keep_error(c, r);
    else if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0))
        *v = -1;
    else if (PQftype(r, 0) == OID_BOOL)
        *v = PQgetvalue(r, 0, 0)[0] == 't';
    else
        *v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return ok;
}

/* The database's schema version: 0 when empty; HAIL_ESCHEMA when it holds
 * tables but no hail_schema (another application's). */
static hail_err read_version(pg_conn *c, const char *name, int *version)
{
    int64_t has = 0, v = 0, tables = 0;
    if (!query_int(c, "SELECT to_regclass('hail_schema') IS NOT NULL", &has))
        return pg_fail(c, "schema version");
    if (has) {
        if (!query_int(c, "SELECT max(version) FROM hail_schema", &v))
            return pg_fail(c, "schema version");
        *version = v < 0 ? 0 : (int)v;
        return HAIL_OK;
    }
    if (!query_int(c,
                   "SELECT count(*) FROM pg_catalog.pg_class k"
                   " JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace"
                   " WHERE n.nspname = current_schema() AND k.relkind IN ('r', 'p', 'v', 'm')",
                   &tables))
        return pg_fail(c, "schema version");
    if (tables > 0)
        return hail_errf(HAIL_ESCHEMA,
                         "%s holds tables of another application (no hail_schema table); "
                         "use an empty database",
                         name);
    *version = 0;
    return HAIL_OK;
}

static hail_err newer(const char *name, int version)
{
    return hail_errf(HAIL_ESCHEMA,
                     "%s has schema version %d, newer than this hail understands (%d); "
                     "run a newer hail",
                     name, version, schema_latest());
}

/* Migrations from the version read inside the lock up to the latest, each
 * in its own transaction. */
static hail_err migrate_locked(pg_conn *c, const char *name, int *version)
{
    hail_err e = read_version(c, name, version);
    if (e)
        return e;
    if (*version > schema_latest())
        return newer(name, *version);
    for (int v = *version + 1; v <= schema_latest(); v++) {
        const char *sql = schema_pg_migration(v);
        if (!sql)
            return hail_errf(HAIL_EDB, "no PostgreSQL text for schema version %d", v);
        char mark[128];
        snprintf(mark, sizeof mark,
                 v == 1 ? "CREATE TABLE hail_schema (version INTEGER NOT NULL);"
                          "INSERT INTO hail_schema VALUES (%d)"
                        : "UPDATE hail_schema SET version = %d",
                 v);
        if ((e = pg_begin(c, LOCK_TIMEOUT_MS)))
            return e;
        if (!run(c, sql) || !run(c, mark)) {
            e = hail_errf(HAIL_EDB, "migration to schema version %d failed: %s", v, c->msg);
            pg_rollback(c);
            return e;
        }
        if ((e = pg_commit(c)))
            return hail_errf(e, "migration to schema version %d failed: %s", v, hail_errmsg());
        log_info("store: %s migrated to schema version %d", name, v);
        *version = v;
    }
    return HAIL_OK;
}

hail_err pg_open_schema(pg_conn *c, const char *name, unsigned flags, int *version)
{
    *version = 0;
    hail_err e = read_version(c, name, version);
    if (e)
        return e;
    if (*version > schema_latest())
        return newer(name, *version);
    if (*version == schema_latest())
        return HAIL_OK;
    if (!(flags & DB_MIGRATE))
        return hail_errf(HAIL_ESCHEMA, "%s has schema version %d; this hail needs %d", name,
                         *version, schema_latest());
    /* One node migrates; the others wait here (as long as it takes) and
     * then find the work done. */
    if (!run(c, "SET lock_timeout = 0") ||
        !lock_call(c, "SELECT pg_advisory_lock(CAST($1 AS BIGINT))", lock_key(MIGRATE_LOCK)))
        return pg_fail(c, "schema migration lock");
    e = migrate_locked(c, name, version);
    pg_rollback(c);
    char set[96];
    snprintf(set, sizeof set, "SET lock_timeout = %d", LOCK_TIMEOUT_MS);
    if (!lock_call(c, "SELECT pg_advisory_unlock(CAST($1 AS BIGINT))", lock_key(MIGRATE_LOCK)) ||
        !run(c, set)) {
        if (!e)
            e = pg_fail(c, "schema migration lock");
    }
    return e;
}
