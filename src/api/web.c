#include "core/common.h"

/* The web app's files: found in a root directory, served by http/static.c,
 * with index.html for client-side routes and a Content-Security-Policy that
 * allows exactly the app's own scripts and its inline import map (by hash). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/log.h"
#include "store/panel.h"

/* index.html, read when it changes on disk (a rebuild while hail runs). */
struct web_app {
    char root[PATH_MAX];
    pthread_mutex_t mu;
    struct stat seen; /* of the index held */
    char *index;
    size_t index_len;
    char etag[64];
    char csp[768];
};

/* The policy for everything that is not the app's page: nothing may load,
 * nothing may frame it. */
const char api_csp_default[] = "default-src 'none'; frame-ancestors 'none'";

#define WEB_CSP_FMT                                                                                \
    "default-src 'none'; script-src 'self'%s; style-src 'self'; img-src 'self' data:; "            \
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "                  \
    "form-action 'self'; frame-ancestors 'none'"

static int reload_locked(web_app *w);

static int has_index(const char *dir)
{
    char p[PATH_MAX + 16];
    struct stat st;
    int n = snprintf(p, sizeof p, "%.*s/index.html", PATH_MAX, dir);
    return n > 0 && (size_t)n < sizeof p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The default roots: the build tree's web/ (HAIL_BUILD_WEB_DIR, when this
 * binary was built there), then ../share/hail/web beside the binary. */
static int default_root(char *out, size_t n, char *looked, size_t ln)
{
    looked[0] = '\0';
#ifdef HAIL_BUILD_WEB_DIR
    snprintf(looked, ln, "%s", HAIL_BUILD_WEB_DIR);
    if (has_index(HAIL_BUILD_WEB_DIR)) {
        snprintf(out, n, "%s", HAIL_BUILD_WEB_DIR);
        return 1;
    }
#endif
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof cand, "%s/../share/hail/web", exe);
        size_t used = strlen(looked);
        snprintf(looked + used, ln - used, "%s%s", used ? " and " : "", cand);
        if (has_index(cand)) {
            snprintf(out, n, "%s", cand);
            return 1;
        }
    }
    return 0;
}

hail_err web_open(const char *env_root, web_app **out, char *why, size_t why_n)
{
    *out = NULL;
    why[0] = '\0';
    char dir[PATH_MAX + 32];
    if (env_root && *env_root) {
        if (!has_index(env_root))
            return hail_errf(HAIL_EINVAL,
                             "HAIL_WEB_ROOT: '%.200s' is not a directory with an index.html "
                             "(the web app is built by make into <build>/web)",
                             env_root);
        snprintf(dir, sizeof dir, "%s", env_root);
    } else {
        char looked[2 * PATH_MAX];
        if (!default_root(dir, sizeof dir, looked, sizeof looked)) {
            snprintf(why, why_n, "the web app is not built (looked in %s)", looked);
            return HAIL_OK;
        }
    }
    web_app *w = calloc(1, sizeof *w);
    if (!w)
        return HAIL_ENOMEM;
    if (!realpath(dir, w->root)) {
        free(w);
        return hail_errf(HAIL_EIO, "web root '%.200s': %s", dir, strerror(errno));
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_lock(&w->mu);
    reload_locked(w);
    pthread_mutex_unlock(&w->mu);
    *out = w;
    return HAIL_OK;
}

const char *web_root_dir(const web_app *w)
{
    return w ? w->root : NULL;
}

void web_close(web_app *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu);
    free(w->index);
    free(w);
}

/* The text of the page's one <script type="importmap"> element, or NULL. */
static const char *import_map(const char *html, size_t len, size_t *n)
{
    static const char open[] = "<script type=\"importmap\">";
    const char *end = html + len;
    for (const char *p = html; p < end; p++) {
        if ((size_t)(end - p) < sizeof open - 1 || memcmp(p, open, sizeof open - 1) != 0)
            continue;
        const char *body = p + sizeof open - 1;
        for (const char *q = body; q + 9 <= end; q++)
            if (!memcmp(q, "</script>", 9)) {
                *n = (size_t)(q - body);
                return body;
            }
        return NULL;
    }
    return NULL;
}

static void make_csp(web_app *w)
{
    char hash[64] = "";
    size_t n;
    const char *map = import_map(w->index, w->index_len, &n);
    if (map) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, (const unsigned char *)map, n);
        char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
                                           sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
        snprintf(hash, sizeof hash, " 'sha256-%s'", b64);
    }
    snprintf(w->csp, sizeof w->csp, WEB_CSP_FMT, hash);
}

/* Reads index.html again when it changed on disk; w->mu held. Returns 0,
 * or -1 when it cannot be read (what was held stays). */
