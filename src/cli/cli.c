#include "core/common.h"

#include "core/cadence.h"
#include "core/timeutil.h"

#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "auth/auth.h"
#include "core/log.h"
#include "store/db.h"
#include "svc/settings.h"
#include "sync/sf_client.h"
#include "sync/sync.h"

/* ---- configuration: every HAIL_* variable hail reads ---- */

static hail_err check_log_level(const char *v)
{
    enum log_level l;
    return log_level_parse(v, &l);
}

static hail_err check_db_sync(const char *v)
{
    if (strcasecmp(v, "full") && strcasecmp(v, "normal"))
        return hail_errf(HAIL_EINVAL, "HAIL_DB_SYNC must be full or normal, not '%.40s'", v);
    return HAIL_OK;
}

static hail_err check_access_log(const char *v)
{
    if (strcasecmp(v, "on") && strcasecmp(v, "off"))
        return hail_errf(HAIL_EINVAL, "HAIL_ACCESS_LOG must be on or off, not '%.40s'", v);
    return HAIL_OK;
}

static hail_err check_cookie_secure(const char *v)
{
    if (strcmp(v, "1") && strcmp(v, "0"))
        return hail_errf(HAIL_EINVAL, "HAIL_COOKIE_SECURE must be 1 (on) or 0 (off), not '%.40s'",
                         v);
    return HAIL_OK;
}

/* The sales-email settings: svc/settings.c's rules. */
static hail_err check_public_url(const char *v)
{
    return settings_check("HAIL_PUBLIC_URL", v);
}

static hail_err check_send_workers(const char *v)
{
    return settings_check("HAIL_SEND_WORKERS", v);
}

static hail_err check_imap_poll(const char *v)
{
    return settings_check("HAIL_IMAP_POLL_SECONDS", v);
}

static hail_err check_reconcile(const char *v)
{
    return settings_check("HAIL_MARKETO_RECONCILE_SECONDS", v);
}

static hail_err check_sf_reconcile(const char *v)
{
    return settings_check("HAIL_SALESFORCE_RECONCILE_SECONDS", v);
}

static hail_err check_retry_wait(const char *v)
{
    return settings_check("HAIL_RETRY_WAIT_PERCENT", v);
}

static hail_err check_ca_file(const char *v)
{
    return settings_check("HAIL_CA_FILE", v);
}

/* Parsing the list also installs it; hail serve is the one user. */
static hail_err check_trusted_proxies(const char *v)
{
    return auth_proxies_set(v);
}

enum { FOR_ALL = 1, FOR_SERVE = 2, FOR_MARKETO = 4, FOR_SALESFORCE = 8 };

/* One row per variable: `hail --help` prints this table and the start-up
 * checks run its `check`s, so a new variable is one new row here (and a line
 * in docs/cli.md; tests/integration/test_config.py checks both). An empty
 * value counts as unset. */
