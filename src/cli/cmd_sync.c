#include "core/common.h"

/* hail sync marketo [--full]: one Marketo people sync, in the foreground.
 * hail sync marketo-types: registers hail's custom activity types.
 * hail sync marketo-out: sends the activity log's backlog to Marketo. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "sync/mkto_outbox.h"
#include "sync/mkto_types.h"
#include "sync/sf_client.h"
#include "sync/sync.h"

static const char sync_usage[] =
    "Usage: hail sync marketo [--full]\n"
    "\n"
    "Syncs people from Marketo Engage into hail now, in the foreground.\n"
    "\n"
    "The first sync (or --full) reads everything with bulk lead exports; later syncs\n"
    "read what changed since the last successful one (lead changes, new and deleted\n"
    "leads). Only leads with a sales owner (leadOwnerEmailAddress) are active people.\n"
    "An interrupted sync (Ctrl-C, a crash, the daily API quota) resumes where it\n"
    "stopped the next time. One sync runs at a time, also across processes: a sync\n"
    "can run here while `hail serve` is serving the same data directory.\n"
    "\n"
    "Options:\n"
    "  --full        read everything with bulk exports, even after an earlier sync\n"
    "  -h, --help    show this help\n"
    "\n"
    "Environment:\n"
    "  HAIL_MARKETO_URL            instance base, e.g. https://123-ABC-456.mktorest.com\n"
    "  HAIL_MARKETO_CLIENT_ID      API client id (Admin > LaunchPoint)\n"
    "  HAIL_MARKETO_CLIENT_SECRET  API client secret\n"
    "  HAIL_MARKETO_SMART_LIST_ID  export this smart list instead of createdAt windows\n"
    "  HAIL_MARKETO_TIME_ZONE_FIELD  the lead field (REST name) holding the person's IANA\n"
    "                              time zone; unset: none is read\n"
    "  HAIL_MARKETO_SINCE          earliest createdAt a full sync reads (default 2010-01-01)\n"
    "  HAIL_MARKETO_POLL_SECONDS   export status poll interval (default 60; fractions allowed)\n"
    "  HAIL_MARKETO_SYNC_INTERVAL  seconds between the server's incremental syncs (default 300)\n"
    "\n"
    "Exit status: 0 done, 1 failed (the message says why), 2 usage or configuration error.\n";

static const char sync_top_usage[] =
    "Usage: hail sync <source> [options]\n"
    "\n"
    "Sources:\n"
    "  marketo [--full]   people from Marketo Engage (see: hail sync marketo --help)\n"
    "  marketo-types      register hail's custom activity types in Marketo\n"
    "                     (see: hail sync marketo-types --help)\n"
    "  marketo-out        send the activity log's backlog to Marketo now\n"
    "                     (see: hail sync marketo-out --help)\n"
    "  salesforce-check   log in to Salesforce and check the Task field Hail_Activity_Id__c\n"
    "                     (see: hail sync salesforce-check --help)\n";

static const char out_usage[] =
    "Usage: hail sync marketo-out\n"
    "\n"
    "Sends every sales activity that has not gone to Marketo yet (and the skipped\n"
    "records an admin re-queued) as Marketo custom activities, 300 per call, in log\n"
    "order, then exits. `hail serve` does the same all the time when Marketo is\n"
    "configured; this is for a first backlog, scripts and checks. It registers the\n"
    "custom activity types first (as marketo-types). A batch cut off by a crash is\n"
    "read back from Marketo (HAIL_MARKETO_RECONCILE_SECONDS after it began) and only\n"
    "what Marketo lacks is sent again. One sender at a time, also across processes:\n"
    "while `hail serve` sends, this exits with status 1 and says so.\n"
    "\n"
    "Environment: HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, HAIL_MARKETO_CLIENT_SECRET\n"
    "(see: hail sync marketo --help), HAIL_MARKETO_RECONCILE_SECONDS (default 60).\n"
    "\n"
    "Exit status: 0 done, 1 failed (the message says why), 2 usage or configuration error.\n";

static const char sf_check_usage[] =
    "Usage: hail sync salesforce-check\n"
    "\n"
    "Logs in to Salesforce (OAuth 2.0 client credentials, or the refresh token when\n"
    "HAIL_SALESFORCE_REFRESH_TOKEN is set) and describes Task, then prints the instance,\n"
    "the API usage and whether the external-id field Hail_Activity_Id__c exists. With\n"
    "it, the outbox upserts Tasks by hail's activity id (a retry never makes a second\n"
    "Task); without it, it creates them and reconciles after a crash by subject\n"
    "(docs/outbox.md). Setup: Setup > Object Manager > Activity > Fields & Relationships >\n"
    "New: Text(255), Field Name Hail_Activity_Id, tick Unique and External ID; make it\n"
    "editable for the integration user.\n"
    "\n"
    "Environment: HAIL_SALESFORCE_LOGIN_URL, HAIL_SALESFORCE_CLIENT_ID,\n"
    "HAIL_SALESFORCE_CLIENT_SECRET, HAIL_SALESFORCE_REFRESH_TOKEN (optional).\n"
    "\n"
    "Exit status: 0 the field exists, 3 logged in but the field is missing, 1 failed\n"
    "(the message says why), 2 usage or configuration error.\n";

/* A subcommand that takes no options but -h/--help: the exit status when
 * argv has something else (usage: 2) or asks for help (0), else -1. */
