#include "core/common.h"

#include "core/machine.h"

/* The first n-1 bytes of s in lower case (user agents vary in case; the
 * patterns below are lower case). */
static void lower(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

/* Parts of the User-Agent of link scanners, security gateways, preview bots
 * and HTTP libraries (no mail client sends these). */
static const char *const scanner_agents[] = {
    "bot",
    "crawler",
    "spider",
    "scanner",
    "preview",
    "barracuda",
    "mimecast",
    "proofpoint",
    "urldefense",
    "safelinks",
    "ironport",
    "zscaler",
    "forcepoint",
    "sophos",
    "symantec",
    "trend micro",
    "fireeye",
    "checkpoint",
    "fortinet",
    "cisco",
    "headlesschrome",
    "phantomjs",
    "python-",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
    "httpclient",
    "axios/",
    "node-fetch",
    "facebookexternalhit",
    "whatsapp",
    "office protocol discovery",
    "office existence discovery",
    NULL,
};

/* Apple's proxy asks with exactly "Mozilla/5.0" from Apple's network, 17.0.0.0/8. */
static int apple_network(const char *client)
{
    return client && !strncmp(client, "17.", 3) && isdigit((unsigned char)client[3]);
}

machine_reason machine_classify(const machine_hit *h)
{
    const char *ua = h->user_agent ? h->user_agent : "";
    char lc[1024]; /* longer agents are judged by their start */
    lower(ua, lc, sizeof lc);
    if (h->head)
        return MACHINE_HEAD;
    if (h->kind == 'o') {
        if (!strcmp(ua, "Mozilla/5.0") || apple_network(h->client))
            return MACHINE_APPLE_PROXY;
        if (strstr(lc, "googleimageproxy"))
            return MACHINE_GOOGLE_PROXY;
        if (strstr(lc, "yahoomailproxy"))
            return MACHINE_YAHOO_PROXY;
    }
    if (!*ua)
        return MACHINE_SCANNER_AGENT;
    for (const char *const *s = scanner_agents; *s; s++)
        if (strstr(lc, *s))
            return MACHINE_SCANNER_AGENT;
    if (h->kind != 'c')
        return MACHINE_HUMAN;
    if (h->sent_at > 0 && h->at >= h->sent_at && h->at - h->sent_at < MACHINE_EARLY_US)
        return MACHINE_EARLY;
    if (h->links >= 2 && h->burst_links >= h->links)
        return MACHINE_BURST;
    if (!h->opened)
        return MACHINE_NO_OPEN;
    return MACHINE_HUMAN;
}

const char *machine_reason_name(machine_reason r)
{
    switch (r) {
    case MACHINE_HEAD:
        return "head";
    case MACHINE_APPLE_PROXY:
        return "apple_privacy_proxy";
    case MACHINE_GOOGLE_PROXY:
        return "google_image_proxy";
    case MACHINE_YAHOO_PROXY:
        return "yahoo_image_proxy";
    case MACHINE_SCANNER_AGENT:
        return "scanner_user_agent";
    case MACHINE_EARLY:
        return "soon_after_delivery";
    case MACHINE_BURST:
        return "every_link_in_a_burst";
    case MACHINE_NO_OPEN:
        return "click_without_open";
    default:
        return NULL;
    }
}
