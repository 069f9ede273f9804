#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "http/http.h"

/* Matches one pattern against a path; {name} matches one non-empty segment. */
static int match(const char *pat, const char *path, http_req *r)
{
    int n = 0;
    char *vals[HTTP_MAX_PARAMS];
    while (*pat && *path) {
        if (*pat == '{') {
            const char *pe = strchr(pat, '}');
            const char *se = strchr(path, '/');
            if (!se)
                se = path + strlen(path);
            if (!pe || se == path || n == HTTP_MAX_PARAMS)
                goto no;
            vals[n] = strndup(path, (size_t)(se - path));
            if (!vals[n])
                goto no;
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
    if (*pat || *path)
        goto no;
    if (r) {
        for (int i = 0; i < r->nparams; i++)
            free(r->param[i]);
        for (int i = 0; i < n; i++)
            r->param[i] = vals[i];
        r->nparams = n;
    } else {
        for (int i = 0; i < n; i++)
            free(vals[i]);
    }
    return 1;
no:
    for (int i = 0; i < n; i++)
        free(vals[i]);
    return 0;
}

void router_match(const route *table, http_req *r)
{
    r->route = NULL;
    r->method_mismatch = 0;
    r->allow[0] = '\0';
    /* HEAD is answered like GET (MHD drops the body). */
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    for (const route *t = table; t->method; t++) {
        if (strcmp(t->method, method) == 0 && match(t->pattern, r->path, r)) {
            r->route = t;
            return;
        }
    }
    for (const route *t = table; t->method; t++) {
        if (match(t->pattern, r->path, NULL)) {
            r->method_mismatch = 1;
            size_t used = strlen(r->allow);
            if (!strstr(r->allow, t->method) && used + strlen(t->method) + 3 < sizeof r->allow) {
                if (used)
                    memcpy(r->allow + used, ", ", 3), used += 2;
                memcpy(r->allow + used, t->method, strlen(t->method) + 1);
            }
        }
    }
}