static const struct env_var {
    const char *name;
    unsigned used_by; /* FOR_*: whose start-up checks it */
    const char *what;
    const char *def;
    /* NULL: checked where it is read: serve parses HAIL_THREADS first thing and
     * HAIL_LISTEN when it binds (before it listens); cli_check_env checks the
     * Marketo settings together. */
    hail_err (*check)(const char *value);
} env_vars[] = {
    {"HAIL_DATA", FOR_ALL, "data directory (as --data)", "./var", NULL},
    {"HAIL_DATABASE_URL", FOR_ALL,
     "database (as --database): postgres://user:pass@host:port/db, libpq key=value, or a "
     "SQLite path",
     "DIR/hail.db", NULL},
    {"HAIL_LOG_LEVEL", FOR_ALL, "debug, info, warn, error or off", "info", check_log_level},
    {"HAIL_DB_SYNC", FOR_ALL, "SQLite synchronous: full, or normal (not power-safe)", "full",
     check_db_sync},
    {"HAIL_LISTEN", FOR_SERVE, "serve: ADDR:PORT to listen on (as --listen)", "127.0.0.1:8080",
     NULL},
    {"HAIL_THREADS", FOR_SERVE, "serve: HTTP threads, 1 to 256 (as --threads)",
     "2 per core, max 16", NULL},
    {"HAIL_ACCESS_LOG", FOR_SERVE, "serve: on or off, a line per request on stderr", "on",
     check_access_log},
    {"HAIL_COOKIE_SECURE", FOR_SERVE, "serve: 1 marks the session cookie Secure (TLS)", "0",
     check_cookie_secure},
    {"HAIL_TRUSTED_PROXIES", FOR_SERVE,
     "serve: reverse proxies (addresses/CIDRs, comma-separated) whose X-Forwarded-For names the "
     "client",
     "none", check_trusted_proxies},
    {"HAIL_WEB_ROOT", FOR_SERVE,
     "serve: the web app's files (a directory with index.html); unset: the build tree's web/, "
     "else <bindir>/../share/hail/web",
     "the built app", NULL},
    {"HAIL_SALESFORCE_URL", FOR_SERVE,
     "serve: Salesforce URL the web app links to, https://acme.my.salesforce.com",
     "unset (no links)", api_salesforce_url_check},
    {"HAIL_PUBLIC_URL", FOR_SERVE,
     "serve: the address recipients reach hail at (tracking and unsubscribe links), "
     "https://mail.example.com",
     "http://LISTEN", check_public_url},
    {"HAIL_SEND_WORKERS", FOR_SERVE, "serve: sender threads, 1 to 64", "2", check_send_workers},
    {"HAIL_IMAP_POLL_SECONDS", FOR_SERVE, "serve: seconds between polls of a channel's inbox", "60",
     check_imap_poll},
    {"HAIL_INBOUND_TOKEN", FOR_SERVE,
     "serve: a secret an MTA presents (Bearer) to POST /api/v1/inbound", "unset (admins only)",
     NULL},
    {"HAIL_CA_FILE", FOR_ALL,
     "CA certificates (PEM) outbound TLS trusts besides the system's: SMTP, IMAP, Marketo",
     "unset (system CAs)", check_ca_file},
    {"HAIL_CLOCK_FILE", FOR_ALL,
     "tests only: a file holding an RFC 3339 UTC time that hail takes as now (re-read within a "
     "second)",
     "unset (the real clock)", NULL},
    {"HAIL_RETRY_WAIT_PERCENT", FOR_ALL,
     "tests only: the waits between retries of a call to Marketo or Salesforce or of a webhook "
     "delivery, in percent of the normal backoff, 1 to 100",
     "100", check_retry_wait},
    {"HAIL_MARKETO_URL", FOR_MARKETO, "Marketo URL, https://123-ABC-456.mktorest.com",
     "unset (no sync)", NULL},
    {"HAIL_MARKETO_CLIENT_ID", FOR_MARKETO, "Marketo API client id", "unset", NULL},
    {"HAIL_MARKETO_CLIENT_SECRET", FOR_MARKETO, "Marketo API client secret", "unset", NULL},
    {"HAIL_MARKETO_SMART_LIST_ID", FOR_MARKETO, "smart list a full sync exports", "unset", NULL},
    {"HAIL_MARKETO_TIME_ZONE_FIELD", FOR_MARKETO, "lead field holding the person's time zone",
     "unset", NULL},
    {"HAIL_MARKETO_SINCE", FOR_MARKETO, "earliest createdAt a full sync reads", "2010-01-01", NULL},
    {"HAIL_MARKETO_POLL_SECONDS", FOR_MARKETO, "export status poll interval, seconds", "60", NULL},
    {"HAIL_MARKETO_SYNC_INTERVAL", FOR_MARKETO, "serve: seconds between incremental syncs", "300",
     NULL},
    {"HAIL_MARKETO_CALLS_PER_20S", FOR_MARKETO,
     "hail's share of Marketo's 100 calls per 20 s (lower it when other integrations share the "
     "API user)",
     "100", NULL},
    {"HAIL_MARKETO_RECONCILE_SECONDS", FOR_MARKETO,
     "seconds after a batch cut off by a crash began before the outbox reads it back from Marketo",
     "60", check_reconcile},
    {"HAIL_SALESFORCE_LOGIN_URL", FOR_SALESFORCE,
     "Salesforce login host for OAuth, https://login.salesforce.com (or My Domain)",
     "unset (no Salesforce outbox)", sf_login_url_check},
    {"HAIL_SALESFORCE_CLIENT_ID", FOR_SALESFORCE, "Salesforce connected app's consumer key",
     "unset", NULL},
    {"HAIL_SALESFORCE_CLIENT_SECRET", FOR_SALESFORCE, "Salesforce connected app's consumer secret",
     "unset", NULL},
    {"HAIL_SALESFORCE_REFRESH_TOKEN", FOR_SALESFORCE,
     "a refresh token to log in with instead of client credentials", "unset", NULL},
    {"HAIL_SALESFORCE_RECONCILE_SECONDS", FOR_SALESFORCE,
     "seconds after a batch cut off by a crash began before the outbox looks for its Tasks "
     "(without Hail_Activity_Id__c)",
     "60", check_sf_reconcile},
};