static int reload_locked(web_app *w)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/index.html", w->root);
    struct stat st;
    if (stat(p, &st) != 0)
        return -1;
    if (w->index && st.st_ino == w->seen.st_ino && st.st_size == w->seen.st_size &&
        st.st_mtim.tv_sec == w->seen.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == w->seen.st_mtim.tv_nsec)
        return 0;
    FILE *f = fopen(p, "rb");
    if (!f)
        return -1;
    buf b = BUF_INIT(1024 * 1024);
    char chunk[8192];
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        bad = buf_append(&b, chunk, got) != HAIL_OK;
    bad = bad || ferror(f);
    fclose(f);
    if (bad) {
        buf_release(&b);
        return -1;
    }
    free(w->index);
    w->index = buf_detach(&b, &w->index_len);
    buf_release(&b);
    w->seen = st;
    http_etag_for(&st, w->etag);
    make_csp(w);
    return 0;
}

/* The policy of the app's files (the page's, once it was read). */
static void current_csp(web_app *w, char out[768])
{
    pthread_mutex_lock(&w->mu);
    reload_locked(w);
    snprintf(out, 768, "%s", w->csp[0] ? w->csp : api_csp_default);
    pthread_mutex_unlock(&w->mu);
}

/* The page's policy with its frame-ancestors replaced by `ancestors` (a
 * source list): the embeddable panel's pages (/panel/…) only. */
static void add_csp(http_req *r, const char *csp, const char *ancestors)
{
    static const char none[] = "frame-ancestors 'none'";
    const char *at = ancestors && *ancestors ? strstr(csp, none) : NULL;
    if (!at) {
        http_add_header(r, "Content-Security-Policy", csp);
        return;
    }
    buf b = BUF_INIT(64 * 1024);
    if (buf_append(&b, csp, (size_t)(at - csp)) || buf_puts(&b, "frame-ancestors ") ||
        buf_puts(&b, ancestors) || buf_puts(&b, at + sizeof none - 1))
        http_add_header(r, "Content-Security-Policy", csp); /* out of memory: framed by none */
    else
        http_add_header(r, "Content-Security-Policy", buf_cstr(&b));
    buf_release(&b);
}

static void send_index(web_app *w, http_req *r, const char *ancestors)
{
    pthread_mutex_lock(&w->mu);
    if (reload_locked(w) != 0 || !w->index) {
        pthread_mutex_unlock(&w->mu);
        log_error("web: cannot read %s/index.html", w->root);
        http_reply_error(r, 404, "not_found", "the web app is not built");
        return;
    }
    char etag[64], csp[768];
    snprintf(etag, sizeof etag, "%s", w->etag);
    snprintf(csp, sizeof csp, "%s", w->csp);
    int same = http_etag_matches(r, etag);
    if (!same)
        http_reply_raw(r, 200, "text/html; charset=utf-8", w->index, w->index_len);
    pthread_mutex_unlock(&w->mu);
    if (same)
        http_reply_raw(r, 304, NULL, "", 0);
    http_set_cache(r, "no-cache");
    http_add_header(r, "ETag", etag);
    add_csp(r, csp, ancestors);
}

static int has_prefix(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && (path[n] == '/' || path[n] == '\0');
}

int api_web_path(const char *path)
{
    return !has_prefix(path, "/api") && strcmp(path, "/healthz") != 0;
}

void api_web(http_req *r)
{
    api_ctx *ctx = r->app;
    web_app *w = ctx->web;
    const char *path = r->nparams ? r->param[r->nparams - 1] : r->path;
    if (!w) {
        http_reply_error(r, 404, "not_found",
                         "the web app is not installed on this server (see HAIL_WEB_ROOT)");
        return;
    }
    if (!http_static_path_ok(path)) {
        http_reply_error(r, 400, "bad_request", "bad path");
        return;
    }
    if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
        send_index(w, r, NULL);
        return;
    }
    int vendor = has_prefix(path, "/vendor");
    /* Vendored packages have their version in the path: cached for good.
     * The app's own files keep their names across versions: revalidated. */
    if (http_static_file(r, w->root, path,
                         vendor ? "public, max-age=31536000, immutable" : "no-cache")) {
        char csp[768];
        current_csp(w, csp);
        http_add_header(r, "Content-Security-Policy", csp);
        return;
    }
    /* A client-side route (/people/12) is the app's page; a missing file
     * (a name with a dot, or under the app's own folders) is a 404. */
    const char *last = strrchr(path, '/');
    if (vendor || has_prefix(path, "/app") || strchr(last ? last : path, '.')) {
        http_reply_error(r, 404, "not_found", "no such file");
        return;
    }
    /* The embeddable panel may be framed by the admin's allowlist
     * (docs/insight.md); every other page by nothing. */
    if (has_prefix(path, "/panel")) {
        buf list = BUF_INIT(64 * 1024);
        db *d = api_db(r);
        if (!d || panel_origins_csp(d, &list)) {
            buf_release(&list);
            if (d)
                http_reply_error(r, 500, "internal", "cannot read the panel's settings");
            return;
        }
        send_index(w, r, buf_cstr(&list));
        buf_release(&list);
        return;
    }
    send_index(w, r, NULL);
}
