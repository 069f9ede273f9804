#include "core/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/secret.h"
#include "core/buf.h"
#include "core/esc.h"
#include "store/users.h"

static const char user_usage[] =
    "Usage:\n"
    "  hail user add --email E --name N --role admin|manager|rep [--team T] [--password-stdin]\n"
    "  hail user list\n"
    "  hail user passwd EMAIL       set a user's password (ends their sessions)\n"
    "  hail user deactivate EMAIL   sign a user out everywhere, revoke their API tokens\n"
    "                               and refuse their sign-ins (not the last admin)\n"
    "\n"
    "  --password-stdin  read the password (at least 8 characters) from the first line of\n"
    "                    standard input; without it the user can only use API tokens\n"
    "  --team T          put the user in team T (created if it does not exist)\n"
    "\n"
    "passwd asks for the new password twice with echo off on a terminal, and otherwise\n"
    "reads it from the first line of standard input; never give it as an argument.\n";

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
    int got = pw_stdin ? cli_read_secret("Password: ", pw, sizeof pw) : 1;
    if (got < 0) {
        fprintf(stderr, "hail: password must be at most %d characters\n", AUTH_PASSWORD_MAX);
        return 2;
    }
    if (pw_stdin && got == 0 && feof(stdin)) {
        fprintf(stderr, "hail: --password-stdin: no password on standard input\n");
        return 2;
    }
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    int64_t id;
    e = auth_user_add(d, email, name, role, team, NULL, -1, pw_stdin ? pw : NULL, &id);
    cli_wipe(pw, sizeof pw);
    db_close(d);
    if (e)
        return cli_fail(e);
    printf("added user %lld: %s (%s)%s%s\n", (long long)id, email, role, team ? " in team " : "",
           team ? team : "");
    return 0;
}

/* s with control characters made visible (user-supplied text must not
 * drive the operator's terminal). */
static const char *esc(char *out, size_t n, json_t *s)
{
    const char *v = json_string_value(s);
    return esc_ctl_str(out, n, v ? v : "");
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
    buf teams = BUF_INIT(1 << 20);
    json_array_foreach(a, i, u)
    {
        buf_reset(&teams);
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(u, "teams"), k, t)
        {
            const char *tn = json_string_value(json_object_get(t, "name"));
            if ((k && buf_putc(&teams, ',')) || esc_ctl(&teams, tn ? tn : "", tn ? strlen(tn) : 0))
                break;
        }
        /* Escaping at most quadruples: names ≤ 200, emails ≤ 254 bytes. */
        char email[1100], name[1100], role[80];
        printf("%-5lld %-32s %-24s %-8s %-6s %s\n",
               (long long)json_integer_value(json_object_get(u, "id")),
               esc(email, sizeof email, json_object_get(u, "email")),
               esc(name, sizeof name, json_object_get(u, "name")),
               esc(role, sizeof role, json_object_get(u, "role")),
               json_is_true(json_object_get(u, "active")) ? "yes" : "no", buf_cstr(&teams));
    }
    buf_release(&teams);
    json_decref(a);
    return 0;
}

/* The EMAIL argument of passwd/deactivate; NULL after a usage message. */
static const char *email_arg(int argc, char **argv, int *pw_stdin)
{
    const char *email = NULL;
    for (int i = 2; i < argc; i++) {
        if (pw_stdin && !strcmp(argv[i], "--password-stdin")) {
            *pw_stdin = 1;
            continue;
        }
        if (email) {
            /* Not echoed: a password typed here would land in a log or a scrollback. */
            fprintf(stderr,
                    "hail: user %s takes one EMAIL; a password is never an argument (it "
                    "is read from standard input or a prompt)\n",
                    argv[1]);
            return NULL;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "hail: unknown option '%s'\n\n%s", argv[i], user_usage);
            return NULL;
        }
        email = argv[i];
    }
    if (!email)
        fprintf(stderr, "hail: user %s needs an EMAIL\n\n%s", argv[1], user_usage);
    return email;
}

static int user_passwd(cli_ctx *c, int argc, char **argv)
{
    int pw_stdin = 0;
    const char *email = email_arg(argc, argv, &pw_stdin);
    if (!email)
        return 2;
    char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
    int rc = 2;
    char prompt[400];
    snprintf(prompt, sizeof prompt, "New password for %s: ", email);
    int got = cli_read_secret(prompt, pw, sizeof pw);
    if (got < 0) {
        fprintf(stderr, "hail: password must be at most %d characters\n", AUTH_PASSWORD_MAX);
        goto out;
    }
    if (got == 0) {
        fprintf(stderr, "hail: no password given (type it at the prompt or give it on the first "
                        "line of standard input)\n");
        goto out;
    }
    hail_err e = auth_password_ok(pw);
    if (e) {
        rc = cli_fail(e);
        goto out;
    }
    if (isatty(STDIN_FILENO) && !pw_stdin) {
        if (cli_read_secret("Repeat it: ", again, sizeof again) < 0 || strcmp(pw, again) != 0) {
            fprintf(stderr, "hail: the passwords do not match; nothing changed\n");
            goto out;
        }
    }
    db *d;
    if ((e = cli_open_db(c, &d))) {
        rc = cli_fail(e);
        goto out;
    }
    user u;
    e = users_get_by_email(d, email, &u, NULL);
    if (!e)
        e = auth_user_update(d, u.id, NULL, NULL, -1, pw, NULL, -1);
    db_close(d);
    if (e) {
        rc = cli_fail(e);
        goto out;
    }
    printf("password changed for %s; their sessions were ended\n", email);
    rc = 0;
out:
    cli_wipe(pw, sizeof pw);
    cli_wipe(again, sizeof again);
    return rc;
}

static int user_deactivate(cli_ctx *c, int argc, char **argv)
{
    const char *email = email_arg(argc, argv, NULL);
    if (!email)
        return 2;
    db *d;
    hail_err e = cli_open_db(c, &d);
    if (e)
        return cli_fail(e);
    user u;
    e = users_get_by_email(d, email, &u, NULL);
    if (!e)
        e = auth_user_update(d, u.id, NULL, NULL, 0, NULL, NULL, -1);
    db_close(d);
    if (e)
        return cli_fail(e);
    printf("deactivated user %lld: %s; their sessions were ended and their API tokens revoked\n",
           (long long)u.id, email);
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
    if (!strcmp(argv[1], "passwd"))
        return user_passwd(c, argc, argv);
    if (!strcmp(argv[1], "deactivate"))
        return user_deactivate(c, argc, argv);
    fprintf(stderr, "hail: unknown user command '%s'\n\n%s", argv[1], user_usage);
    return 2;
}
