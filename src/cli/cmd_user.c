#include "core/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "store/users.h"

static const char user_usage[] =
    "Usage:\n"
    "  hail user add --email E --name N --role admin|manager|rep [--team T] [--password-stdin]\n"
    "  hail user list\n"
    "\n"
    "  --password-stdin  read the password (at least 8 characters) from the first line of\n"
    "                    standard input; without it the user can only use API tokens\n"
    "  --team T          put the user in team T (created if it does not exist)\n";

static int read_password(char *buf, size_t n)
{
    if (!fgets(buf, (int)n, stdin))
        return 0;
    size_t l = strlen(buf);
    while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
        buf[--l] = '\0';
    return 1;
}

static int user_add(cli_ctx *c, int argc, char **argv)
{
    const char *email = NULL, *name = NULL, *role = NULL, *team = NULL;
    int pw_stdin = 0;
    for (int i = 2; i < argc; i++) {
        int r;
        if ((r = opt_value(argc, argv, &i, "--email", &email)) ||
            (r = opt_value(argc, argv, &i, "--name", &name)) ||
            (r = opt_value(argc, argv, &i, "--role", &role)) ||
            (r = opt_value(argc, argv, &i, "--team", &team))) {
            if (r < 0)
                return 2;
            continue;
        }
        if (!strcmp(argv[i], "--password-stdin")) {
            pw_stdin = 1;
            continue;
        }
        fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], user_usage);
        return 2;
    }
    if (!email || !name || !role) {
        fprintf(stderr, "hail: user add needs --email, --name and --role\n\n%s", user_usage);
        return 2;
    }
    char pw[AUTH_PASSWORD_MAX + 2];
    if (pw_stdin && !read_password(pw, sizeof pw)) {
        fprintf(stderr, "hail: --password-stdin: no password on standard input\n");
        return 2;
    }
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    int64_t id;
    e = auth_user_add(d, email, name, role, team, NULL, -1, pw_stdin ? pw : NULL, &id);
    memset(pw, 0, sizeof pw);
    db_close(d);
    if (e)
        return cli_fail(e);
    printf("added user %lld: %s (%s)%s%s\n", (long long)id, email, role, team ? " in team " : "",
           team ? team : "");
    return 0;
}

static int user_list(cli_ctx *c)
{
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    json_t *a;
    e = users_list_json(d, &a);
    db_close(d);
    if (e) {
        json_decref(a);
        return cli_fail(e);
    }
    printf("%-5s %-32s %-24s %-8s %-6s %s\n", "ID", "EMAIL", "NAME", "ROLE", "ACTIVE", "TEAMS");
    size_t i;
    json_t *u;
    json_array_foreach(a, i, u)
    {
        char teams[512] = "";
        size_t k, used = 0;
        json_t *t;
        json_array_foreach(json_object_get(u, "teams"), k, t)
        {
            int n = snprintf(teams + used, sizeof teams - used, "%s%s", k ? "," : "",
                             json_string_value(json_object_get(t, "name")));
            if (n < 0 || (size_t)n >= sizeof teams - used)
                break;
            used += (size_t)n;
        }
        printf("%-5lld %-32s %-24s %-8s %-6s %s\n",
               (long long)json_integer_value(json_object_get(u, "id")),
               json_string_value(json_object_get(u, "email")),
               json_string_value(json_object_get(u, "name")),
               json_string_value(json_object_get(u, "role")),
               json_is_true(json_object_get(u, "active")) ? "yes" : "no", teams);
    }
    json_decref(a);
    return 0;
}

int cmd_user(cli_ctx *c, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(user_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "add"))
        return user_add(c, argc, argv);
    if (!strcmp(argv[1], "list"))
        return cli_no_more_args(argc, argv, 2, user_usage) ? 2 : user_list(c);
    fprintf(stderr, "hail: unknown user command '%s'\n\n%s", argv[1], user_usage);
    return 2;
}
