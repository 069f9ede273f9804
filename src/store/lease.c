#include "core/common.h"

/* Named leases (table leases) and row leases on job tables: store/lease.h. */
#include "store/lease.h"

#include <jansson.h>
#include <signal.h>

#include "core/buf.h"
#include "core/timeutil.h"

/* ---- who holds it: this process, and whether a holder is alive ---- */

/* The start time of process pid (field 22 of /proc/PID/stat, clock ticks
 * since boot), which tells a live holder from a new process that reuses its
 * pid; -1 if unknown. */
long long lease_proc_start(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* Counted after the command name, which may hold spaces and ')'. */
    char *p = strrchr(line, ')');
    if (!p)
        return -1;
    int field = 2;
    for (char *s = p + 1; *s; s++) {
        if (*s == ' ' && ++field == 22)
            return strtoll(s + 1, NULL, 10);
    }
    return -1;
}

static void hostname_of(char *out, size_t size)
{
    if (gethostname(out, size) != 0)
        snprintf(out, size, "?");
    out[size - 1] = '\0';
}

/* {"pid":N,"host":"…","start":N} of this process; NULL on out of memory. */
static char *holder_self(void)
{
    char host[128];
    hostname_of(host, sizeof host);
    json_t *o = json_pack("{s:I,s:s,s:I}", "pid", (json_int_t)getpid(), "host", host, "start",
                          (json_int_t)lease_proc_start((long)getpid()));
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static void holder_decode(const char *text, lease_info *l)
{
    l->pid = 0;
    l->host[0] = '\0';
    l->start = -1;
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    json_t *pid = json_object_get(o, "pid"), *host = json_object_get(o, "host");
    json_t *st = json_object_get(o, "start");
    if (json_is_integer(pid))
        l->pid = json_integer_value(pid);
    if (json_is_string(host))
        snprintf(l->host, sizeof l->host, "%s", json_string_value(host));
    if (json_is_integer(st))
        l->start = json_integer_value(st);
    json_decref(o);
}

int lease_holder_dead(const lease_info *l)
{
    char host[128];
    hostname_of(host, sizeof host);
    if (strcmp(host, l->host) != 0 || l->pid <= 0)
        return 0;
    if (kill((pid_t)l->pid, 0) != 0 && errno == ESRCH)
        return 1;
    long long st = lease_proc_start((long)l->pid);
    return st >= 0 && l->start >= 0 && st != l->start;
}

/* The lease row the statement st is on: columns lease_owner, lease_until,
 * holder. */
static void info_from_row(db_st *st, lease_info *l)
{
    memset(l, 0, sizeof *l);
    const char *owner = db_col_text(st, 0);
    snprintf(l->owner, sizeof l->owner, "%s", owner ? owner : "");
    l->until = db_col_i64(st, 1);
    holder_decode(db_col_text(st, 2), l);
    l->dead = l->owner[0] && lease_holder_dead(l);
}

static hail_err check_owner(const char *owner)
{
    if (!owner || !*owner || strlen(owner) > LEASE_OWNER_MAX)
        return hail_errf(HAIL_EINVAL, "a lease owner is 1 to %d characters", LEASE_OWNER_MAX);
    return HAIL_OK;
}

/* ---- named leases ---- */

static const char sql_lease_read[] =
    "SELECT lease_owner, lease_until, holder FROM leases WHERE name = $1";

hail_err lease_take(db *d, const char *name, const char *owner, int64_t ttl_us, lease_info *other)
{
    hail_err e = check_owner(owner);
    if (e)
        return e;
    if (other)
        memset(other, 0, sizeof *other);
    char *self = holder_self();
    if (!self)
        return HAIL_ENOMEM;
    if ((e = db_begin(d))) {
        free(self);
        return e;
    }
    int64_t now = time_real_us();
    /* The row first, so that there is one to lock (and to wait on). */
    db_st *st = db_stmt(d, "INSERT INTO leases (name, updated_at) VALUES ($1, $2)"
                           " ON CONFLICT (name) DO NOTHING");
    if (!st) {
        e = HAIL_EDB;
        goto out;
    }
    db_bind_text(st, 1, name, -1);
    db_bind_i64(st, 2, now);
    if ((e = db_step_done(d, st, "leases: add")))
        goto out;
    st = db_stmt(d, DB_SQL(d, "SELECT lease_owner, lease_until, holder FROM leases WHERE name = $1",
                           "SELECT lease_owner, lease_until, holder FROM leases WHERE name = $1"
                           " FOR UPDATE"));
    if (!st) {
        e = HAIL_EDB;
        goto out;
    }
    db_bind_text(st, 1, name, -1);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        e = rc == DB_ERROR ? db_fail(d, "leases: read")
                           : hail_errf(HAIL_EDB, "leases: the row of %s is missing", name);
        db_reset(st);
        goto out;
    }
    lease_info cur;
    info_from_row(st, &cur);
    db_reset(st);
    if (cur.owner[0] && strcmp(cur.owner, owner) != 0) {
        char host[128];
        hostname_of(host, sizeof host);
        int same_host = strcmp(host, cur.host) == 0;
        int expired = cur.until <= now;
        /* On this machine a dead holder is certain; elsewhere only expiry
         * tells (a live holder here renews: its expiry means it is stuck,
         * and a second runner would not help). */
        if (other)
            *other = cur;
        if (!cur.dead && !(expired && !same_host)) {
            e = hail_errf(HAIL_EBUSY, "the lease %s is held by pid %lld on %s", name, cur.pid,
                          cur.host[0] ? cur.host : "an unknown host");
            goto out;
        }
    }
    st = db_stmt(d, "UPDATE leases SET lease_owner = $1, lease_until = $2, holder = $3,"
                    " updated_at = $4 WHERE name = $5");
    if (!st) {
        e = HAIL_EDB;
        goto out;
    }
    db_bind_text(st, 1, owner, -1);
    db_bind_i64(st, 2, now + ttl_us);
    db_bind_text(st, 3, self, -1);
    db_bind_i64(st, 4, now);
    db_bind_text(st, 5, name, -1);
    e = db_step_done(d, st, "leases: take");
out:
    free(self);
    if (!e)
        e = db_commit(d);
    if (e && db_in_tx(d))
        db_rollback(d);
    return e;
}

