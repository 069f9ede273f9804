/* The `hail` command line: global options, then a command.
 *
 *   hail [--data DIR] <command> [options]
 *
 * Each command lives in its own cmd_*.c and gets a cli_ctx with the global
 * settings already resolved (flags, then HAIL_* environment, then defaults).
 * Commands print results on stdout, messages on stderr, and return the exit
 * status: 0 ok, 1 failure, 2 usage error.
 */
#ifndef HAIL_CLI_CLI_H
#define HAIL_CLI_CLI_H

#include "core/err.h"

struct db;

typedef struct cli_ctx {
    const char *data_dir; /* --data / HAIL_DATA / ./var */
    char db_path[4096];   /* data_dir/hail.db */
    const char *argv0;
} cli_ctx;

int cli_main(int argc, char **argv);

/* Creates the data directory if needed and opens (migrating) the database.
 * Prints a clear message and returns non-OK on failure. */
hail_err cli_open_db(cli_ctx *c, struct db **out);

/* Prints "hail: <message>" for e to stderr and returns the exit status 1
 * (2 for HAIL_EINVAL, which is a usage error). */
int cli_fail(hail_err e);

/* True if argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);

/* Commands. argv[0] is the command name. */
int cmd_serve(cli_ctx *c, int argc, char **argv);
int cmd_user(cli_ctx *c, int argc, char **argv);
int cmd_token(cli_ctx *c, int argc, char **argv);
int cmd_import(cli_ctx *c, int argc, char **argv);
int cmd_sync(cli_ctx *c, int argc, char **argv);

#endif