#define N_ENV_VARS (sizeof env_vars / sizeof env_vars[0])

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

hail_err cli_parse_threads(const char *what, const char *v, int *out)
{
    char *end;
    errno = 0;
    long t = strtol(v, &end, 10);
    if (errno || end == v || *end || t < 1 || t > 256)
        return hail_errf(HAIL_EINVAL, "%s must be an integer from 1 to 256, not '%.40s'", what, v);
    *out = (int)t;
    return HAIL_OK;
}

/* Marketo is configured completely (then every setting must be valid) or not
 * at all: a stray HAIL_MARKETO_* variable is a mistake, not a default. */
static hail_err check_marketo(void)
{
    if (marketo_configured()) {
        marketo_config cfg;
        hail_err e = marketo_config_load(&cfg);
        if (!e)
            marketo_config_release(&cfg);
        return e;
    }
    for (size_t i = 0; i < N_ENV_VARS; i++)
        if ((env_vars[i].used_by & FOR_MARKETO) && env_value(env_vars[i].name))
            return hail_errf(HAIL_EINVAL,
                             "%s is set but Marketo is not configured: set HAIL_MARKETO_URL, "
                             "HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET, or unset %s",
                             env_vars[i].name, env_vars[i].name);
    return HAIL_OK;
}

/* Salesforce likewise: all three variables, or none of them. */
static hail_err check_salesforce(void)
{
    if (salesforce_configured())
        return HAIL_OK;
    for (size_t i = 0; i < N_ENV_VARS; i++)
        if ((env_vars[i].used_by & FOR_SALESFORCE) && env_value(env_vars[i].name))
            return hail_errf(HAIL_EINVAL,
                             "%s is set but Salesforce is not configured: set "
                             "HAIL_SALESFORCE_LOGIN_URL, HAIL_SALESFORCE_CLIENT_ID and "
                             "HAIL_SALESFORCE_CLIENT_SECRET, or unset %s",
                             env_vars[i].name, env_vars[i].name);
    return HAIL_OK;
}

hail_err cli_check_env(unsigned serve)
{
    unsigned scope = FOR_ALL | (serve ? FOR_SERVE | FOR_SALESFORCE : 0);
    for (size_t i = 0; i < N_ENV_VARS; i++) {
        const struct env_var *v = &env_vars[i];
        const char *val = env_value(v->name);
        hail_err e;
        if (val && v->check && (v->used_by & scope) && (e = v->check(val)))
            return e;
    }
    if (!serve)
        return HAIL_OK;
    hail_err e = check_marketo();
    return e ? e : check_salesforce();
}

/* ---- usage ---- */

