#include "core/common.h"

#include <sys/socket.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "mail/poller.h"
#include "mail/track.h"
#include "mail/send.h"
#include "sched/scheduler.h"
#include "store/db.h"
#include "svc/bestbets_catchup.h"
#include "sync/mkto_outbox.h"
#include "svc/feed.h"
#include "svc/settings.h"
#include "sync/sf_outbox.h"
#include "svc/triggers.h" /* issue 11: triggers */
#include "sync/sync.h"

static const char serve_usage[] =
    "Usage: hail [--data DIR] serve [--listen ADDR:PORT] [--threads N]\n"
    "\n"
    "Runs the web app, the REST API (/api/v1) and the background workers.\n"
    "\n"
    "  --listen ADDR:PORT  IPv4:PORT or [IPv6]:PORT (env HAIL_LISTEN, default 127.0.0.1:8080)\n"
    "  --threads N         HTTP worker threads, 1 to 256 (env HAIL_THREADS, default: 2 per\n"
    "                      core, at most 16)\n"
    "\n"
    "Behind a reverse proxy, set HAIL_TRUSTED_PROXIES to its addresses or networks\n"
    "(comma-separated, IPv4/IPv6, CIDR: 10.0.0.1,fd00::/8): X-Forwarded-For is honoured only\n"
    "from them, so sign-in limits count per real client instead of per proxy.\n"
    "\n"
    "With HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET set, an\n"
    "incremental Marketo sync runs every HAIL_MARKETO_SYNC_INTERVAL seconds (default 300).\n"
    "With HAIL_SALESFORCE_LOGIN_URL, HAIL_SALESFORCE_CLIENT_ID and\n"
    "HAIL_SALESFORCE_CLIENT_SECRET set, the Salesforce outbox sends emails and calls as\n"
    "Tasks and opt-outs both ways (docs/outbox.md); one node works it at a time.\n"
    "Every setting (see hail --help) is checked first: a bad one stops hail with a message\n"
    "naming it and exit status 2, before it creates anything or listens.\n"
    "Stop with Ctrl-C or SIGTERM.\n";

/* Set by the signal handler (a lock-free atomic is safe there). */
static atomic_int stop_flag;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs a lock-free atomic_int");

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    atomic_store(&stop_flag, 1);
    errno = saved;
}

static void wake_streams(void *srv)
{
    http_server_wake_streams(srv);
}

