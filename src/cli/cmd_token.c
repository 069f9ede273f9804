#include "core/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/secret.h"
#include "core/esc.h"
#include "store/users.h"

static const char token_usage[] =
    "Usage:\n"
    "  hail token create --email E [--name LABEL]   print a new API token (last line of stdout)\n"
    "  hail token revoke [-]                         revoke the token read from standard input\n"
    "                                                (a prompt with echo off on a terminal)\n"
    "  hail token revoke --id N                      revoke a token by id (see token list)\n"
    "  hail token list [--email E]                   list tokens (never their secret)\n"
    "\n"
    "A token is never given as an argument: ps and shell history would show it.\n";

static int token_create(cli_ctx *c, int argc, char **argv)
{
    const char *email = NULL, *name = NULL;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = opt_value(argc, argv, &i, "--email", &email)) ||
            (r = opt_value(argc, argv, &i, "--name", &name))) {
            if (r < 0)
                return 2;
            continue;
        }
        fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], token_usage);
        return 2;
    }
    if (!email) {
        fprintf(stderr, "hail: token create needs --email\n\n%s", token_usage);
        return 2;
    }
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    char token[AUTH_TOKEN_MAX];
    int64_t id;
    e = auth_token_create(d, email, name, token, &id);
    db_close(d);
    if (e)
        return cli_fail(e);
    fprintf(stderr, "created API token %lld for %s; it is shown once, keep it secret\n",
            (long long)id, email);
    printf("%s\n", token);
    return 0;
}

static int token_revoke(cli_ctx *c, int argc, char **argv)
{
    const char *id = NULL;
    int from_stdin = 0;
    for (int i = 2; i < argc; i++) {
        int r = opt_value(argc, argv, &i, "--id", &id);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (!strcmp(argv[i], "-") && !from_stdin) {
            from_stdin = 1;
            continue;
        }
        if (argv[i][0] != '-') {
            /* Not echoed back: it may well be a secret. */
            fprintf(stderr, "hail: token revoke does not take the token as an argument (ps and "
                            "shell history would show it); give it on standard input "
                            "(hail token revoke - < file) or revoke by id (hail token revoke "
                            "--id N; hail token list shows ids)\n");
            return 2;
        }
        fprintf(stderr, "hail: unexpected '%s'\n\n%s", argv[i], token_usage);
        return 2;
    }
    if (id && from_stdin) {
        fprintf(stderr, "hail: token revoke takes either --id N or a token on standard input, "
                        "not both\n");
        return 2;
    }
    long long nid = 0;
    char token[AUTH_TOKEN_MAX + 2];
    if (id) {
        char *end;
        nid = strtoll(id, &end, 10);
        if (!*id || *end || nid <= 0) {
            fprintf(stderr, "hail: --id must be a positive integer\n");
            return 2;
        }
    } else {
        int got = cli_read_secret("API token to revoke: ", token, sizeof token);
        if (got <= 0) {
            fprintf(stderr, got < 0 ? "hail: that is not an API token (too long)\n"
                                    : "hail: no token on standard input (or use --id N)\n");
            return 2;
        }
        /* Surrounding blanks are a copy-paste accident, not part of a token. */
        char *t = token;
        while (*t == ' ' || *t == '\t')
            t++;
        size_t l = strlen(t);
        while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
            t[--l] = '\0';
        memmove(token, t, l + 1);
    }
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e) {
        cli_wipe(token, sizeof token);
        return cli_fail(e);
    }
    e = id ? tokens_revoke(d, nid, 0) : auth_token_revoke_plain(d, token);
    cli_wipe(token, sizeof token);
    db_close(d);
    if (e)
        return cli_fail(e);
    printf("revoked\n");
    return 0;
}

static int token_list(cli_ctx *c, int argc, char **argv)
{
    const char *email = NULL;
    for (int i = 2; i < argc; i++) {
        int r = opt_value(argc, argv, &i, "--email", &email);
        if (r < 0)
            return 2;
        if (!r) {
            fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], token_usage);
            return 2;
        }
    }
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    int64_t uid = 0;
    if (email) {
        user u;
        if ((e = users_get_by_email(d, email, &u, NULL))) {
            db_close(d);
            return cli_fail(e);
        }
        uid = u.id;
    }
    json_t *a;
    e = tokens_list_json(d, uid, &a);
    db_close(d);
    if (e) {
        json_decref(a);
        return cli_fail(e);
    }
    printf("%-5s %-32s %-14s %-20s %-21s %-21s %s\n", "ID", "EMAIL", "PREFIX", "NAME", "CREATED",
           "LAST_USED", "REVOKED");
    size_t i;
    json_t *t;
    json_array_foreach(a, i, t)
    {
        /* Token names come from users: their control characters must not
         * reach the operator's terminal. Names ≤ 100 bytes, escaping ×4. */
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *used = json_string_value(json_object_get(t, "last_used_at"));
        const char *rev = json_string_value(json_object_get(t, "revoked_at"));
        const char *temail = json_string_value(json_object_get(t, "email"));
        const char *prefix = json_string_value(json_object_get(t, "prefix"));
        char ename[500], eemail[1100], eprefix[100];
        printf("%-5lld %-32s %-14s %-20s %-21s %-21s %s\n",
               (long long)json_integer_value(json_object_get(t, "id")),
               esc_ctl_str(eemail, sizeof eemail, temail ? temail : ""),
               esc_ctl_str(eprefix, sizeof eprefix, prefix ? prefix : ""),
               name ? esc_ctl_str(ename, sizeof ename, name) : "-",
               json_string_value(json_object_get(t, "created_at")), used ? used : "-",
               rev ? rev : "-");
    }
    json_decref(a);
    return 0;
}

int cmd_token(cli_ctx *c, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(token_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "create"))
        return token_create(c, argc, argv);
    if (!strcmp(argv[1], "revoke"))
        return token_revoke(c, argc, argv);
    if (!strcmp(argv[1], "list"))
        return token_list(c, argc, argv);
    fprintf(stderr, "hail: unknown token command '%s'\n\n%s", argv[1], token_usage);
    return 2;
}