static int no_options(int argc, char **argv, const char *usage)
{
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], usage);
        return 2;
    }
    return -1;
}

static int sync_sf_check(int argc, char **argv)
{
    int rc = no_options(argc, argv, sf_check_usage);
    if (rc >= 0)
        return rc;
    sf_config cfg;
    hail_err e = sf_config_load(&cfg);
    if (e)
        return cli_fail(e);
    sf_client *s = NULL;
    int present = 0, external = 0;
    if (!(e = sf_client_new(&cfg, NULL, &s)) && !(e = sf_login(s)))
        e = sf_describe_field(s, "Task", "Hail_Activity_Id__c", &present, &external);
    if (e) {
        fprintf(stderr, "hail: %s\n", *hail_errmsg() ? hail_errmsg() : hail_strerror(e));
        sf_client_free(s);
        sf_config_release(&cfg);
        return 1;
    }
    printf("Salesforce: logged in as user %s (API usage %s)\n",
           *sf_client_user(s) ? sf_client_user(s) : "?",
           *sf_client_usage(s) ? sf_client_usage(s) + strcspn(sf_client_usage(s), "=") + 1 : "?");
    if (present && external)
        printf("Task.Hail_Activity_Id__c: present (External ID): Tasks are upserted by hail's "
               "activity id\n");
    else if (present)
        printf("Task.Hail_Activity_Id__c: present but not marked External ID: tick External ID "
               "on the field; until then Tasks are created and reconciled by subject\n");
    else
        printf("Task.Hail_Activity_Id__c: missing: Tasks are created and reconciled by subject "
               "after a crash (see --help for the setup)\n");
    sf_client_free(s);
    sf_config_release(&cfg);
    return present && external ? 0 : 3;
}

static const char types_usage[] =
    "Usage: hail sync marketo-types\n"
    "\n"
    "Registers hail's custom activity types in Marketo Engage (Send / Open / Click /\n"
    "Reply to Sales Email, Sales Email Bounced, Receive Sales Call, Add to / Remove from\n"
    "Sales Campaign), so that smart campaigns can filter and trigger on them: creates a\n"
    "missing type, adds missing attributes and approves a draft. Safe to run again: a\n"
    "type with the same API name is reused. Prints each type's id and what was done.\n"
    "\n"
    "Environment: HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, HAIL_MARKETO_CLIENT_SECRET\n"
    "(see: hail sync marketo --help).\n"
    "\n"
    "Exit status: 0 done, 1 failed (the message says why), 2 usage or configuration error.\n";

