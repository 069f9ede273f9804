#include "core/common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "people/import.h"

static const char import_usage[] =
    "Usage: hail import people FILE.csv\n"
    "\n"
    "Loads people from a CSV whose header uses Marketo's field names (a Marketo lead\n"
    "export works as is): id (required), firstName, lastName, email, phone, title, company,\n"
    "leadSource, linkedInProfileURL, sfdcLeadId, sfdcContactId, sfdcAccountId, sfdcOpptyId,\n"
    "leadOwnerEmailAddress, timeZone (or time_zone). Other columns are ignored. An empty\n"
    "value or the literal null is null. People without leadOwnerEmailAddress are kept but\n"
    "inactive. Existing people (same id) are updated. FILE may be - for standard input.\n"
    "\n"
    "timeZone is an IANA name such as Europe/Berlin (used by campaigns that send in the\n"
    "person's time zone). A name the system's tz database does not know is not an error:\n"
    "the row is imported with no time zone and a warning naming its line.\n"
    "\n"
    "All or nothing for bad input: every row is checked first; if any row is malformed,\n"
    "nothing is imported and each bad row is reported with its line number. The rows are\n"
    "then written in short transactions, so the server stays responsive meanwhile; if the\n"
    "import is interrupted (killed, a crash, a database error), the rows written so far\n"
    "stay and running the same import again completes it.\n";

int cmd_import(cli_ctx *c, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(import_usage, stdout);
        return 0;
    }
    if (argc < 2) {
        fputs(import_usage, stderr);
        return 2;
    }
    if (strcmp(argv[1], "people") != 0) {
        fprintf(stderr, "hail: unknown import source '%s'\n\n%s", argv[1], import_usage);
        return 2;
    }
    if (argc < 3) {
        fprintf(stderr, "hail: import people needs a FILE\n\n%s", import_usage);
        return 2;
    }
    if (cli_no_more_args(argc, argv, 3, import_usage))
        return 2;
    const char *path = argv[2];
    /* A bulk load is background work: below a running server's requests in
     * the CPU queue too, as it is for the write lock (store/db.h). It costs
     * the import nothing on an idle machine. */
    errno = 0;
    if (nice(10) == -1 && errno)
        log_debug("import: cannot lower the priority: %s", strerror(errno));
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "hail: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e) {
        if (in != stdin)
            fclose(in);
        return cli_fail(e);
    }
    import_report rep;
    int64_t t0 = time_mono_us();
    e = people_import_csv(d, in, &rep);
    double secs = (double)(time_mono_us() - t0) / 1e6;
    if (in != stdin)
        fclose(in);
    db_close(d);
    if (e == HAIL_EINVAL) {
        unsigned long shown = rep.errors < IMPORT_MAX_ERRORS ? rep.errors : IMPORT_MAX_ERRORS;
        for (unsigned long i = 0; i < shown; i++)
            fprintf(stderr, "%s: %s\n", path, rep.first_errors[i]);
        if (rep.errors > shown)
            fprintf(stderr, "%s: … and %lu more bad rows\n", path, rep.errors - shown);
        fprintf(stderr, "hail: %s\n", hail_errmsg());
        return 1;
    }
    if (e) {
        int rc = cli_fail(e);
        if (rep.committed)
            fprintf(stderr,
                    "hail: the first %lu rows of %s were imported; run the import again to "
                    "complete it\n",
                    rep.committed, path);
        return rc;
    }
    unsigned long warned = rep.warnings < IMPORT_MAX_ERRORS ? rep.warnings : IMPORT_MAX_ERRORS;
    for (unsigned long i = 0; i < warned; i++)
        fprintf(stderr, "%s: warning: %s\n", path, rep.first_warnings[i]);
    if (rep.warnings > warned)
        fprintf(stderr, "%s: warning: … and %lu more rows with an unknown time zone\n", path,
                rep.warnings - warned);
    const people_stats *s = &rep.stats;
    printf("imported %lu rows in %.2f s: %llu new, %llu updated, %llu unchanged, %llu "
           "deactivated\n",
           rep.rows, secs, (unsigned long long)s->inserted, (unsigned long long)s->updated,
           (unsigned long long)s->unchanged, (unsigned long long)s->deactivated);
    return 0;
}
