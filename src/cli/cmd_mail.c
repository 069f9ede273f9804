#include "core/common.h"

#include <jansson.h>

#include "cli/cli.h"
#include "mail/classify.h"

static const char mail_usage[] =
    "Usage:\n"
    "  hail mail classify FILE...   classify raw messages (reply, autoreply, bounce,\n"
    "                               complaint, other); one JSON object per file on stdout:\n"
    "                               "
    "{\"file\",\"kind\",\"recipients\":[{\"address\",\"status\",\"hard\"}],\n"
    "                               \"return_date\"}\n"
    "\n"
    "A file that cannot be read is reported on stderr and the exit status is 1.\n";

/* At most this much of a file is read (as POST /api/v1/inbound takes). */
#define MAIL_FILE_MAX (30 * 1024 * 1024)

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n == cap) {
            if (cap >= MAIL_FILE_MAX) {
                free(b);
                b = NULL;
                errno = EFBIG;
                break;
            }
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                free(b);
                b = NULL;
            }
            break;
        }
    }
    fclose(f);
    if (!b)
        return -1;
    *out = b;
    *len = n;
    return 0;
}

static int mail_classify(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "hail: mail classify needs at least one FILE\n\n%s", mail_usage);
        return 2;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        char *buf;
        size_t len;
        if (read_file(argv[i], &buf, &len)) {
            fprintf(stderr, "hail: cannot read %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }
        classify_result r;
        hail_err e = classify_message(buf, len, &r);
        free(buf);
        if (e) {
            rc = cli_fail(e);
            continue;
        }
        json_t *o = json_object();
        json_t *name = json_string(argv[i]); /* NULL: not UTF-8 */
        json_object_set_new(o, "file", name ? name : json_string(""));
        json_object_set_new(o, "kind", json_string(classify_kind_name(r.kind)));
        json_t *rs = json_array();
        for (size_t k = 0; k < r.nrcpt; k++)
            json_array_append_new(rs,
                                  json_pack("{s:s, s:s, s:b}", "address", r.rcpt[k].address,
                                            "status", r.rcpt[k].status, "hard", r.rcpt[k].hard));
        json_object_set_new(o, "recipients", rs);
        json_object_set_new(o, "return_date",
                            r.return_date[0] ? json_string(r.return_date) : json_null());
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(o);
        classify_result_free(&r);
    }
    return rc;
}

int cmd_mail(cli_ctx *c, int argc, char **argv)
{
    (void)c;
    if (cli_wants_help(argc, argv)) {
        fputs(mail_usage, stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "classify"))
        return mail_classify(argc, argv);
    if (argc >= 2)
        fprintf(stderr, "hail: unknown mail command '%s'\n\n%s", argv[1], mail_usage);
    else
        fprintf(stderr, "hail: mail needs a command\n\n%s", mail_usage);
    return 2;
}
