#include "core/common.h"

#include "auth/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/utf8.h"

/* A hash of a random password, verified against when the email is unknown. */
static char dummy_hash[crypto_pwhash_STRBYTES];

hail_err auth_init(void)
{
    if (sodium_init() < 0)
        return hail_errf(HAIL_EIO, "libsodium failed to initialise");
    return HAIL_OK;
}

/* OWASP's argon2id baseline: 19 MiB, 2 passes. Enough against offline
 * guessing, cheap enough that a login burst cannot exhaust the server. */
#define PW_OPS 2
#define PW_MEM (19u * 1024 * 1024)

static void random_secret_raw(char *out, size_t n)
{
    randombytes_buf(out, n);
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

hail_err auth_password_ok(const char *pw)
{
    size_t n = pw ? utf8_chars(pw) : 0; /* characters, as docs/openapi.json counts */
    if (n < AUTH_PASSWORD_MIN)
        return hail_errf(HAIL_EINVAL, "password must be at least %d characters", AUTH_PASSWORD_MIN);
    if (n > AUTH_PASSWORD_MAX)
        return hail_errf(HAIL_EINVAL, "password must be at most %d characters", AUTH_PASSWORD_MAX);
    return HAIL_OK;
}

static void dummy_init(void)
{
    char pw[32];
    random_secret_raw(pw, sizeof pw);
    if (crypto_pwhash_str_alg(dummy_hash, pw, sizeof pw, PW_OPS, PW_MEM,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        dummy_hash[0] = '\0'; /* out of memory: verification will just fail */
}

hail_err auth_hash_password(const char *password, char **out)
{
    *out = malloc(crypto_pwhash_STRBYTES);
    if (!*out)
        return HAIL_ENOMEM;
    if (crypto_pwhash_str_alg(*out, password, strlen(password), PW_OPS, PW_MEM,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        free(*out);
        *out = NULL;
        return HAIL_ENOMEM;
    }
    return HAIL_OK;
}

int auth_verify_password(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* Frees a password hash, wiping it first. */
static void hash_free(char *hash)
{
    if (hash) {
        sodium_memzero(hash, strlen(hash));
        free(hash);
    }
}

int auth_email_ok(const char *e)
{
    if (!e)
        return 0;
    size_t n = strlen(e);
    if (n < 3 || n > 254)
        return 0;
    const char *at = strchr(e, '@');
    if (!at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        e[n - 1] == '.')
        return 0;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p > '~' || *p == '<' || *p == '>' ||
            *p == ',' || *p == ';')
            return 0;
    return 1;
}

int auth_secure_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return 0;
    return sodium_memcmp(a, b, la) == 0;
}

/* 32 random bytes as base64url (43 chars) after a prefix. */
static void random_secret(const char *prefix, char *out, size_t n)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    sodium_bin2base64(out + pl, n - pl, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void secret_hash(const char *secret, unsigned char h[TOKEN_HASH_LEN])
{
    crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
}

hail_err auth_user_add(db *d, const char *email, const char *name, const char *role,
                       const char *team, const int64_t *teams, int nteams, const char *password,
                       int64_t *id_out)
{
    if (!auth_email_ok(email))
        return hail_errf(HAIL_EINVAL, "'%s' is not a valid email address", email ? email : "");
    /* The same words as the API's checks of the same members. */
    if (!name || !*name || utf8_chars(name) > 200)
        return hail_errf(HAIL_EINVAL, "name must be 1 to 200 characters, not %zu",
                         name ? utf8_chars(name) : (size_t)0);
    if (!user_role_valid(role))
        return hail_errf(HAIL_EINVAL, "role must be admin, manager or rep, not '%s'",
                         role ? role : "");
    if (team && (!*team || utf8_chars(team) > 100))
        return hail_errf(HAIL_EINVAL, "team name must be 1 to 100 characters, not %zu",
                         utf8_chars(team));
    char *hash = NULL;
    hail_err e;
    if (password) {
        if ((e = auth_password_ok(password)) || (e = auth_hash_password(password, &hash)))
            return e;
    }
    int64_t uid = 0, tid = 0;
    if ((e = db_begin(d)))
        goto out;
    if ((e = users_create(d, email, name, role, hash, &uid)))
        goto rollback;
    if (team) {
        e = teams_get_by_name(d, team, &tid);
        if (e == HAIL_ENOTFOUND)
            e = teams_create(d, team, &tid);
        if (e || (e = teams_add_member(d, tid, uid)))
            goto rollback;
    }
    for (int i = 0; i < nteams; i++)
        if ((e = teams_add_member(d, teams[i], uid)))
            goto rollback;
    if ((e = db_commit(d)))
        goto rollback;
    if (id_out)
        *id_out = uid;
    goto out;
rollback:
    db_rollback(d);
out:
    hash_free(hash);
    return e;
}

hail_err auth_user_update(db *d, int64_t id, const char *name, const char *role, int active,
                          const char *password, const int64_t *teams, int nteams)
{
    if (name && (!*name || utf8_chars(name) > 200))
        return hail_errf(HAIL_EINVAL, "name must be 1 to 200 characters, not %zu",
                         utf8_chars(name));
    if (role && !user_role_valid(role))
        return hail_errf(HAIL_EINVAL, "role must be admin, manager or rep, not '%s'", role);
    char *hash = NULL;
    hail_err e;
    if (password && ((e = auth_password_ok(password)) || (e = auth_hash_password(password, &hash))))
        return e;
    user u;
    if ((e = db_begin(d)))
        goto out;
    if ((e = users_get(d, id, &u)))
        goto rollback;
    int losing_admin = !strcmp(u.role, "admin") && u.active &&
                       ((role && strcmp(role, "admin") != 0) || active == 0);
    if (losing_admin) {
        int64_t admins = 0;
        if ((e = users_count_admins(d, &admins)))
            goto rollback;
        if (admins <= 1) {
            e = hail_errf(HAIL_EINVAL, "cannot demote or deactivate the last admin");
            goto rollback;
        }
    }
    if ((e = users_update(d, id, name, role, active, hash)))
        goto rollback;
    if (nteams >= 0 && (e = teams_set_for_user(d, id, teams, (size_t)nteams)))
        goto rollback;
    if (active == 0 && ((e = sessions_delete_user(d, id)) || (e = tokens_revoke_user(d, id, NULL))))
        goto rollback;
    /* A new password ends every session signed in with the old one. */
    if (hash && active != 0 && (e = sessions_delete_user(d, id)))
        goto rollback;
    if ((e = db_commit(d)))
        goto rollback;
    goto out;
rollback:
    db_rollback(d);
out:
    hash_free(hash);
    return e;
}

hail_err auth_token_create(db *d, const char *email, const char *name, char token[AUTH_TOKEN_MAX],
                           int64_t *id_out)
{
    user u;
    hail_err e = users_get_by_email(d, email, &u, NULL);
    if (e)
        return e;
    if (!u.active)
        return hail_errf(HAIL_EINVAL, "user %s is deactivated", email);
    random_secret("hail_", token, AUTH_TOKEN_MAX);
    unsigned char h[TOKEN_HASH_LEN];
    secret_hash(token, h);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%.12s", token);
    return tokens_insert(d, u.id, h, prefix, name, id_out);
}

hail_err auth_token_revoke_plain(db *d, const char *token)
{
    unsigned char h[TOKEN_HASH_LEN];
    secret_hash(token, h);
    return tokens_revoke_hash(d, h);
}

hail_err auth_bearer(db *d, const char *token, user *out)
{
    if (strlen(token) >= AUTH_TOKEN_MAX)
        return hail_errf(HAIL_EAUTH, "invalid or revoked API token");
    unsigned char h[TOKEN_HASH_LEN];
    secret_hash(token, h);
    int64_t id = 0, last = 0;
    hail_err e = tokens_lookup(d, h, out, &id, &last);
    if (e)
        return e;
    /* last_used_at is a hint for humans ("is this token still in use?"):
     * written at most once a minute, so a busy token costs one small write a
     * minute, and a failed write does not fail the request. */
    int64_t now = time_real_us();
    if (last <= now - AUTH_TOKEN_TOUCH_US && tokens_touch(d, id, now, now - AUTH_TOKEN_TOUCH_US))
        hail_errclear();
    return HAIL_OK;
}

static hail_err limited(db *d, const char *key, int max, int64_t now, int64_t *retry)
{
    int64_t n = 0, oldest = 0;
    hail_err e = login_failure_count(d, key, now - AUTH_LOGIN_WINDOW_US, &n, &oldest);
    if (e)
        return e;
    if (n >= max) {
        *retry = (oldest + AUTH_LOGIN_WINDOW_US - now) / US_PER_SEC + 1;
        return hail_errf(HAIL_EQUOTA, "too many failed sign-ins; try again in %lld s",
                         (long long)*retry);
    }
    return HAIL_OK;
}

/* The rate-limit keys of an attempt. */
typedef struct attempt {
    char kemail[300];
    char kclient[100];
    int64_t now;
    int64_t client_row; /* the pending failure recorded for the client */
} attempt;

static void attempt_init(attempt *a, const char *email, const char *client)
{
    a->now = time_real_us();
    snprintf(a->kemail, sizeof a->kemail, "email:%s", email);
    for (char *p = a->kemail; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    snprintf(a->kclient, sizeof a->kclient, "client:%s", client ? client : "");
    a->client_row = 0;
}

/* Checks both limits and, when neither is reached, records the attempt as a
 * failure for both keys, in one write transaction: concurrent attempts
 * serialise on the write lock, so each sees the ones before it and no more
 * than the limit get past. A success takes its records back (attempt_ok). */
static hail_err attempt_reserve(db *d, attempt *a, int64_t *retry)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    if ((e = limited(d, a->kemail, AUTH_LOGIN_MAX_FAILURES, a->now, retry)) ||
        (e = limited(d, a->kclient, AUTH_LOGIN_MAX_FAILURES * 4, a->now, retry)) ||
        (e = login_failure_record(d, a->kemail, a->now, NULL)) ||
        (e = login_failure_record(d, a->kclient, a->now, &a->client_row)) || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    return HAIL_OK;
}

/* Inside the success transaction: the email's failures are forgotten (its
 * owner proved they know the password); the client's earlier failures stay,
 * or one valid account would let a client reset its own limit between
 * guesses at other accounts. Only this attempt's pending record goes. */
static hail_err attempt_ok(db *d, const attempt *a)
{
    hail_err e = login_failure_clear(d, a->kemail);
    if (!e)
        e = login_failure_delete(d, a->client_row);
    return e;
}

/* Spends as long as a real check, so timing does not tell whether an account
 * exists or has a password. */
static void dummy_verify(const char *password)
{
    pthread_once(&dummy_once, dummy_init);
    (void)auth_verify_password(dummy_hash, password);
}

hail_err auth_login(db *d, const char *email, const char *password, const char *client, user *out,
                    char session[AUTH_TOKEN_MAX], char csrf[64], int64_t *expires_at,
                    int64_t *retry_after_s)
{
    attempt a;
    attempt_init(&a, email, client);
    hail_err e = attempt_reserve(d, &a, retry_after_s);
    if (e)
        return e;

    char *hash = NULL;
    e = users_get_by_email(d, email, out, &hash);
    int ok = 0;
    if (e == HAIL_OK && out->active && hash)
        ok = auth_verify_password(hash, password);
    else if (e == HAIL_ENOTFOUND || e == HAIL_OK)
        dummy_verify(password);
    else
        return e;
    hash_free(hash);
    if (!ok)
        return hail_errf(HAIL_EAUTH, "wrong email or password"); /* already recorded */
    random_secret("", session, AUTH_TOKEN_MAX);
    random_secret("", csrf, 64);
    unsigned char h[TOKEN_HASH_LEN];
    secret_hash(session, h);
    *expires_at = a.now + AUTH_SESSION_TTL_US;
    if ((e = db_begin(d)))
        return e;
    if ((e = attempt_ok(d, &a)) || (e = sessions_insert(d, out->id, h, csrf, *expires_at)) ||
        (e = sessions_delete_expired(d, a.now, AUTH_SESSION_PURGE)) || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    return HAIL_OK;
}

hail_err auth_password_change(db *d, int64_t user_id, const char *current, const char *password,
                              const char *client, const char *keep_session, int64_t *retry_after_s)
{
    hail_err e = auth_password_ok(password);
    if (e)
        return e;
    user u;
    if ((e = users_get(d, user_id, &u)))
        return e;
    if (!u.has_password)
        return hail_errf(HAIL_EINVAL, "this account has no password to change; an admin can "
                                      "set one (hail user passwd)");
    attempt a;
    attempt_init(&a, u.email, client);
    if ((e = attempt_reserve(d, &a, retry_after_s)))
        return e;
    char *old = NULL;
    if ((e = users_get_by_email(d, u.email, &u, &old)))
        return e;
    int ok = old && auth_verify_password(old, current);
    hash_free(old);
    if (!ok)
        return hail_errf(HAIL_EFORBIDDEN, "current password is wrong");
    char *hash = NULL;
    if ((e = auth_hash_password(password, &hash)))
        return e;
    unsigned char keep[TOKEN_HASH_LEN];
    if (keep_session)
        secret_hash(keep_session, keep);
    if ((e = db_begin(d)))
        goto out;
    if ((e = users_update(d, user_id, NULL, NULL, -1, hash)) || (e = attempt_ok(d, &a)) ||
        (e = sessions_delete_user_except(d, user_id, keep_session ? keep : NULL)) ||
        (e = db_commit(d)))
        db_rollback(d);
out:
    hash_free(hash);
    return e;
}

hail_err auth_session(db *d, const char *session, user *out, char csrf[64], int64_t *expires_at)
{
    if (strlen(session) >= AUTH_TOKEN_MAX)
        return hail_errf(HAIL_EAUTH, "session expired or signed out");
    unsigned char h[TOKEN_HASH_LEN];
    secret_hash(session, h);
    return sessions_lookup(d, h, out, csrf, expires_at);
}

hail_err auth_logout(db *d, const char *session)
{
    unsigned char h[TOKEN_HASH_LEN];
    secret_hash(session, h);
    return sessions_delete(d, h);
}
