#include "core/common.h"

/* hail bestbets rebuild: Best Bets' state recomputed from the activity log
 * (store/bestbets.h), for data loaded in bulk beside activity_record. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/timeutil.h"
#include "store/bestbets.h"
#include "store/db.h"

static const char bestbets_usage[] =
    "Usage: hail bestbets rebuild\n"
    "\n"
    "rebuild   recomputes every person's Best Bets state (scores, counts, last\n"
    "          events) from the activity log in one pass and one transaction, as\n"
    "          of now. hail keeps the state itself as activities are recorded;\n"
    "          run this after loading activities in bulk by other means. On\n"
    "          SQLite other writers wait while it runs. hail serve rebuilds a\n"
    "          database upgraded to schema 7 by itself, in the background.\n"
    "          Prints how many people have a score and how long it took.\n"
    "\n"
    "Options:\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 done, 1 failed, 2 usage error.\n";

int cmd_bestbets(cli_ctx *c, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(bestbets_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "rebuild")) {
        fprintf(stderr, "hail: unknown bestbets command '%s'\n\n%s", argv[1], bestbets_usage);
        return 2;
    }
    int r = cli_no_more_args(argc, argv, 2, bestbets_usage);
    if (r)
        return r;
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    int64_t t0 = time_mono_us(), n = 0;
    e = bestbets_rebuild(d, time_now_us(), &n);
    db_close(d);
    if (e)
        return cli_fail(e);
    int64_t ms = (time_mono_us() - t0) / 1000;
    printf("rebuilt Best Bets: %lld %s with a score in %lld.%01lld s\n", (long long)n,
           n == 1 ? "person" : "people", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
    return 0;
}