int lease_renew(db *d, const char *name, const char *owner, int64_t ttl_us)
{
    int64_t now = time_real_us();
    /* One statement: atomic on both engines, no transaction needed. */
    db_st *st = db_stmt(d, "UPDATE leases SET lease_until = $1, updated_at = $2"
                           " WHERE name = $3 AND lease_owner = $4");
    if (!st)
        return -1;
    db_bind_i64(st, 1, now + ttl_us);
    db_bind_i64(st, 2, now);
    db_bind_text(st, 3, name, -1);
    db_bind_text(st, 4, owner, -1);
    if (db_step_done(d, st, "leases: renew"))
        return -1;
    return db_changes(d) > 0;
}

hail_err lease_release(db *d, const char *name, const char *owner)
{
    db_st *st = db_stmt(d, "UPDATE leases SET lease_owner = NULL, lease_until = NULL,"
                           " holder = NULL, updated_at = $1 WHERE name = $2 AND lease_owner = $3");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, time_real_us());
    db_bind_text(st, 2, name, -1);
    db_bind_text(st, 3, owner, -1);
    return db_step_done(d, st, "leases: release");
}

int lease_get(db *d, const char *name, lease_info *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, sql_lease_read);
    if (!st)
        return -1;
    db_bind_text(st, 1, name, -1);
    int rc = db_step(st);
    if (rc == DB_ERROR) {
        db_fail(d, "leases: read");
        db_reset(st);
        return -1;
    }
    int held = 0;
    if (rc == DB_ROW) {
        info_from_row(st, out);
        held = out->owner[0] && out->until > time_real_us() && !out->dead;
    }
    db_reset(st);
    if (!held)
        memset(out, 0, sizeof *out);
    return held;
}

/* ---- row leases ---- */

/* The text kept in *slot, built by make on first use. Two threads building
 * at once: one text wins, the other is freed. NULL on out of memory. */
static const char *built(_Atomic(const char *) *slot, const lease_rows *spec, int pg,
                         hail_err (*make)(buf *b, const lease_rows *spec, int pg))
{
    const char *s = atomic_load(slot);
    if (s)
        return s;
    buf b = BUF_INIT(1 << 16);
    if (make(&b, spec, pg)) {
        buf_release(&b);
        hail_errf(HAIL_ENOMEM, "out of memory");
        return NULL;
    }
    char *mine = buf_detach(&b, NULL);
    const char *expected = NULL;
    if (!atomic_compare_exchange_strong(slot, &expected, mine)) {
        free(mine);
        return expected;
    }
    return mine;
}