static const char usage_head[] =
    "hail — a self-hosted sales-engagement server\n"
    "\n"
    "Usage: hail [--data DIR] [--database TARGET] <command> [options]\n"
    "\n"
    "Commands:\n"
    "  serve                      run the web app, API and background workers\n"
    "  user add|list|passwd|deactivate\n"
    "                             manage users\n"
    "  token create|revoke|list   manage API tokens\n"
    "  import people FILE.csv     load people from a CSV with Marketo's columns\n"
    "  sync marketo [--full]      sync people from Marketo Engage now\n"
    "  sync marketo-types         register hail's custom activity types in Marketo\n"
    "  sync marketo-out           send the activity log's backlog to Marketo now\n"
    "  sync salesforce-check      log in to Salesforce; is Hail_Activity_Id__c there?\n"
    "  db check | copy --to URL   check the database; copy it into an empty PostgreSQL\n"
    "  mail classify FILE...      classify raw messages: reply, autoreply, bounce, ...\n"
    "  bestbets rebuild           recompute Best Bets from the activity log\n"
    "\n"
    "Global options (before or after the command):\n"
    "  --data DIR     data directory (env HAIL_DATA, default ./var); the database is DIR/hail.db\n"
    "  --database TARGET\n"
    "                 the database instead (env HAIL_DATABASE_URL): a PostgreSQL URL\n"
    "                 postgres://user:pass@host:port/db or libpq key=value string, or a\n"
    "                 SQLite file path; several `hail serve` nodes may share one PostgreSQL\n"
    "  -h, --help     show help (also: hail <command> --help)\n"
    "  --version      print the version\n"
    "\n"
    "Commands that only read or change what is there (user list, token ...) refuse a data\n"
    "directory without hail.db; serve, user add, import and sync create it.\n"
    "\n"
    "Environment (flags win over variables; an empty variable counts as unset):\n";

static void print_usage(FILE *f)
{
    fputs(usage_head, f);
    for (size_t i = 0; i < N_ENV_VARS; i++)
        fprintf(f, "  %-26s %s; default %s\n", env_vars[i].name, env_vars[i].what, env_vars[i].def);
    fputs("\nA bad value stops hail before it starts, with a message naming the variable.\n", f);
}

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

int cli_no_more_args(int argc, char **argv, int from, const char *usage)
{
    if (from >= argc)
        return 0;
    if (argv[from][0] == '-' && argv[from][1])
        fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[from], usage);
    else
        fprintf(stderr, "hail: unexpected argument '%s'\n\n%s", argv[from], usage);
    return 2;
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
    if (c->database) /* --database / HAIL_DATABASE_URL: what it names, as it is */
        return db_open(c->db_path, DB_MIGRATE, out);
    if (!c->may_create_db) {
        struct stat st;
        if (stat(c->db_path, &st) != 0 && errno == ENOENT)
            return hail_errf(HAIL_ENOTFOUND,
                             "no hail database in %s (no hail.db there): check --data or "
                             "HAIL_DATA; serve, user add, import and sync create one",
                             c->data_dir);
        return db_open(c->db_path, DB_MIGRATE, out);
    }
    hail_err e = mkdirs(c->data_dir);
    if (e)
        return e;
    return db_open(c->db_path, DB_MIGRATE, out);
}

/* ---- global options ---- */

/* Options of `serve` that may also come before the command. */
static int is_serve_option(const char *a)
{
    return !strcmp(a, "--listen") || !strcmp(a, "--threads");
}

static int is_serve_option_eq(const char *a)
{
    return !strncmp(a, "--listen=", 9) || !strncmp(a, "--threads=", 10);
}

/* The commands that may put the first data into a data directory create its
 * database; every other command (user list, token …, and any added later)
 * needs one that exists, so a typo in --data is an error, not a new database. */
static int creates_db(const char *cmd, const char *sub)
{
    if (!strcmp(cmd, "serve") || !strcmp(cmd, "import") || !strcmp(cmd, "sync"))
        return 1;
    return !strcmp(cmd, "user") && sub && !strcmp(sub, "add");
}

static int dispatch(cli_ctx *c, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (!strcmp(cmd, "serve"))
        return cmd_serve(c, argc, argv);
    if (!strcmp(cmd, "user"))
        return cmd_user(c, argc, argv);
    if (!strcmp(cmd, "token"))
        return cmd_token(c, argc, argv);
    if (!strcmp(cmd, "import"))
        return cmd_import(c, argc, argv);
    if (!strcmp(cmd, "sync"))
        return cmd_sync(c, argc, argv);
    if (!strcmp(cmd, "db"))
        return cmd_db(c, argc, argv);
    if (!strcmp(cmd, "mail"))
        return cmd_mail(c, argc, argv);
    if (!strcmp(cmd, "bestbets"))
        return cmd_bestbets(c, argc, argv);
    if (!strcmp(cmd, "help")) {
        print_usage(stdout);
        return 0;
    }
    fprintf(stderr, "hail: unknown command '%s'\n\n", cmd);
    print_usage(stderr);
    return 2;
}

