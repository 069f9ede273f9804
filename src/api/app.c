#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "svc/settings.h"
#include "sync/sync.h"

/* https://host[:port], no trailing slash, path, query or user: the web app
 * appends /lightning/r/<Object>/<id>/view to it. */
hail_err api_salesforce_url_check(const char *v)
{
    static const char scheme[] = "https://";
    const char *h = v, *p;
    int ok = !strncmp(v, scheme, sizeof scheme - 1);
    if (ok) {
        h = v + sizeof scheme - 1;
        for (p = h; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.';
             p++)
            ;
        ok = p > h && *h != '.' && *h != '-' && p[-1] != '.' && p[-1] != '-';
        if (ok && *p == ':') {
            const char *port = ++p;
            long n = 0;
            while (*p >= '0' && *p <= '9' && n <= 65535)
                n = n * 10 + (*p++ - '0');
            ok = p > port && p - port <= 5 && n >= 1 && n <= 65535;
        }
        ok = ok && *p == '\0';
    }
    if (!ok)
        return hail_errf(HAIL_EINVAL,
                         "HAIL_SALESFORCE_URL must be an https URL with a host and no path or "
                         "trailing slash, such as https://acme.my.salesforce.com, not '%.80s'",
                         v);
    return HAIL_OK;
}

void api_app(http_req *r)
{
    /* checked at start-up (cli_check_env) */
    json_t *j = json_pack("{s:s,s:s?,s:b}", "version", HAIL_VERSION, "salesforce_url",
                          settings()->salesforce_url, "marketo_configured", marketo_configured());
    api_reply(r, HAIL_OK, 200, j);
}
