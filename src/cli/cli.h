/* The `hail` command line: global options, then a command.
 *
 *   hail [--data DIR] <command> [options]
 *
 * Global options may also come after the command (cli_main takes them out
 * before the command sees its arguments), and serve's --listen/--threads
 * before it. Each command lives in its own cmd_*.c and gets a cli_ctx with
 * the global settings already resolved (flags, then HAIL_* environment, then
 * defaults) and the settings every command uses already checked. Commands
 * print results on stdout, messages on stderr, and return the exit status:
 * 0 ok, 1 failure, 2 usage or configuration error.
 */
#ifndef HAIL_CLI_CLI_H
#define HAIL_CLI_CLI_H

#include "core/err.h"

struct db;

typedef struct cli_ctx {
    const char *data_dir; /* --data / HAIL_DATA / ./var */
    const char *database; /* --database / HAIL_DATABASE_URL, or NULL */
    /* The database target: database, else data_dir/hail.db. May hold a
     * PostgreSQL password: print only db_target_redact()'s form. */
    char db_path[4096];
    const char *argv0;
    int may_create_db; /* the command may create data_dir/hail.db (serve, user add, …) */
} cli_ctx;

int cli_main(int argc, char **argv);

/* Opens (migrating) the database. A command that may create it creates the
 * data directory if needed; any other refuses (HAIL_ENOTFOUND, creating
 * nothing) a data directory without hail.db. Returns non-OK with a message
 * (print it with cli_fail) on failure. */
hail_err cli_open_db(cli_ctx *c, struct db **out);

/* Prints "hail: <message>" for e to stderr and returns the exit status 1
 * (2 for HAIL_EINVAL, which is a usage error). */
int cli_fail(hail_err e);

/* Checks the HAIL_* settings every command uses (log level, database
 * durability) and, with serve set, those of `hail serve` too (threads, access
 * log, cookies, the whole Marketo configuration). HAIL_EINVAL with a message
 * naming the variable for the first bad one. */
hail_err cli_check_env(unsigned serve);

/* An integer from 1 to 256 for --threads / HAIL_THREADS (what: the name for
 * the message). */
hail_err cli_parse_threads(const char *what, const char *v, int *out);

/* For a command that takes nothing past argv[from - 1]: 0 if there is
 * nothing more, else prints "unknown option" or "unexpected argument" and
 * usage to stderr and returns 2. */
int cli_no_more_args(int argc, char **argv, int from, const char *usage);

/* True if argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);

/* Commands. argv[0] is the command name. */
int cmd_serve(cli_ctx *c, int argc, char **argv);
int cmd_user(cli_ctx *c, int argc, char **argv);
int cmd_token(cli_ctx *c, int argc, char **argv);
int cmd_import(cli_ctx *c, int argc, char **argv);
int cmd_sync(cli_ctx *c, int argc, char **argv);
int cmd_db(cli_ctx *c, int argc, char **argv);
int cmd_mail(cli_ctx *c, int argc, char **argv);
int cmd_bestbets(cli_ctx *c, int argc, char **argv);

#endif