int cli_main(int argc, char **argv)
{
    cli_ctx c = {.argv0 = argv[0]};
    c.data_dir = env_value("HAIL_DATA");
    if (!c.data_dir)
        c.data_dir = "var";
    c.database = env_value("HAIL_DATABASE_URL");

    /* The command's arguments: the command, serve's options given before it,
     * then what follows it, with --data taken out wherever it is. */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) {
        fprintf(stderr, "hail: out of memory\n");
        return 1;
    }
    int nargs = 1, npre = 0, rc = 2;
    const char *cmd = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--data") || !strncmp(a, "--data=", 7)) {
            const char *v = a[6] == '=' ? a + 7 : i + 1 < argc ? argv[++i] : NULL;
            if (!v || !*v) {
                fprintf(stderr, "hail: --data needs a directory\n");
                goto out;
            }
            c.data_dir = v;
            continue;
        }
        if (!strcmp(a, "--database") || !strncmp(a, "--database=", 11)) {
            const char *v = a[10] == '=' ? a + 11 : i + 1 < argc ? argv[++i] : NULL;
            if (!v || !*v) {
                fprintf(stderr, "hail: --database needs a PostgreSQL URL or a SQLite path\n");
                goto out;
            }
            c.database = v;
            continue;
        }
        if (cmd) {
            args[nargs++] = argv[i];
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            print_usage(stdout);
            rc = 0;
            goto out;
        }
        if (!strcmp(a, "--version")) {
            printf("hail %s\n", HAIL_VERSION);
            rc = 0;
            goto out;
        }
        if (is_serve_option(a) || is_serve_option_eq(a)) {
            args[nargs++] = argv[i];
            npre++;
            if (is_serve_option(a) && i + 1 < argc)
                args[nargs++] = argv[++i];
            continue;
        }
        if (a[0] == '-') {
            fprintf(stderr, "hail: unknown option '%s'\n\n", a);
            print_usage(stderr);
            goto out;
        }
        cmd = a;
    }
    if (!cmd) {
        print_usage(stderr);
        goto out;
    }
    if (npre && strcmp(cmd, "serve") != 0) {
        fprintf(stderr, "hail: %s is an option of 'hail serve', not of 'hail %s'\n", args[1], cmd);
        goto out;
    }
    args[0] = (char *)cmd;
    c.may_create_db = creates_db(cmd, nargs > 1 ? args[1] : NULL);
    if (cli_wants_help(nargs, args) || !strcmp(cmd, "help")) {
        rc = dispatch(&c, nargs, args);
        goto out;
    }

    /* Settings every command uses are checked before anything is touched. */
    hail_err e = cli_check_env(0);
    hail_settings set;
    if (!e && !(e = settings_load(&set)) && !(e = log_init(set.log_level)) &&
        !(e = db_set_sync(set.db_sync))) {
        time_set_clock_file(set.clock_file);
        tz_set_dir(set.tz_dir);
        set.data_dir = c.data_dir;
        set.database = c.database;
        settings_set(&set);
    }
    if (e) {
        rc = cli_fail(e);
        goto out;
    }
    if (c.database
            ? (size_t)snprintf(c.db_path, sizeof c.db_path, "%s", c.database) >= sizeof c.db_path
            : (size_t)snprintf(c.db_path, sizeof c.db_path, "%s/hail.db", c.data_dir) >=
                  sizeof c.db_path) {
        fprintf(stderr, "hail: %s is too long\n",
                c.database ? "the database target" : "data directory path");
        goto out;
    }
    if (auth_init()) {
        fprintf(stderr, "hail: %s\n", hail_errmsg());
        rc = 1;
        goto out;
    }
    rc = dispatch(&c, nargs, args);
out:
    free(args);
    return rc;
}