static int sync_types(int argc, char **argv)
{
    int rc = no_options(argc, argv, types_usage);
    if (rc >= 0)
        return rc;
    marketo_config cfg;
    hail_err e = marketo_config_load(&cfg);
    if (e)
        return cli_fail(e);
    mkto_client *m = NULL;
    mkto_type_state *st = NULL;
    if (!(e = mkto_client_new(&cfg, NULL, &m)))
        e = mkto_types_ensure(m, &st);
    mkto_client_free(m);
    marketo_config_release(&cfg);
    if (e) {
        fprintf(stderr, "hail: %s\n", *hail_errmsg() ? hail_errmsg() : hail_strerror(e));
        return 1;
    }
    for (size_t i = 0; i < mkto_ctype_count(); i++) {
        const mkto_type_state *s = &st[i];
        printf("%-28s id %-8lld %s", s->t->api_name, (long long)s->id,
               s->created ? "created" : "exists");
        if (s->added)
            printf(", %zu attribute%s added", s->added, s->added == 1 ? "" : "s");
        if (s->approved)
            printf(", approved");
        putchar('\n');
        if (*s->warning)
            fprintf(stderr, "hail: warning: %s: %s\n", s->t->api_name, s->warning);
    }
    free(st);
    return 0;
}

/* Set by the signal handler, read by the sync's threads. A lock-free atomic
 * is safe in a signal handler. */
static atomic_int stop_flag;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs a lock-free atomic_int");

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    atomic_store(&stop_flag, 1);
    errno = saved;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static const char *grouped(uint64_t v, char *out, size_t size);

/* For a run against Marketo and the database: the settings loaded, the
 * database opened once (created and migrated), Ctrl-C caught. -1 when ready,
 * else the exit status (the message printed). */
static int marketo_ready(cli_ctx *c, marketo_config *cfg)
{
    hail_err e = marketo_config_load(cfg);
    if (e)
        return cli_fail(e);
    struct db *d;
    if ((e = cli_open_db(c, &d))) {
        marketo_config_release(cfg);
        return cli_fail(e);
    }
    db_close(d);
    catch_stop_signals();
    return -1;
}

static int sync_out(cli_ctx *c, int argc, char **argv)
{
    int rc = no_options(argc, argv, out_usage);
    if (rc >= 0)
        return rc;
    marketo_config cfg;
    rc = marketo_ready(c, &cfg);
    if (rc >= 0)
        return rc;
    hail_err e;
    int64_t t0 = time_mono_us();
    mkto_outbox_stats s;
    e = mkto_outbox_drain(c->db_path, &cfg, &stop_flag, &s);
    marketo_config_release(&cfg);
    double secs = (double)(time_mono_us() - t0) / US_PER_SEC;
    char a[32], b[32], cc[32], dd[32];
    if (e) {
        if (s.sent || s.skipped)
            fprintf(stderr, "marketo: before stopping: %s activities sent, %s skipped\n",
                    grouped(s.sent, a, sizeof a), grouped(s.skipped, b, sizeof b));
        if (e == HAIL_EBUSY)
            fprintf(stderr, "hail: another process is sending activities to Marketo (%s)\n",
                    hail_errmsg());
        else
            fprintf(stderr, "hail: %s\n", *hail_errmsg() ? hail_errmsg() : hail_strerror(e));
        return 1;
    }
    printf("Marketo: %s activities sent, %s skipped (see Admin > Integrations), %s not for "
           "Marketo, in %s API calls, %.1f s",
           grouped(s.sent, a, sizeof a), grouped(s.skipped, b, sizeof b),
           grouped(s.passed, cc, sizeof cc), grouped(s.calls, dd, sizeof dd), secs);
    if (s.reconciled || s.resent)
        printf("; a batch cut off before: %llu were in Marketo already, %llu sent again",
               (unsigned long long)s.reconciled, (unsigned long long)s.resent);
    putchar('\n');
    return 0;
}

typedef struct progress_view {
    int tty;
    const char *phase;
    int64_t last_line; /* plain mode: when the last line was printed */
    int drawn;         /* tty mode: a status line is on screen */
} progress_view;

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t v, char *out, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    return out;
}

