#include "core/common.h"

/* hail db check | hail db copy --to URL: the database itself (the work is in
 * store/dbadmin.c; this file only parses and prints). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "store/dbadmin.h"

static const char db_usage[] =
    "Usage: hail db check\n"
    "       hail db copy --to URL\n"
    "\n"
    "check   reports the database (redacted), its engine and schema version, and\n"
    "        checks it: every table and index this hail makes is there; SQLite:\n"
    "        PRAGMA integrity_check and foreign_key_check; PostgreSQL: constraints\n"
    "        validated, identity sequences past their ids; both: the account counts\n"
    "        and the search keys agree with people. Exit 0 when all is well, 1 when a\n"
    "        check found a problem (each is a line).\n"
    "copy    copies this SQLite database (--data / --database) into the EMPTY\n"
    "        PostgreSQL database URL (postgres://user:pass@host:port/db or libpq\n"
    "        key=value): migrates it, refuses it if any table has a row, copies every\n"
    "        table with its ids, sets the id sequences past them and compares the row\n"
    "        counts, all in one transaction. Progress on stderr. Stop `hail serve`\n"
    "        first: what it writes during the copy is not copied.\n"
    "\n"
    "Options:\n"
    "  --to URL      copy: the target PostgreSQL database\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 done, 1 failed or a problem found, 2 usage error.\n";

static void print_finding(void *ctx, const char *check, const char *problem, const char *note)
{
    (void)ctx;
    printf("%s: %s\n", check, problem ? problem : note ? note : "ok");
}

static int db_check(cli_ctx *c)
{
    db *d = NULL;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    printf("database: %s\n", db_name(d));
    printf("engine: %s\n", db_engine_of(d) == DB_POSTGRES ? "postgresql" : "sqlite");
    printf("schema version: %d (this hail: %d)\n", db_schema_version(d), db_schema_latest());
    int problems = 0;
    e = dbadmin_check(d, print_finding, NULL, &problems);
    db_close(d);
    if (e)
        return cli_fail(e);
    if (problems)
        printf("check: %d problem%s\n", problems, problems == 1 ? "" : "s");
    else
        printf("check: ok\n");
    fflush(stdout);
    return problems ? 1 : 0;
}

typedef struct copy_view {
    int64_t last_line; /* monotonic µs of the last progress line */
} copy_view;

static void copy_progress(void *ctx, const char *table, int64_t done, int64_t total)
{
    copy_view *v = ctx;
    int64_t now = time_mono_us();
    /* Each table's end, and in between at most a line a second. */
    if (done < total && now - v->last_line < US_PER_SEC)
        return;
    v->last_line = now;
    fprintf(stderr, "copy: %s %lld/%lld\n", table, (long long)done, (long long)total);
    fflush(stderr);
}

static int db_copy(cli_ctx *c, const char *to)
{
    char from_name[512], to_name[512];
    db_target_redact(c->db_path, from_name, sizeof from_name);
    db_target_redact(to, to_name, sizeof to_name);
    if (db_target_engine(c->db_path) != DB_SQLITE) {
        fprintf(stderr,
                "hail: hail db copy reads a SQLite database (--data or --database), not %s\n",
                from_name);
        return 2;
    }
    if (db_target_engine(to) != DB_POSTGRES) {
        fprintf(stderr,
                "hail: --to must name a PostgreSQL database (postgres://… or key=value), "
                "not '%s'\n",
                to_name);
        return 2;
    }
    /* The source must exist (a typo in --data is not an empty database). */
    db *d = NULL;
    hail_err e = cli_open_db(c, &d);
    db_close(d);
    if (e)
        return cli_fail(e);
    fprintf(stderr, "copy: %s -> %s\n", from_name, to_name);
    copy_view v = {.last_line = time_mono_us()};
    int64_t rows = 0;
    int tables = 0;
    int64_t t0 = time_mono_us();
    e = dbadmin_copy(c->db_path, to, copy_progress, &v, &rows, &tables);
    if (e)
        return cli_fail(e == HAIL_EINVAL ? HAIL_EDB : e);
    printf("copied %lld rows in %d tables; row counts verified\n", (long long)rows, tables);
    fprintf(stderr, "copy: done in %.1f s\n", (double)(time_mono_us() - t0) / US_PER_SEC);
    return 0;
}

int cmd_db(cli_ctx *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(db_usage, stdout);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "hail: db needs a command: check or copy\n\n%s", db_usage);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "check")) {
        int rc = cli_no_more_args(argc, argv, 2, db_usage);
        return rc ? rc : db_check(c);
    }
    if (!strcmp(sub, "copy")) {
        const char *to = NULL;
        int i = 2;
        for (; i < argc; i++) {
            const char *a = argv[i];
            if (!strcmp(a, "--to") && !to) {
                to = i + 1 < argc ? argv[++i] : "";
            } else if (!strncmp(a, "--to=", 5) && !to) {
                to = a + 5;
            } else if (db_target_engine(a) == DB_POSTGRES) {
                /* A URL without --to: never echo its password. */
                char name[512];
                db_target_redact(a, name, sizeof name);
                fprintf(stderr, "hail: unexpected argument '%s' (the target goes after --to)\n\n%s",
                        name, db_usage);
                return 2;
            } else {
                break;
            }
        }
        int rc = cli_no_more_args(argc, argv, i, db_usage);
        if (rc)
            return rc;
        if (!to || !*to) {
            fprintf(stderr, "hail: db copy needs --to URL (the empty PostgreSQL database)\n\n%s",
                    db_usage);
            return 2;
        }
        return db_copy(c, to);
    }
    fprintf(stderr, "hail: unknown db command '%s'\n\n%s", sub, db_usage);
    return 2;
}