int cmd_serve(cli_ctx *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(serve_usage, stdout);
        return 0;
    }
    const char *listen = settings()->listen;
    const char *threads_s = settings()->threads_env;
    const char *threads_from = "HAIL_THREADS";
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = opt_value(argc, argv, &i, "--listen", &listen))) {
            if (r < 0)
                return 2;
            continue;
        }
        if ((r = opt_value(argc, argv, &i, "--threads", &threads_s))) {
            if (r < 0)
                return 2;
            threads_from = "--threads";
            continue;
        }
        fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], serve_usage);
        return 2;
    }
    /* All configuration first: nothing is created and nothing listens with a
     * bad setting. A flag wins over its variable, which is then not read. */
    hail_err e;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = (int)(ncpu > 0 ? ncpu * 2 : 2);
    if (threads > 16)
        threads = 16;
    if (threads_s && *threads_s && (e = cli_parse_threads(threads_from, threads_s, &threads)))
        return cli_fail(e);
    if ((e = cli_check_env(1)))
        return cli_fail(e);
    struct sockaddr_storage ss;
    unsigned sslen;
    if ((e = http_parse_listen(listen, &ss, &sslen)))
        return cli_fail(e);
    hail_settings set = *settings();
    set.listen = listen;
    set.threads = threads;
    settings_set(&set);

    /* The web app's files; without them hail serves the API alone. */
    web_app *web = NULL;
    char why[2 * PATH_MAX + 64];
    if ((e = web_open(settings()->web_root, &web, why, sizeof why)))
        return cli_fail(e);
    if (web)
        log_info("web app: %s", web_root_dir(web));
    else
        log_info("%s: serving the API only", why);

    /* Writes waiting for the database hold at most half the HTTP threads. */
    db_set_interactive_waiters(threads / 2);

    db *d;
    if ((e = cli_open_db(c, &d))) {
        web_close(web);
        return cli_fail(e);
    }
    /* The migrating connection is only for start-up; HTTP threads open their own. */
    db_close(d);

    api_ctx ctx = {.db_path = c->db_path, .started_at = time_now_us(), .web = web};
    http_app app = {0};
    api_app_init(&app, &ctx);
    if (!settings()->access_log)
        app.access_log = 0;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* SIGINT and SIGTERM stay pending for the wait at the end (sigtimedwait),
     * which takes them at once: blocked here, and in the threads started below,
     * which inherit the mask. */
    sigset_t stop_sigs;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);

    db_checkpointer *ckpt;
    if ((e = db_checkpointer_start(c->db_path, &ckpt))) {
        web_close(web);
        return cli_fail(e);
    }
    if ((e = track_writer_start(c->db_path))) { /* tracking hits (mail/track.h) */
        db_checkpointer_stop(ckpt);
        web_close(web);
        return cli_fail(e);
    }
    http_server *srv;
    if ((e = http_server_start(listen, threads, &app, &srv))) {
        track_writer_stop();
        db_checkpointer_stop(ckpt);
        web_close(web);
        return cli_fail(e);
    }
    /* The live feed (svc/feed.h): its poller wakes the server's idle streams. */
    if ((e = feed_hub_start(c->db_path, wake_streams, srv))) {
        http_server_stop(srv);
        track_writer_stop();
        db_checkpointer_stop(ckpt);
        web_close(web);
        return cli_fail(e);
    }
    char where[512];
    db_target_redact(c->db_path, where, sizeof where);
    log_info("hail %s listening on http://%s (database %s, %d threads)", HAIL_VERSION, listen,
             where, threads);
    if ((e = sync_worker_start(c->db_path))) {
        feed_hub_stop();
        http_server_stop(srv);
        track_writer_stop();
        db_checkpointer_stop(ckpt);
        web_close(web);
        return cli_fail(e);
    }
    send_workers_start(c->db_path); /* the send queue (mail/send.h); logs its own failure */
    imap_poller_start(c->db_path);
    sched_workers_start(c->db_path);   /* campaign steps (sched/scheduler.h) */
    if (mkto_outbox_start(c->db_path)) /* activities to Marketo (sync/mkto_outbox.h) */
        log_error("marketo outbox: not started: %s", hail_errmsg());
    /* The Salesforce outbox (sync/sf_outbox.h), when HAIL_SALESFORCE_* are set */
    if ((e = sf_outbox_start(c->db_path)))
        log_warn("salesforce outbox: %s", hail_errmsg());
    /* Best Bets of an upgraded database, rebuilt in the background */
    if ((e = bestbets_catchup_start(c->db_path)))
        log_warn("%s", hail_errmsg());
    /* issue 11: the trigger evaluator and the webhook deliveries (svc/triggers.h) */
    if ((e = trig_eval_start(c->db_path)) || (e = wh_worker_start(c->db_path)))
        log_error("triggers: %s", hail_errmsg());
    /* A signal sent before the wait stays pending until it: not missed. The
     * timeout is for one on_signal took in a thread that does not block it. */
    while (!atomic_load(&stop_flag)) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        if (sigtimedwait(&stop_sigs, NULL, &ts) > 0)
            break;
    }
    log_info("shutting down");
    trig_eval_stop(); /* issue 11: triggers */
    wh_worker_stop();
    bestbets_catchup_stop();
    feed_hub_stop(); /* its streams end, then the server closes them */
    http_server_stop(srv);
    track_writer_stop(); /* after the server: it finishes the hits in flight */
    imap_poller_stop();
    sync_worker_stop();
    mkto_outbox_stop();
    sf_outbox_stop();
    sched_workers_stop();
    send_workers_stop();
    db_checkpointer_stop(ckpt);
    web_close(web);
    return 0;
}
