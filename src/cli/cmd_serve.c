#include "core/common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "store/db.h"
#include "sync/sync.h"

static const char serve_usage[] =
    "Usage: hail [--data DIR] serve [--listen ADDR:PORT] [--threads N]\n"
    "\n"
    "Runs the web app, the REST API (/api/v1) and the background workers.\n"
    "\n"
    "  --listen ADDR:PORT  where to listen (env HAIL_LISTEN, default 127.0.0.1:8080)\n"
    "  --threads N         HTTP worker threads (env HAIL_THREADS, default: 2 per core, max 16)\n"
    "\n"
    "With HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET set, an\n"
    "incremental Marketo sync runs every HAIL_MARKETO_SYNC_INTERVAL seconds (default 300).\n"
    "Stop with Ctrl-C or SIGTERM.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int cmd_serve(cli_ctx *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(serve_usage, stdout);
        return 0;
    }
    const char *listen = getenv("HAIL_LISTEN");
    const char *threads_s = getenv("HAIL_THREADS");
    if (!listen || !*listen)
        listen = "127.0.0.1:8080";
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = opt_value(argc, argv, &i, "--listen", &listen)) ||
            (r = opt_value(argc, argv, &i, "--threads", &threads_s))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], serve_usage);
        return 2;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = (int)(ncpu > 0 ? ncpu * 2 : 2);
    if (threads > 16)
        threads = 16;
    if (threads_s && *threads_s) {
        char *end;
        long t = strtol(threads_s, &end, 10);
        if (*end || t < 1 || t > 256) {
            fprintf(stderr, "hail: --threads must be an integer from 1 to 256\n");
            return 2;
        }
        threads = (int)t;
    }

    /* Writes waiting for the database hold at most half the HTTP threads. */
    db_set_interactive_waiters(threads / 2);

    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    /* The migrating connection is only for start-up; HTTP threads open their own. */
    db_close(d);

    api_ctx ctx = {.db_path = c->db_path, .started_at = time_now_us()};
    http_app app = {0};
    api_app_init(&app, &ctx);
    const char *al = getenv("HAIL_ACCESS_LOG");
    if (al && !strcmp(al, "off"))
        app.access_log = 0;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    http_server *srv;
    if ((e = http_server_start(listen, threads, &app, &srv)))
        return cli_fail(e);
    log_info("hail %s listening on http://%s (data %s, %d threads)", HAIL_VERSION, listen,
             c->data_dir, threads);
    if ((e = sync_worker_start(c->db_path))) {
        http_server_stop(srv);
        return cli_fail(e);
    }
    if (marketo_configured())
        log_info("Marketo sync: incremental every HAIL_MARKETO_SYNC_INTERVAL seconds");
    /* Polling (not pause()) so a signal landing just before the wait is not missed. */
    while (!stop_flag) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    log_info("shutting down");
    http_server_stop(srv);
    sync_worker_stop();
    return 0;
}
