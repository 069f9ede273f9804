#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/http.h"

static void free_params(char **vals, int n)
{
    for (int i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
}

/* Matches one pattern against a path; {name} matches one non-empty segment.
 * With r, a match replaces r->param (as many as the pattern has). Returns 1
 * on a match, 0 when there is none, -1 out of memory. */
static int match(const char *pat, const char *path, http_req *r)
{
    int n = 0, max = 0;
    size_t pl = strlen(pat);
    int prefix = pl >= 2 && !strcmp(pat + pl - 2, "/*");
    for (const char *p = pat; (p = strchr(p, '{')); p++)
        max++;
    max += prefix;
    char **vals = max ? calloc((size_t)max, sizeof *vals) : NULL;
    if (max && !vals)
        return -1;
    while (*pat && *path) {
        if (prefix && pat[0] == '/' && pat[1] == '*' && !pat[2])
            break; /* the rest, "/…", is the last parameter */
        if (*pat == '{') {
            const char *pe = strchr(pat, '}');
            const char *se = strchr(path, '/');
            if (!se)
                se = path + strlen(path);
            if (!pe || se == path)
                goto no;
            vals[n] = strndup(path, (size_t)(se - path));
            if (!vals[n]) {
                free_params(vals, n);
                return -1;
            }
            n++;
            pat = pe + 1;
            path = se;
            continue;
        }
        if (*pat != *path)
            goto no;
        pat++;
        path++;
    }
    if (prefix && !strcmp(pat, "/*")) {
        /* A prefix route matches "/x", "/x/" and "/x/anything". */
        if (*path && *path != '/')
            goto no;
        vals[n] = strdup(*path ? path : "/");
        if (!vals[n]) {
            free_params(vals, n);
            return -1;
        }
        n++;
        pat += 2;
        path += strlen(path);
    }
    if (*pat || *path)
        goto no;
    if (r) {
        free_params(r->param, r->nparams);
        r->param = vals;
        r->nparams = n;
    } else {
        free_params(vals, n);
    }
    return 1;
no:
    free_params(vals, n);
    return 0;
}

void router_match(const route *table, http_req *r)
{
    r->route = NULL;
    r->method_mismatch = 0;
    free(r->allow);
    r->allow = NULL;
    /* HEAD is answered like GET (MHD drops the body). */
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    for (const route *t = table; t->method; t++) {
        int m = strcmp(t->method, method) == 0 ? match(t->pattern, r->path, r) : 0;
        if (m < 0) {
            r->resp_failed = 1; /* out of memory: a 500, not a wrong 404 */
            return;
        }
        if (m) {
            r->route = t;
            return;
        }
    }
    buf allow = BUF_INIT(64 * 1024);
    for (const route *t = table; t->method; t++) {
        if (match(t->pattern, r->path, NULL) != 1)
            continue;
        r->method_mismatch = 1;
        /* Each method once ("GET" is not a part of another method name). */
        int seen = 0;
        for (const route *u = table; u < t && !seen; u++)
            seen = !strcmp(u->method, t->method) && match(u->pattern, r->path, NULL) == 1;
        if (!seen && ((allow.len && buf_puts(&allow, ", ")) || buf_puts(&allow, t->method))) {
            r->resp_failed = 1; /* out of memory: a 500, not a short Allow */
            break;
        }
    }
    if (r->method_mismatch && !r->resp_failed)
        r->allow = buf_detach(&allow, NULL);
    buf_release(&allow);
}
