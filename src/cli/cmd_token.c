#include "core/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "store/users.h"

static const char token_usage[] =
    "Usage:\n"
    "  hail token create --email E [--name LABEL]   print a new API token (last line of stdout)\n"
    "  hail token revoke TOKEN                       revoke a token given its text\n"
    "  hail token revoke --id N                      revoke a token by id\n"
    "  hail token list [--email E]                   list tokens (never their secret)\n";

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
    const char *id = NULL, *token = NULL;
    for (int i = 2; i < argc; i++) {
        int r = opt_value(argc, argv, &i, "--id", &id);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (argv[i][0] == '-' || token) {
            fprintf(stderr, "hail: unexpected '%s'\n\n%s", argv[i], token_usage);
            return 2;
        }
        token = argv[i];
    }
    if (!id == !token) {
        fprintf(stderr, "hail: token revoke needs a TOKEN or --id N\n\n%s", token_usage);
        return 2;
    }
    long long nid = 0;
    if (id) {
        char *end;
        nid = strtoll(id, &end, 10);
        if (*end || nid <= 0) {
            fprintf(stderr, "hail: --id must be a positive integer\n");
            return 2;
        }
    }
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    e = id ? tokens_revoke(d, nid, 0) : auth_token_revoke_plain(d, token);
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
    printf("%-5s %-32s %-14s %-20s %-21s %s\n", "ID", "EMAIL", "PREFIX", "NAME", "CREATED",
           "REVOKED");
    size_t i;
    json_t *t;
    json_array_foreach(a, i, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *rev = json_string_value(json_object_get(t, "revoked_at"));
        printf("%-5lld %-32s %-14s %-20s %-21s %s\n",
               (long long)json_integer_value(json_object_get(t, "id")),
               json_string_value(json_object_get(t, "email")),
               json_string_value(json_object_get(t, "prefix")), name ? name : "-",
               json_string_value(json_object_get(t, "created_at")), rev ? rev : "-");
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