static void show_progress(void *ctx, const sync_progress *p)
{
    progress_view *v = ctx;
    char people[32], total[32], line[256];
    double rate = p->elapsed_s > 0.5 ? (double)p->people / p->elapsed_s : 0;
    /* The count is people seen so far: "deleted 6 people" read as six deletions. */
    const char *label = strcmp(p->phase, "deleted") == 0 ? "deletions" : p->phase;
    int n = snprintf(line, sizeof line, "marketo: %-9s %s", label,
                     grouped(p->people, people, sizeof people));
    if (p->total > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, " / %s",
                      grouped(p->total, total, sizeof total));
    n += snprintf(line + n, sizeof line - (size_t)n, " people");
    if (rate > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, "  %.0f/s", rate);
    if (p->total > p->people && rate > 0) {
        double eta = (double)(p->total - p->people) / rate;
        snprintf(line + n, sizeof line - (size_t)n, "  ETA %dm%02ds", (int)eta / 60, (int)eta % 60);
    }
    if (v->tty) {
        fprintf(stderr, "\r\033[K%s", line);
        v->drawn = 1;
    } else {
        int64_t now = time_mono_us();
        /* One line per phase change, and at most one every 5 s in between. */
        if (v->phase && !strcmp(v->phase, p->phase) && now - v->last_line < 5 * US_PER_SEC)
            return;
        v->last_line = now;
        fprintf(stderr, "%s\n", line);
    }
    v->phase = p->phase;
    fflush(stderr);
}

static void end_progress(progress_view *v)
{
    if (v->tty && v->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

int cmd_sync(cli_ctx *c, int argc, char **argv)
{
    if (argc < 2) {
        if (cli_wants_help(argc, argv)) {
            fputs(sync_top_usage, stdout);
            return 0;
        }
        fputs(sync_top_usage, stderr);
        return 2;
    }
    if (!strcmp(argv[1], "marketo-types"))
        return sync_types(argc, argv);
    if (!strcmp(argv[1], "marketo-out"))
        return sync_out(c, argc, argv);
    if (!strcmp(argv[1], "salesforce-check"))
        return sync_sf_check(argc, argv);
    if (strcmp(argv[1], "marketo") != 0) {
        if (cli_wants_help(2, argv) || !strcmp(argv[1], "help")) {
            fputs(sync_top_usage, stdout);
            return 0;
        }
        fprintf(stderr, "hail: unknown sync source '%s'\n\n%s", argv[1], sync_top_usage);
        return 2;
    }
    int full = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(sync_usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--full")) {
            full = 1;
            continue;
        }
        fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], sync_usage);
        return 2;
    }

    marketo_config cfg;
    int rc = marketo_ready(c, &cfg);
    if (rc >= 0)
        return rc;
    hail_err e;

    progress_view view = {.tty = isatty(STDERR_FILENO)};
    sync_options o = {.full = full,
                      .origin = "cli",
                      .progress = show_progress,
                      .progress_ctx = &view,
                      .stop = &stop_flag};
    sync_summary s;
    e = marketo_sync_run(c->db_path, &cfg, &o, &s);
    end_progress(&view);
    marketo_config_release(&cfg);

    char a[32], b[32], cc[32], dd[32], ee[32], ff[32];
    double rate = s.seconds > 0 ? (double)s.people.seen / s.seconds : 0;
    if (e) {
        if (s.people.seen || s.api_calls)
            fprintf(stderr,
                    "marketo: before stopping: %s people seen, %s new, %s updated, %s "
                    "deactivated; %s API calls in %.1f s\n",
                    grouped(s.people.seen, a, sizeof a), grouped(s.people.inserted, b, sizeof b),
                    grouped(s.people.updated, cc, sizeof cc),
                    grouped(s.people.deactivated, dd, sizeof dd),
                    grouped(s.api_calls, ee, sizeof ee), s.seconds);
        fprintf(stderr, "hail: %s\n", *hail_errmsg() ? hail_errmsg() : hail_strerror(e));
        return 1;
    }
    printf("Marketo %s sync done in %.1f s: %s people seen (%s new, %s updated, %s unchanged, "
           "%s deactivated), %s API calls, %.0f people/s\n",
           s.kind_full ? "full" : "incremental", s.seconds, grouped(s.people.seen, a, sizeof a),
           grouped(s.people.inserted, b, sizeof b), grouped(s.people.updated, cc, sizeof cc),
           grouped(s.people.unchanged, dd, sizeof dd), grouped(s.people.deactivated, ee, sizeof ee),
           grouped(s.api_calls, ff, sizeof ff), rate);
    return 0;
}