/* $1 owner, $2 until, $3 now, $4 limit (numbered in order of first use). */
static hail_err make_claim(buf *b, const lease_rows *s, int pg)
{
    return buf_printf(b,
                      "UPDATE %s SET lease_owner = $1, lease_until = $2 WHERE id IN ("
                      "SELECT id FROM %s WHERE (lease_until IS NULL OR lease_until <= $3)"
                      "%s%s%s ORDER BY %s LIMIT $4%s) RETURNING id",
                      s->table, s->table, s->where ? " AND (" : "", s->where ? s->where : "",
                      s->where ? ")" : "", s->order ? s->order : "id",
                      pg ? " FOR UPDATE SKIP LOCKED" : "");
}

static hail_err make_extend(buf *b, const lease_rows *s, int pg)
{
    (void)pg;
    return buf_printf(b, "UPDATE %s SET lease_until = $1 WHERE id = $2 AND lease_owner = $3",
                      s->table);
}

static hail_err make_free(buf *b, const lease_rows *s, int pg)
{
    (void)pg;
    return buf_printf(b,
                      "UPDATE %s SET lease_owner = NULL, lease_until = NULL"
                      " WHERE id = $1 AND lease_owner = $2",
                      s->table);
}

hail_err lease_claim(db *d, lease_rows *spec, const char *owner, int64_t now_us, int64_t ttl_us,
                     int limit, int64_t *ids, int *n)
{
    *n = 0;
    hail_err e = check_owner(owner);
    if (e)
        return e;
    if (limit <= 0)
        return HAIL_OK;
    int pg = db_engine_of(d) == DB_POSTGRES;
    const char *spec_sql = pg ? built(&spec->sql_claim_pg, spec, 1, make_claim)
                              : built(&spec->sql_claim_sqlite, spec, 0, make_claim);
    if (!spec_sql)
        return HAIL_ENOMEM;
    if ((e = db_begin(d)))
        return e;
    db_st *st = db_stmt(d, spec_sql);
    if (!st) {
        db_rollback(d);
        return HAIL_EDB;
    }
    db_bind_text(st, 1, owner, -1);
    db_bind_i64(st, 2, now_us + ttl_us);
    db_bind_i64(st, 3, now_us);
    db_bind_i64(st, 4, limit);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n < limit)
            ids[(*n)++] = db_col_i64(st, 0);
    }
    if (rc == DB_ERROR)
        e = db_fail(d, "leases: claim");
    db_reset(st);
    if (!e)
        e = db_commit(d);
    if (e) {
        if (db_in_tx(d))
            db_rollback(d);
        *n = 0;
    }
    return e;
}

int lease_row_extend(db *d, lease_rows *spec, const char *owner, int64_t id, int64_t until_us)
{
    const char *spec_sql = built(&spec->sql_extend, spec, 0, make_extend);
    db_st *st = spec_sql ? db_stmt(d, spec_sql) : NULL;
    if (!st)
        return -1;
    db_bind_i64(st, 1, until_us);
    db_bind_i64(st, 2, id);
    db_bind_text(st, 3, owner, -1);
    if (db_step_done(d, st, "leases: extend"))
        return -1;
    return db_changes(d) > 0;
}

int lease_row_free(db *d, lease_rows *spec, const char *owner, int64_t id)
{
    const char *spec_sql = built(&spec->sql_free, spec, 0, make_free);
    db_st *st = spec_sql ? db_stmt(d, spec_sql) : NULL;
    if (!st)
        return -1;
    db_bind_i64(st, 1, id);
    db_bind_text(st, 2, owner, -1);
    if (db_step_done(d, st, "leases: free"))
        return -1;
    return db_changes(d) > 0;
}

void lease_rows_release(lease_rows *spec)
{
    _Atomic(const char *) *slots[] = {&spec->sql_claim_sqlite, &spec->sql_claim_pg,
                                      &spec->sql_extend, &spec->sql_free};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        free((void *)atomic_exchange(slots[i], NULL));
}
