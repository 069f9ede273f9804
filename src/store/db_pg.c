#include "core/common.h"

/* Placeholder until the PostgreSQL engine lands (helper A's branch replaces
 * this file wholesale): every PostgreSQL target is refused with a message. */

#include "store/db_pg.h"

hail_err pg_connect(const char *target, pg_conn **out)
{
    char name[512];
    db_target_redact(target, name, sizeof name);
    *out = NULL;
    return hail_errf(HAIL_EIO, "cannot connect to the database %s: PostgreSQL support is not built",
                     name);
}

void pg_disconnect(pg_conn *c)
{
    (void)c;
}

hail_err pg_open_schema(pg_conn *c, const char *name, unsigned flags, int *version)
{
    (void)c, (void)flags, (void)version;
    return hail_errf(HAIL_EIO, "%s: PostgreSQL support is not built", name);
}

pg_st *pg_prepare(pg_conn *c, const char *sql)
{
    (void)c, (void)sql;
    hail_errf(HAIL_EDB, "PostgreSQL support is not built");
    return NULL;
}

void pg_st_free(pg_st *s)
{
    (void)s;
}
void pg_bind_i64(pg_st *s, int i, int64_t v)
{
    (void)s, (void)i, (void)v;
}
void pg_bind_double(pg_st *s, int i, double v)
{
    (void)s, (void)i, (void)v;
}
void pg_bind_text(pg_st *s, int i, const char *v, int len, int copy)
{
    (void)s, (void)i, (void)v, (void)len, (void)copy;
}
void pg_bind_blob(pg_st *s, int i, const void *p, size_t n)
{
    (void)s, (void)i, (void)p, (void)n;
}
void pg_bind_null(pg_st *s, int i)
{
    (void)s, (void)i;
}
void pg_clear_bindings(pg_st *s)
{
    (void)s;
}
int pg_step(pg_st *s)
{
    (void)s;
    return DB_ERROR;
}
void pg_reset(pg_st *s)
{
    (void)s;
}
int64_t pg_col_i64(pg_st *s, int i)
{
    (void)s, (void)i;
    return 0;
}
double pg_col_double(pg_st *s, int i)
{
    (void)s, (void)i;
    return 0;
}
const char *pg_col_text(pg_st *s, int i)
{
    (void)s, (void)i;
    return NULL;
}
const void *pg_col_blob(pg_st *s, int i)
{
    (void)s, (void)i;
    return NULL;
}
size_t pg_col_bytes(pg_st *s, int i)
{
    (void)s, (void)i;
    return 0;
}
int pg_col_null(pg_st *s, int i)
{
    (void)s, (void)i;
    return 1;
}
int pg_col_count(pg_st *s)
{
    (void)s;
    return 0;
}
int64_t pg_changes(pg_conn *c)
{
    (void)c;
    return 0;
}
hail_err pg_exec(pg_conn *c, const char *sql)
{
    (void)c, (void)sql;
    return HAIL_EDB;
}
int pg_in_tx(pg_conn *c)
{
    (void)c;
    return 0;
}
hail_err pg_begin(pg_conn *c, int lock_wait_ms)
{
    (void)c, (void)lock_wait_ms;
    return HAIL_EDB;
}
hail_err pg_commit(pg_conn *c)
{
    (void)c;
    return HAIL_EDB;
}
void pg_rollback(pg_conn *c)
{
    (void)c;
}
hail_err pg_lock(pg_conn *c, const char *name)
{
    (void)c, (void)name;
    return HAIL_EDB;
}
hail_err pg_fail(pg_conn *c, const char *what)
{
    (void)c;
    return hail_errf(HAIL_EDB, "%s: PostgreSQL support is not built", what);
}
db_errkind pg_errkind(pg_conn *c)
{
    (void)c;
    return DB_ERR_OTHER;
}
int pg_broken(pg_conn *c)
{
    (void)c;
    return 0;
}
hail_err pg_copy_begin(pg_conn *c, const char *sql)
{
    (void)c, (void)sql;
    return HAIL_EDB;
}
hail_err pg_copy_put(pg_conn *c, const char *data, size_t n)
{
    (void)c, (void)data, (void)n;
    return HAIL_EDB;
}
hail_err pg_copy_end(pg_conn *c)
{
    (void)c;
    return HAIL_EDB;
}
