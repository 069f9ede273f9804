#include "core/common.h"

#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/auth.h"
#include "core/log.h"
#include "store/db.h"

static const char usage[] =
    "hail — a self-hosted sales-engagement server\n"
    "\n"
    "Usage: hail [--data DIR] <command> [options]\n"
    "\n"
    "Commands:\n"
    "  serve                      run the web app, API and background workers\n"
    "  user add|list|passwd|deactivate\n"
    "                             manage users\n"
    "  token create|revoke|list   manage API tokens\n"
    "  import people FILE.csv     load people from a CSV with Marketo's columns\n"
    "  sync marketo [--full]      sync people from Marketo Engage now\n"
    "\n"
    "Global options:\n"
    "  --data DIR     data directory (env HAIL_DATA, default ./var); the database is DIR/hail.db\n"
    "  -h, --help     show help (also: hail <command> --help)\n"
    "  --version      print the version\n"
    "\n"
    "Environment: HAIL_DATA, HAIL_LISTEN, HAIL_THREADS, HAIL_LOG_LEVEL, HAIL_DB_SYNC,\n"
    "HAIL_COOKIE_SECURE, HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, HAIL_MARKETO_CLIENT_SECRET,\n"
    "HAIL_MARKETO_SMART_LIST_ID, HAIL_MARKETO_SINCE, HAIL_MARKETO_POLL_SECONDS,\n"
    "HAIL_MARKETO_SYNC_INTERVAL, HAIL_TRUSTED_PROXIES. See README.md.\n";

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

int cli_fail(hail_err e)
{
    const char *m = hail_errmsg();
    fprintf(stderr, "hail: %s\n", *m ? m : hail_strerror(e));
    return e == HAIL_EINVAL ? 2 : 1;
}

static hail_err mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return hail_errf(HAIL_EINVAL, "bad data directory '%s'", path);
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return hail_errf(HAIL_EIO, "cannot create %s: %s", tmp, strerror(errno));
            tmp[i] = c;
        }
    }
    return HAIL_OK;
}

hail_err cli_open_db(cli_ctx *c, db **out)
{
    hail_err e = mkdirs(c->data_dir);
    if (e)
        return e;
    return db_open(c->db_path, DB_MIGRATE, out);
}

int cli_main(int argc, char **argv)
{
    log_init_from_env();
    cli_ctx c = {.argv0 = argv[0]};
    c.data_dir = getenv("HAIL_DATA");
    if (!c.data_dir || !*c.data_dir)
        c.data_dir = "var";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("hail %s\n", HAIL_VERSION);
            return 0;
        }
        if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            c.data_dir = argv[++i];
        } else if (!strncmp(argv[i], "--data=", 7)) {
            c.data_dir = argv[i] + 7;
        } else {
            fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], usage);
            return 2;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    if ((size_t)snprintf(c.db_path, sizeof c.db_path, "%s/hail.db", c.data_dir) >=
        sizeof c.db_path) {
        fprintf(stderr, "hail: data directory path is too long\n");
        return 2;
    }
    if (auth_init()) {
        fprintf(stderr, "hail: %s\n", hail_errmsg());
        return 1;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (!strcmp(cmd, "serve"))
        return cmd_serve(&c, sub_argc, sub_argv);
    if (!strcmp(cmd, "user"))
        return cmd_user(&c, sub_argc, sub_argv);
    if (!strcmp(cmd, "token"))
        return cmd_token(&c, sub_argc, sub_argv);
    if (!strcmp(cmd, "import"))
        return cmd_import(&c, sub_argc, sub_argv);
    if (!strcmp(cmd, "sync"))
        return cmd_sync(&c, sub_argc, sub_argv);
    if (!strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    fprintf(stderr, "hail: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
