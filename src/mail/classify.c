#include "core/common.h"

#include "mail/classify.h"

#include <gmime/gmime.h>
#include <jansson.h>
#include <pthread.h>

#include "core/utf8.h"

/* Everything here works on bounded copies of the message's text: a part's
 * text is cut at TEXT_MAX bytes, so a 30 MB attachment costs no more than a
 * short note. */
#define TEXT_MAX   (256 * 1024)
#define DEPTH_MAX  16
#define DETAIL_MAX 500

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static void gmime_init_once(void)
{
    g_mime_init();
}

const char *classify_kind_name(classify_kind k)
{
    switch (k) {
    case CLASSIFY_REPLY:
        return "reply";
    case CLASSIFY_AUTOREPLY:
        return "autoreply";
    case CLASSIFY_BOUNCE:
        return "bounce";
    case CLASSIFY_COMPLAINT:
        return "complaint";
    case CLASSIFY_OTHER:
        break;
    }
    return "other";
}

/* ---- small text helpers ---- */

static char *xstrdup(const char *s)
{
    return strdup(s ? s : "");
}

static void lower_ascii(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static bool has_ci(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

/* Any of the lower-case needles in the lower-case text. */
static bool has_any(const char *text, const char *const *needles, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(text, needles[i]))
            return true;
    return false;
}
#define HAS_ANY(text, arr) has_any((text), (arr), sizeof(arr) / sizeof((arr)[0]))

/* Valid UTF-8, one line, at most max bytes (whole characters). */
static char *clean_line(const char *s, size_t max)
{
    GString *g = g_string_new(NULL);
    bool space = false;
    for (const char *p = s; *p && g->len < max;) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80) {
            if (isspace(c) || iscntrl(c)) {
                space = g->len > 0;
            } else {
                if (space)
                    g_string_append_c(g, ' ');
                space = false;
                g_string_append_c(g, (char)c);
            }
            p++;
            continue;
        }
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        size_t avail = strnlen(p, n);
        if (avail == n && utf8_is_valid(p, n) && g->len + n + 1 <= max) {
            if (space)
                g_string_append_c(g, ' ');
            space = false;
            g_string_append_len(g, p, (gssize)n);
            p += n;
        } else {
            p++;
        }
    }
    char *out = xstrdup(g->str);
    g_string_free(g, TRUE);
    return out;
}

/* ---- addresses ---- */

static bool local_ch(unsigned char c)
{
    return isalnum(c) || (c && strchr("._%+-='!#$&*?^`{|}~", c));
}

static bool domain_ch(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.';
}

/* The next address in text from *pos: lower case, allocated; NULL at the end.
 * *start gets its offset. */
static char *next_address(const char *text, size_t *pos, size_t *start)
{
    const char *p = text + *pos;
    while ((p = strchr(p, '@'))) {
        const char *l = p, *r = p + 1;
        while (l > text && local_ch((unsigned char)l[-1]))
            l--;
        while (*l == '.')
            l++;
        while (domain_ch((unsigned char)*r))
            r++;
        while (r > p + 1 && (r[-1] == '.' || r[-1] == '-'))
            r--;
        const char *dot = memchr(p + 1, '.', (size_t)(r - p - 1));
        if (l < p && dot && r - p > 3 && dot > p + 1) {
            *start = (size_t)(l - text);
            *pos = (size_t)(r - text);
            char *a = strndup(l, (size_t)(r - l));
            if (a)
                lower_ascii(a);
            return a;
        }
        p++;
    }
    *pos = strlen(text);
    return NULL;
}

static bool daemon_address(const char *a)
{
    static const char *const locals[] = {"mailer-daemon@", "postmaster@", "post_master@",
                                         "mail-daemon@"};
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++)
        if (!strncmp(a, locals[i], strlen(locals[i])))
            return true;
    return false;
}

/* The bare address of a header value ("Ann <a@b>" → "a@b"), lower case. */
static char *header_address(const char *v)
{
    if (!v)
        return NULL;
    size_t pos = 0, st;
    return next_address(v, &pos, &st);
}

/* ---- Message-IDs ---- */

static void add_ref(GPtrArray *refs, const char *id, size_t n)
{
    if (n < 3 || n > 995 || !memchr(id, '@', n))
        return;
    for (guint i = 0; i < refs->len; i++) {
        const char *r = refs->pdata[i];
        if (strlen(r) == n && !strncmp(r, id, n))
            return;
    }
    g_ptr_array_add(refs, strndup(id, n));
}

/* Every "<…@…>" in s, in order. */
static void add_refs_from(GPtrArray *refs, const char *s)
{
    for (const char *p = s; p && (p = strchr(p, '<'));) {
        const char *e = strpbrk(p + 1, "<> \t\r\n");
        if (!e)
            break;
        if (*e == '>')
            add_ref(refs, p, (size_t)(e - p + 1));
        p = e;
    }
}

/* The Message-ID header lines quoted in text ("Message-ID: <…>"). */
static void add_quoted_message_ids(GPtrArray *refs, const char *text)
{
    for (const char *p = text; (p = strcasestr(p, "message-id:"));) {
        bool bol = p == text || p[-1] == '\n' || p[-1] == ' ' || p[-1] == '\t';
        p += 11;
        if (!bol)
            continue;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '<') {
            const char *e = strpbrk(p + 1, "<> \t\r\n");
            if (e && *e == '>')
                add_ref(refs, p, (size_t)(e - p + 1));
        }
    }
}

int64_t classify_hail_email_id(const char *id)
{
    if (!id)
        return 0;
    const char *p = strstr(id, "<hail.");
    if (!p)
        p = !strncmp(id, "hail.", 5) ? id - 1 : NULL;
    if (!p)
        return 0;
    p += 6;
    int64_t v = 0;
    int n = 0;
    while (isdigit((unsigned char)*p) && n < 18) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    return n && *p == '.' ? v : 0;
}

/* ---- walking the MIME tree ---- */

typedef struct scan {
    GString *text;     /* text/plain parts outside returned messages */
    GString *html;     /* text/html parts, tags stripped */
    GString *dsn;      /* message/delivery-status */
    GString *feedback; /* message/feedback-report */
    GString *orig;     /* text/rfc822-headers and the returned messages' headers */
    GPtrArray *msgs;   /* returned messages (GMimeMessage *, borrowed) */
    char *jmrp_rcpt;   /* Hotmail's X-HmXmrOriginalRecipient */
} scan;

static void append_stream_text(GString *dst, GMimeObject *o)
{
    if (!GMIME_IS_PART(o) || dst->len >= TEXT_MAX)
        return;
    GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
    if (!w)
        return;
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeStream *f = g_mime_stream_filter_new(mem);
    const char *cs = g_mime_object_get_content_type_parameter(o, "charset");
    if (!cs || !g_ascii_strcasecmp(cs, "us-ascii")) {
        /* undeclared Japanese text (JIS escapes) is common in Japanese bounces */
        GMimeStream *peek = g_mime_stream_mem_new();
        g_mime_data_wrapper_write_to_stream(w, peek);
        GByteArray *pb = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(peek));
        if (pb->len > 3 && memmem(pb->data, pb->len, "\x1b$B", 3))
            cs = "iso-2022-jp";
        g_object_unref(peek);
    }
    if (cs && g_ascii_strcasecmp(cs, "utf-8") && g_ascii_strcasecmp(cs, "us-ascii")) {
        GMimeFilter *cf = g_mime_filter_charset_new(cs, "UTF-8");
        if (cf) {
            g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), cf);
            g_object_unref(cf);
        }
    }
    g_mime_data_wrapper_write_to_stream(w, f);
    g_mime_stream_flush(f);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    size_t n = ba->len;
    if (n > TEXT_MAX - dst->len)
        n = TEXT_MAX - dst->len;
    /* NULs would cut the text short for the string functions below. */
    for (size_t i = 0; i < n; i++)
        g_string_append_c(dst, ba->data[i] ? (char)ba->data[i] : ' ');
    g_string_append_c(dst, '\n');
    g_object_unref(f);
    g_object_unref(mem);
}

static void strip_html(GString *dst, const char *h)
{
    bool tag = false;
    for (const char *p = h; *p && dst->len < TEXT_MAX; p++) {
        if (*p == '<') {
            tag = true;
            if (!g_ascii_strncasecmp(p, "<br", 3) || !g_ascii_strncasecmp(p, "<p", 2) ||
                !g_ascii_strncasecmp(p, "<div", 4) || !g_ascii_strncasecmp(p, "<tr", 3))
                g_string_append_c(dst, '\n');
        } else if (*p == '>' && tag) {
            tag = false;
        } else if (!tag) {
            if (!strncmp(p, "&lt;", 4)) {
                g_string_append_c(dst, '<');
                p += 3;
            } else if (!strncmp(p, "&gt;", 4)) {
                g_string_append_c(dst, '>');
                p += 3;
            } else if (!strncmp(p, "&nbsp;", 6)) {
                g_string_append_c(dst, ' ');
                p += 5;
            } else if (!strncmp(p, "&amp;", 5)) {
                g_string_append_c(dst, '&');
                p += 4;
            } else {
                g_string_append_c(dst, *p);
            }
        }
    }
    g_string_append_c(dst, '\n');
}

static void append_headers(GString *dst, GMimeObject *o)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(o);
    int n = g_mime_header_list_get_count(hl);
    for (int i = 0; i < n && dst->len < TEXT_MAX; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *v = g_mime_header_get_value(h);
        g_string_append_printf(dst, "%s: %s\n", g_mime_header_get_name(h), v ? v : "");
    }
}

static void walk(GMimeObject *o, scan *s, int depth)
{
    if (!o || depth > DEPTH_MAX)
        return;
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
    if (!type)
        type = "text";
    if (!sub)
        sub = "plain";
    if (GMIME_IS_MULTIPART(o)) {
        int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        if (n == 0) { /* a boundary that never comes: the body is all prologue */
            const char *pro = g_mime_multipart_get_prologue(GMIME_MULTIPART(o));
            if (pro && s->text->len < TEXT_MAX)
                g_string_append_len(s->text, pro,
                                    (gssize)MIN(strlen(pro), TEXT_MAX - s->text->len));
        }
        for (int i = 0; i < n; i++)
            walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), s, depth + 1);
        return;
    }
    if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        if (!m)
            return;
        if (!g_ascii_strcasecmp(sub, "delivery-status") ||
            !g_ascii_strcasecmp(sub, "global-delivery-status")) {
            append_headers(s->dsn, GMIME_OBJECT(m));
            return;
        }
        g_ptr_array_add(s->msgs, m);
        append_headers(s->orig, GMIME_OBJECT(m));
        const char *j = g_mime_object_get_header(GMIME_OBJECT(m), "X-HmXmrOriginalRecipient");
        if (j && !s->jmrp_rcpt)
            s->jmrp_rcpt = header_address(j);
        return;
    }
    if (!GMIME_IS_PART(o))
        return;
    if (!g_ascii_strcasecmp(type, "message") || !g_ascii_strcasecmp(type, "text")) {
        if (!g_ascii_strcasecmp(sub, "delivery-status") ||
            !g_ascii_strcasecmp(sub, "global-delivery-status"))
            append_stream_text(s->dsn, o);
        else if (!g_ascii_strcasecmp(sub, "feedback-report"))
            append_stream_text(s->feedback, o);
        else if (!g_ascii_strcasecmp(sub, "rfc822-headers") ||
                 !g_ascii_strcasecmp(sub, "global-headers") || !g_ascii_strcasecmp(type, "message"))
            append_stream_text(s->orig, o);
        else if (!g_ascii_strcasecmp(sub, "html")) {
            GString *h = g_string_new(NULL);
            append_stream_text(h, o);
            strip_html(s->html, h->str);
            g_string_free(h, TRUE);
        } else if (!g_ascii_strcasecmp(sub, "plain") || !g_ascii_strcasecmp(type, "text"))
            append_stream_text(s->text, o);
    } else if (!g_ascii_strcasecmp(sub, "plain")) {
        append_stream_text(s->text, o); /* "test/plain": seen in the wild */
    }
}

/* ---- hard or soft ---- */

/* Texts that say the address will never work. */
static const char *const hard_user[] = {"user unknown",
                                        "unknown user",
                                        "no such user",
                                        "no such mailbox",
                                        "mailbox not found",
                                        "does not exist",
                                        "doesn't exist",
                                        "does not have an account",
                                        "doesn't have a",
                                        "invalid recipient",
                                        "unknown recipient",
                                        "recipient unknown",
                                        "no such recipient",
                                        "not a valid mailbox",
                                        "mailbox unavailable",
                                        "user not found",
                                        "recipient not found",
                                        "addressee unknown",
                                        "unknown address",
                                        "invalid mailbox",
                                        "invalid address",
                                        "bad destination mailbox",
                                        "no mailbox",
                                        "unknown local part",
                                        "unrouteable address",
                                        "not listed in",
                                        "no such person",
                                        "no such account",
                                        "account does not exist",
                                        "address rejected",
                                        "unknown or illegal user",
                                        "user doesn't exist",
                                        "not our customer",
                                        "mailbox is unavailable",
                                        "no longer valid",
                                        "not exist",
                                        "address unknown",
                                        "recipient address rejected",
                                        "mailbox does not exist",
                                        "user invalid",
                                        "is not a valid",
                                        "unknown mailbox",
                                        "invalid user",
                                        "no valid recipients",
                                        "recipient rejected",
                                        "no user",
                                        "nonexistent",
                                        "non-existent",
                                        "undeliverable address",
                                        "couldn't be found",
                                        "could not be found",
                                        "unknown email address",
                                        "not found in",
                                        "user unknown"};
static const char *const hard_host[] = {"host unknown",
                                        "host not found",
                                        "domain not found",
                                        "unknown domain",
                                        "no such domain",
                                        "domain does not exist",
                                        "unrouteable mail domain",
                                        "host or domain name not found",
                                        "name or service not known",
                                        "no mx",
                                        "mx record",
                                        "dns error",
                                        "unknown host",
                                        "domain name not found",
                                        "illegal host",
                                        "domain is not",
                                        "hostname lookup failure",
                                        "host name lookup failure",
                                        "no route to host",
                                        "does not accept mail",
                                        "null mx",
                                        "domain no longer",
                                        "nxdomain"};
static const char *const hard_moved[] = {"has moved", "user moved", "address has changed",
                                         "no longer with", "is no longer"};
/* Texts that say it is something else: the mailbox is there but refused this
 * time, or the sender, the message or the connection was the problem. */
static const char *const soft_any[] = {"mailbox full",
                                       "mailbox is full",
                                       "quota",
                                       "over the limit",
                                       "insufficient",
                                       "storage",
                                       "mailbox size",
                                       "exceeded",
                                       "too many",
                                       "rate limit",
                                       "rate-limit",
                                       "spam",
                                       "blacklist",
                                       "block list",
                                       "blocklist",
                                       "blocked",
                                       "reputation",
                                       "dmarc",
                                       "spf",
                                       "dkim",
                                       "authentication",
                                       "unauthenticated",
                                       "virus",
                                       "malware",
                                       "message size",
                                       "too large",
                                       "too big",
                                       "size limit",
                                       "temporar",
                                       "try again",
                                       "timed out",
                                       "timeout",
                                       "suspend",
                                       "disabled",
                                       "inactive",
                                       "deactivated",
                                       "frozen",
                                       "policy",
                                       "relay",
                                       "content rejected",
                                       "not permitted",
                                       "sender address rejected",
                                       "sender rejected",
                                       "sender was rejected",
                                       "sender denied",
                                       "ptr",
                                       "reverse dns",
                                       "rdns",
                                       "expired",
                                       "delayed",
                                       "retry",
                                       "helo",
                                       "not accepted",
                                       "tls",
                                       "greylist",
                                       "access denied",
                                       "denied",
                                       "loop",
                                       "refused",
                                       "filter",
                                       "prohibited",
                                       "security",
                                       "not authorized",
                                       "unauthorized",
                                       "syntax",
                                       "mailbox unavailable for",
                                       "permission"};

static bool status_hard(const char *st)
{
    if (!st || !*st)
        return false;
    const char *d = st + 1; /* ".1.1" */
    if (st[0] == '5' &&
        (!strcmp(d, ".1.1") || !strcmp(d, ".1.2") || !strcmp(d, ".1.3") || !strcmp(d, ".1.6") ||
         !strcmp(d, ".1.10") || !strcmp(d, ".4.4") || !strcmp(d, ".7.27") || !strcmp(d, ".1.351")))
        return true;
    if (st[0] == '4' && (!strcmp(d, ".1.1") || !strcmp(d, ".1.2")))
        return true;
    return false;
}

static bool status_soft(const char *st)
{
    if (!st || !*st)
        return false;
    if (st[0] == '4')
        return true;
    const char *d = st + 1;
    /* mailbox full, system, network, protocol, content and policy classes */
    return !strncmp(d, ".2.2", 4) || !strncmp(d, ".2.3", 4) || !strncmp(d, ".3.", 3) ||
           !strncmp(d, ".4.", 3) || !strncmp(d, ".5.", 3) || !strncmp(d, ".6.", 3) ||
           !strncmp(d, ".7.", 3) || !strcmp(d, ".1.7") || !strcmp(d, ".1.8");
}

/* Texts that say so whatever else the reply says (the last three: "not
 * found", "does not exist", "unknown address" in Japanese). */
static const char *const hard_strong[] = {"user unknown",
                                          "unknown user",
                                          "no such user",
                                          "does not exist",
                                          "doesn't exist",
                                          "invalid recipient",
                                          "unknown recipient",
                                          "recipient unknown",
                                          "not recognized",
                                          "recipient address rejected: access denied",
                                          "mailbox unavailable (",
                                          "requested action not taken: mailbox unavailable",
                                          "domain is not reachable",
                                          "indicated no smtp service",
                                          "null mx",
                                          "does not accept mail",
                                          "no such domain",
                                          "host unknown",
                                          "domain not found",
                                          "inactive email address",
                                          "no mailbox here",
                                          "addressee unknown",
                                          "no such recipient",
                                          "not listed in",
                                          "address couldn't be found",
                                          "account or domain may not exist",
                                          "and other recipients in the same domain",
                                          "not accepting network messages",
                                          "見つかりません",
                                          "存在しません",
                                          "宛先不明"};
/* The reply came after the message itself: the address was accepted, the
 * content was refused (a filter), so the address may work. */
static const char *const after_data[] = {"end of data", "after data", "final data", "data command",
                                         ">>> data"};

/* status and diag: the recipient's; context (may be NULL): more of the
 * report's text about it, read only for when the server replied. */
static bool decide_hard3(const char *status, const char *diag, const char *context)
{
    char *t = xstrdup(diag);
    lower_ascii(t);
    bool data = HAS_ANY(t, after_data);
    if (context && !data) {
        char *c = xstrdup(context);
        lower_ascii(c);
        data = HAS_ANY(c, after_data);
        free(c);
    }
    bool strong = HAS_ANY(t, hard_strong);
    bool h = strong || HAS_ANY(t, hard_user) || HAS_ANY(t, hard_host) || HAS_ANY(t, hard_moved);
    bool s = HAS_ANY(t, soft_any);
    free(t);
    const char *st = status ? status : "";
    bool sh = status_hard(st), ss = status_soft(st);
    /* the mailbox is full, or the sender (5.1.7, 5.1.8) was refused */
    if (data || !strncmp(st, "5.2.0", 5) || !strcmp(st, "5.2.2") || !strcmp(st, "4.2.2") ||
        !strcmp(st, "5.1.7") || !strcmp(st, "5.1.8"))
        return false;
    if (st[0] == '4' && !sh)
        return false;
    if (strong)
        return true;
    if (s)
        return false;
    if (sh)
        return true;
    return h && !ss;
}

static bool decide_hard(const char *status, const char *diag)
{
    return decide_hard3(status, diag, NULL);
}

/* The first "d.d.d" status code in s ("" when none), not part of an IP address. */
static void find_status(const char *s, char out[16])
{
    out[0] = 0;
    for (const char *p = s; p && *p; p++) {
        if (*p != '2' && *p != '4' && *p != '5')
            continue;
        if (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))
            continue;
        const char *q = p + 1;
        if (*q != '.')
            continue;
        q++;
        int n = 0;
        while (isdigit((unsigned char)*q) && n < 4)
            q++, n++;
        if (!n || n > 3 || *q != '.')
            continue;
        q++;
        n = 0;
        while (isdigit((unsigned char)*q) && n < 4)
            q++, n++;
        if (!n || n > 3 || isdigit((unsigned char)*q))
            continue;
        if (*q == '.' && isdigit((unsigned char)q[1]))
            continue;
        size_t len = (size_t)(q - p);
        if (len < 16 && *p != '2') {
            memcpy(out, p, len);
            out[len] = 0;
            return;
        }
    }
}

/* ---- RFC 3464 ---- */

typedef struct field_block {
    char *rcpt, *orig_rcpt, *action, *status, *diag;
} field_block;

static void block_clear(field_block *b)
{
    free(b->rcpt);
    free(b->orig_rcpt);
    free(b->action);
    free(b->status);
    free(b->diag);
    memset(b, 0, sizeof *b);
}

/* "rfc822; <a@b>" → "a@b" (lower case). */
static char *typed_address(const char *v)
{
    const char *semi = strchr(v, ';');
    char *a = header_address(semi ? semi + 1 : v);
    if (!a)
        a = header_address(v);
    return a;
}

static void set_field(field_block *b, const char *name, const char *value)
{
    char **slot = NULL;
    if (!g_ascii_strcasecmp(name, "final-recipient"))
        slot = &b->rcpt;
    else if (!g_ascii_strcasecmp(name, "original-recipient"))
        slot = &b->orig_rcpt;
    else if (!g_ascii_strcasecmp(name, "action"))
        slot = &b->action;
    else if (!g_ascii_strcasecmp(name, "status"))
        slot = &b->status;
    else if (!g_ascii_strcasecmp(name, "diagnostic-code"))
        slot = &b->diag;
    if (!slot || *slot)
        return;
    *slot = xstrdup(value);
}

typedef struct rcpt_list {
    GArray *a; /* classify_rcpt */
} rcpt_list;

static void rcpt_add(GArray *a, const char *addr, const char *status, bool hard, const char *detail)
{
    classify_rcpt r = {0};
    r.address = xstrdup(addr);
    r.status = xstrdup(status);
    r.hard = hard;
    r.detail = clean_line(detail ? detail : "", DETAIL_MAX);
    g_array_append_val(a, r);
}

/* The text about addr in a longer text: from its first mention, a few lines. */
static char *text_about(const char *text, const char *addr)
{
    const char *p = addr && *addr ? strcasestr(text, addr) : NULL;
    if (!p)
        return xstrdup(text);
    while (p > text && p[-1] != '\n')
        p--;
    const char *e = p;
    for (int lines = 0; lines < 6 && *e; lines++) {
        const char *nl = strchr(e, '\n');
        if (!nl) {
            e += strlen(e);
            break;
        }
        e = nl + 1;
        if (lines > 0 && (*e == '\n' || (*e == '\r' && e[1] == '\n')))
            break;
    }
    return strndup(p, (size_t)(e - p));
}

static void flush_block(field_block *b, GArray *out, int *delivered, const char *fallback_text)
{
    if (b->rcpt || b->orig_rcpt) {
        char *addr = typed_address(b->rcpt ? b->rcpt : b->orig_rcpt);
        if (!addr && b->orig_rcpt)
            addr = typed_address(b->orig_rcpt);
        const char *act = b->action ? b->action : "";
        if (has_ci(act, "deliver") || has_ci(act, "relay") || has_ci(act, "expand")) {
            (*delivered)++;
        } else {
            char st[16];
            find_status(b->status ? b->status : "", st);
            const char *dg = b->diag ? strchr(b->diag, ';') : NULL;
            dg = dg ? dg + 1 : b->diag ? b->diag : "";
            while (*dg == ' ')
                dg++;
            char *about = text_about(fallback_text, addr);
            if (!st[0])
                find_status(dg, st);
            rcpt_add(out, addr ? addr : "", st,
                     decide_hard3(st, *dg ? dg : about, addr && *addr ? about : NULL),
                     *dg ? dg : about);
            free(about);
        }
        free(addr);
    }
    block_clear(b);
}

/* Parses the report's fields; adds failed and delayed recipients. *delivered
 * counts those reported delivered, relayed or expanded. */
static void parse_dsn(const char *text, GArray *out, int *delivered, const char *fallback_text)
{
    field_block b = {0};
    GString *name = g_string_new(NULL), *value = g_string_new(NULL);
    const char *p = text;
    for (;;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        bool cont = n && (p[0] == ' ' || p[0] == '\t');
        if (cont && name->len) {
            g_string_append_c(value, ' ');
            const char *q = p;
            while (*q == ' ' || *q == '\t')
                q++;
            g_string_append_len(value, q, (gssize)(n - (size_t)(q - p)));
        } else {
            if (name->len) {
                set_field(&b, name->str, g_strstrip(value->str));
                g_string_truncate(name, 0);
            }
            g_string_truncate(value, 0);
            const char *colon = n ? memchr(p, ':', n) : NULL;
            if (colon) {
                g_string_append_len(name, p, (gssize)(colon - p));
                g_strstrip(name->str);
                name->len = strlen(name->str);
                /* blocks some MTAs run together without the blank line */
                if ((b.rcpt && !g_ascii_strcasecmp(name->str, "final-recipient")) ||
                    (b.orig_rcpt && !g_ascii_strcasecmp(name->str, "original-recipient"))) {
                    flush_block(&b, out, delivered, fallback_text);
                }
                g_string_append_len(value, colon + 1, (gssize)(n - (size_t)(colon + 1 - p)));
            }
            if (!n || !e) { /* end of a block */
                flush_block(&b, out, delivered, fallback_text);
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    block_clear(&b);
    g_string_free(name, TRUE);
    g_string_free(value, TRUE);
}

/* ---- free-text bounces ---- */

/* Where the returned copy of the message starts in a text bounce. */
static size_t original_start(const char *t)
{
    static const char *const marks[] = {"this is a copy of the message",
                                        "below this line is a copy",
                                        "original message follows",
                                        "----- original message",
                                        "message headers follow",
                                        "copy of the original message",
                                        "------ original message",
                                        "original message headers",
                                        "the headers of the original",
                                        "--- the header of the original message",
                                        "returned message follows",
                                        "unsent message below",
                                        "your message reads",
                                        "a copy of the original message",
                                        "original message header",
                                        "included is a copy"};
    size_t best = strlen(t);
    char *low = xstrdup(t);
    lower_ascii(low);
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const char *m = strstr(low, marks[i]);
        if (m && (size_t)(m - low) < best)
            best = (size_t)(m - low);
    }
    /* A header block starting a line: the copy without a marker. */
    static const char *const heads[] = {"\nreturn-path:", "\nreceived: from",
                                        "\ndkim-signature:", "\nx-received:"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        const char *m = strstr(low, heads[i]);
        if (m && (size_t)(m - low) < best && m > low + 40)
            best = (size_t)(m - low);
    }
    free(low);
    /* back to the start of that line */
    while (best > 0 && t[best - 1] != '\n')
        best--;
    return best;
}

static bool in_header_line(const char *text, size_t at)
{
    size_t b = at;
    while (b > 0 && text[b - 1] != '\n')
        b--;
    static const char *const names[] = {
        "message-id:", "from:",        "return-path:",  "reply-to:",        "sender:",
        "references:", "in-reply-to:", "envelope-from", "x-original-sender"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!g_ascii_strncasecmp(text + b, names[i], strlen(names[i])))
            return true;
    return false;
}

static bool in_list(GPtrArray *l, const char *a)
{
    for (guint i = 0; i < l->len; i++)
        if (!strcmp(l->pdata[i], a))
            return true;
    return false;
}

/* The failed recipients of a text bounce: X-Failed-Recipients when given,
 * else the addresses of its error text other than the sender's. */
static void parse_text_bounce(const char *text, const char *subject, const char *xfailed,
                              GPtrArray *own, GArray *out)
{
    size_t cut = original_start(text);
    char *err = strndup(text, cut);
    if (!err)
        return;
    GPtrArray *addrs = g_ptr_array_new_with_free_func(free);
    GArray *offs = g_array_new(FALSE, FALSE, sizeof(size_t));
    size_t pos = 0, st = 0;
    char *a;
    while ((a = next_address(err, &pos, &st))) {
        if (daemon_address(a) || in_list(own, a) || in_list(addrs, a) || in_header_line(err, st)) {
            free(a);
            continue;
        }
        g_ptr_array_add(addrs, a);
        g_array_append_val(offs, st);
    }
    GPtrArray *want = g_ptr_array_new_with_free_func(free);
    if (xfailed && *xfailed) {
        size_t p2 = 0, s2;
        while ((a = next_address(xfailed, &p2, &s2)))
            if (in_list(want, a))
                free(a);
            else
                g_ptr_array_add(want, a);
    }
    if (!want->len)
        for (guint i = 0; i < addrs->len; i++)
            g_ptr_array_add(want, xstrdup(addrs->pdata[i]));
    GString *whole = g_string_new(err);
    if (subject)
        g_string_append_printf(whole, "\n%s", subject);
    for (guint i = 0; i < want->len; i++) {
        const char *w = want->pdata[i];
        /* this recipient's text: from its address to the next one's */
        GString *diag = g_string_new(NULL);
        if (want->len == 1) {
            g_string_append(diag, whole->str);
        } else {
            size_t from = 0, to = strlen(err);
            bool found = false;
            for (guint k = 0; k < addrs->len; k++) {
                if (!strcmp(addrs->pdata[k], w)) {
                    from = g_array_index(offs, size_t, k);
                    found = true;
                    if (k + 1 < addrs->len)
                        to = g_array_index(offs, size_t, k + 1);
                    break;
                }
            }
            if (found && to > from)
                g_string_append_len(diag, err + from, (gssize)(to - from));
            else
                g_string_append(diag, whole->str);
        }
        char stc[16];
        find_status(diag->str, stc);
        if (!stc[0] && want->len > 1)
            find_status(err, stc);
        bool hard = decide_hard(stc, diag->str);
        /* the detail: the lines that carry the server's words */
        const char *d = diag->str;
        const char *said = NULL;
        static const char *const cues[] = {"said:",    "said ",         "error:",   "reason:",
                                           "because:", "returned was:", "failure:", "status:"};
        for (size_t c = 0; c < sizeof cues / sizeof cues[0] && !said; c++)
            said = strcasestr(d, cues[c]);
        rcpt_add(out, w, stc, hard, said ? said : d);
        g_string_free(diag, TRUE);
    }
    g_string_free(whole, TRUE);
    g_ptr_array_free(want, TRUE);
    g_ptr_array_free(addrs, TRUE);
    g_array_free(offs, TRUE);
    free(err);
}

/* Whether a message that is no report looks like a bounce. */
static bool looks_like_bounce(GMimeObject *mo, const char *from, const char *from_name,
                              const char *subject, const char *text, const char *xfailed,
                              bool returned)
{
    if (xfailed && *xfailed)
        return true;
    /* a mailing-list manager refusing the message (fml: "not member", "Loop Alert") */
    if (g_mime_object_get_header(mo, "X-MLServer") && from &&
        (strstr(from, "-admin@") || !strncmp(from, "owner-", 6) || strstr(from, "-request@")) &&
        (has_ci(subject, "not member") || has_ci(subject, "loop alert") ||
         has_ci(subject, "rejected") || has_ci(subject, "error")))
        return true;
    bool daemon = false;
    if (from) {
        static const char *const locals[] = {"mailer-daemon", "postmaster",   "post_master",
                                             "mail-daemon",   "mailerdaemon", "mmsc",
                                             "sysadmin"};
        for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++)
            if (!g_ascii_strncasecmp(from, locals[i], strlen(locals[i])))
                daemon = true;
    }
    if (from_name && (has_ci(from_name, "mailer-daemon") || has_ci(from_name, "mail delivery") ||
                      has_ci(from_name, "mailer daemon") || has_ci(from_name, "postmaster") ||
                      has_ci(from_name, "mail deliver")))
        daemon = true;
    const char *raw_from = g_mime_object_get_header(mo, "From");
    if ((!from || !*from) && raw_from && strstr(raw_from, "<>"))
        daemon = true; /* the null sender */
    char *s = xstrdup(subject);
    lower_ascii(s);
    static const char *const subj[] = {"undeliver",
                                       "undelivered",
                                       "delivery status notification",
                                       "delivery failure",
                                       "failure notice",
                                       "mail delivery failed",
                                       "returned mail",
                                       "delivery failed",
                                       "could not be delivered",
                                       "delivery has failed",
                                       "returning message",
                                       "non remis",
                                       "non-remis",
                                       "unzustellbar",
                                       "nicht zugestellt",
                                       "no se puede entregar",
                                       "returned to sender",
                                       "failed delivery",
                                       "failure delivery",
                                       "delivery notification",
                                       "delayed mail",
                                       "mail system error",
                                       "delivery problem",
                                       "warning: message",
                                       "not delivered",
                                       "permanent delivery failure",
                                       "error sending",
                                       "delivery status",
                                       "mail could not",
                                       "delivery failure:"};
    bool subj_bounce = HAS_ANY(s, subj);
    free(s);
    char *t = strndup(text, 4000);
    if (!t)
        return false;
    lower_ascii(t);
    static const char *const body[] = {"could not be delivered",
                                       "was not delivered",
                                       "delivery to the following recipient",
                                       "unable to deliver",
                                       "permanent error",
                                       "following address(es) failed",
                                       "error delivering your mail",
                                       "wasn't able to deliver",
                                       "could not deliver",
                                       "delivery has failed",
                                       "undeliverable",
                                       "returned to you",
                                       "following addresses had permanent",
                                       "not be delivered",
                                       "message delivery failed",
                                       "delivery failed",
                                       "delivery to the following recipients failed",
                                       "the following recipient",
                                       "did not reach",
                                       "couldn't be delivered",
                                       "could not be sent"};
    bool body_bounce = HAS_ANY(t, body);
    free(t);
    if (daemon)
        return true;
    /* an error text with the returned message attached */
    return (subj_bounce && body_bounce) || (body_bounce && returned);
}

/* The recipients of a bounce without a usable report: its text, else the
 * returned message's To, else one unnamed recipient. */
static void text_bounce(scan *s, const char *subject, const char *xfailed, GPtrArray *own,
                        GArray *rc)
{
    parse_text_bounce(s->text->str, subject, xfailed, own, rc);
    if (rc->len)
        return;
    GString *all = g_string_new(s->text->str);
    if (subject)
        g_string_append_printf(all, "\n%s", subject);
    char stc[16];
    find_status(all->str, stc);
    char *a = NULL;
    if (s->msgs->len)
        a = header_address(g_mime_object_get_header(GMIME_OBJECT(s->msgs->pdata[0]), "To"));
    rcpt_add(rc, a ? a : "", stc, decide_hard(stc, all->str), all->str);
    free(a);
    g_string_free(all, TRUE);
}

/* ---- Amazon SES / SNS notifications ---- */

static bool parse_ses(const char *text, classify_result *r, GArray *rc)
{
    const char *p = text;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (*p != '{')
        return false;
    json_t *j = json_loads(p, JSON_DISABLE_EOF_CHECK, NULL);
    if (!j) {
        /* a notification mangled on the way (a line folded inside a string):
         * its type and first address are still readable */
        const char *t = strstr(p, "\"notificationType\"");
        if (!t)
            return false;
        t = strchr(t + 18, '"');
        if (!t)
            return false;
        size_t pos = 0, st;
        const char *lst = strstr(p, "Recipients\"");
        char *a = lst ? next_address(lst, &pos, &st) : NULL;
        bool ok = true;
        if (!strncmp(t, "\"Complaint\"", 11)) {
            r->kind = CLASSIFY_COMPLAINT;
            rcpt_add(rc, a ? a : "", "", false, "complaint");
        } else if (!strncmp(t, "\"Bounce\"", 8)) {
            r->kind = CLASSIFY_BOUNCE;
            char stc[16];
            find_status(p, stc);
            rcpt_add(rc, a ? a : "", stc, decide_hard(stc, p), p);
        } else {
            r->kind = CLASSIFY_OTHER;
        }
        free(a);
        return ok;
    }
    json_t *inner = NULL;
    const char *msg = json_string_value(json_object_get(j, "Message"));
    if (msg)
        inner = json_loads(msg, 0, NULL);
    json_t *n = inner ? inner : j;
    const char *type = json_string_value(json_object_get(n, "notificationType"));
    if (!type)
        type = json_string_value(json_object_get(n, "eventType"));
    bool ok = false;
    if (type && !strcmp(type, "Bounce")) {
        r->kind = CLASSIFY_BOUNCE;
        json_t *b = json_object_get(n, "bounce");
        json_t *list = json_object_get(b, "bouncedRecipients");
        size_t i;
        json_t *x;
        json_array_foreach(list, i, x)
        {
            const char *addr = json_string_value(json_object_get(x, "emailAddress"));
            const char *st = json_string_value(json_object_get(x, "status"));
            const char *dg = json_string_value(json_object_get(x, "diagnosticCode"));
            char stc[16];
            find_status(st ? st : "", stc);
            if (!stc[0])
                find_status(dg ? dg : "", stc);
            char *a = header_address(addr);
            rcpt_add(rc, a ? a : "", stc, decide_hard(stc, dg ? dg : ""), dg);
            free(a);
        }
        ok = true;
    } else if (type && !strcmp(type, "Complaint")) {
        r->kind = CLASSIFY_COMPLAINT;
        json_t *list = json_object_get(json_object_get(n, "complaint"), "complainedRecipients");
        size_t i;
        json_t *x;
        json_array_foreach(list, i, x)
        {
            char *a = header_address(json_string_value(json_object_get(x, "emailAddress")));
            rcpt_add(rc, a ? a : "", "", false, "complaint");
            free(a);
        }
        ok = true;
    } else if (type) {
        r->kind = CLASSIFY_OTHER; /* Delivery, Send, Open…: nothing came back */
        ok = true;
    }
    json_t *mail = json_object_get(n, "mail");
    const char *mid = json_string_value(json_object_get(mail, "messageId"));
    json_t *hdrs = json_object_get(json_object_get(mail, "commonHeaders"), "messageId");
    if (json_is_string(hdrs))
        mid = json_string_value(hdrs);
    (void)mid;
    json_decref(inner);
    json_decref(j);
    return ok;
}

/* ---- auto-replies ---- */

static const char *const auto_subjects[] = {"automatic reply",
                                            "auto reply",
                                            "auto-reply",
                                            "autoreply",
                                            "auto response",
                                            "auto-response",
                                            "autoresponse",
                                            "out of office",
                                            "out of the office",
                                            "away from the office",
                                            "on vacation",
                                            "vacation reply",
                                            "away until",
                                            "réponse automatique",
                                            "reponse automatique",
                                            "absence",
                                            "absent du bureau",
                                            "automatische antwort",
                                            "abwesenheit",
                                            "nicht im büro",
                                            "außer haus",
                                            "respuesta automática",
                                            "respuesta automatica",
                                            "fuera de la oficina",
                                            "ausente",
                                            "fuera de oficina",
                                            "自動応答",
                                            "自動返信",
                                            "不在",
                                            "自动回复",
                                            "自動回覆",
                                            "休假",
                                            "外出"};

static const char *const auto_bodies[] = {"i am out of the office",
                                          "i'm out of the office",
                                          "i am out of office",
                                          "i'm out of office",
                                          "i am currently out of",
                                          "i'm currently out of",
                                          "i will be out of the office",
                                          "i am away",
                                          "i'm away",
                                          "i am on vacation",
                                          "i'm on vacation",
                                          "i am on leave",
                                          "on annual leave",
                                          "i will be back",
                                          "i'll be back",
                                          "limited access to email",
                                          "limited access to my email",
                                          "this is an automatic reply",
                                          "this is an automated reply",
                                          "automatic reply",
                                          "je suis absent",
                                          "je serai absent",
                                          "je suis en congé",
                                          "je suis en conge",
                                          "actuellement absent",
                                          "de retour le",
                                          "réponse automatique",
                                          "ich bin bis",
                                          "nicht im büro",
                                          "abwesend",
                                          "im urlaub",
                                          "außer haus",
                                          "automatische antwort",
                                          "estoy fuera de la oficina",
                                          "estaré fuera",
                                          "estoy de vacaciones",
                                          "ausente",
                                          "respuesta automática",
                                          "no estaré",
                                          "不在にしております",
                                          "不在にします",
                                          "休暇",
                                          "自動返信",
                                          "自動応答",
                                          "我不在办公室",
                                          "休假",
                                          "自动回复",
                                          "不在办公室",
                                          "自動回覆"};

static bool is_autoreply(GMimeObject *m, const char *subject, const char *text)
{
    const char *v = g_mime_object_get_header(m, "Auto-Submitted");
    while (v && (*v == ' ' || *v == '\t'))
        v++;
    if (v && *v && g_ascii_strncasecmp(v, "no", 2))
        return true;
    static const char *const flags[] = {"X-Autoreply",      "X-Autorespond",    "X-Autoresponder",
                                        "X-AutoReply-From", "X-Mail-Autoreply", "X-Auto-Reply",
                                        "X-Vacation"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        v = g_mime_object_get_header(m, flags[i]);
        if (v && g_ascii_strncasecmp(v, "no", 2) && g_ascii_strncasecmp(v, "false", 5))
            return true;
    }
    v = g_mime_object_get_header(m, "X-Autogenerated");
    if (v && has_ci(v, "reply"))
        return true;
    v = g_mime_object_get_header(m, "Precedence");
    const char *v2 = g_mime_object_get_header(m, "X-Precedence");
    if ((v && has_ci(v, "auto_reply")) || (v2 && has_ci(v2, "auto_reply")))
        return true;
    char *s = xstrdup(subject);
    lower_ascii(s);
    bool subj = HAS_ANY(s, auto_subjects);
    free(s);
    if (subj)
        return true;
    char *t = strndup(text, 1500);
    if (!t)
        return false;
    lower_ascii(t);
    bool body = HAS_ANY(t, auto_bodies) && strlen(text) < 6000;
    free(t);
    return body;
}

/* ---- return dates ---- */

typedef struct month_name {
    const char *name;
    int month;
} month_name;

static const month_name months[] = {
    {"january", 1},   {"february", 2},   {"march", 3},     {"april", 4},     {"may", 5},
    {"june", 6},      {"july", 7},       {"august", 8},    {"september", 9}, {"october", 10},
    {"november", 11}, {"december", 12},  {"jan", 1},       {"feb", 2},       {"mar", 3},
    {"apr", 4},       {"jun", 6},        {"jul", 7},       {"aug", 8},       {"sept", 9},
    {"sep", 9},       {"oct", 10},       {"nov", 11},      {"dec", 12},      {"janvier", 1},
    {"février", 2},   {"fevrier", 2},    {"mars", 3},      {"avril", 4},     {"mai", 5},
    {"juin", 6},      {"juillet", 7},    {"août", 8},      {"aout", 8},      {"septembre", 9},
    {"octobre", 10},  {"novembre", 11},  {"décembre", 12}, {"decembre", 12}, {"januar", 1},
    {"jänner", 1},    {"februar", 2},    {"märz", 3},      {"maerz", 3},     {"juni", 6},
    {"juli", 7},      {"oktober", 10},   {"dezember", 12}, {"enero", 1},     {"febrero", 2},
    {"marzo", 3},     {"abril", 4},      {"mayo", 5},      {"junio", 6},     {"julio", 7},
    {"agosto", 8},    {"septiembre", 9}, {"setiembre", 9}, {"octubre", 10},  {"noviembre", 11},
    {"diciembre", 12}};

typedef struct token {
    const char *s; /* into the lower-case text */
    size_t n;
    size_t at;
    int num; /* ≥ 0 for digits */
} token;

static bool word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

/* Triggers before a date (western languages) and after it (Japanese, Chinese). */
static const char *const before_cues[] = {"until",
                                          "till",
                                          "back on",
                                          "back in the office on",
                                          "return on",
                                          "returning on",
                                          "return to the office on",
                                          "returning to the office on",
                                          "back",
                                          "return",
                                          "through",
                                          "jusqu'au",
                                          "jusqu’au",
                                          "jusqu'à",
                                          "retour le",
                                          "retour",
                                          "bis zum",
                                          "bis",
                                          "zurück am",
                                          "zurück",
                                          "wieder am",
                                          "ab dem",
                                          "hasta el",
                                          "hasta",
                                          "regreso el",
                                          "regreso",
                                          "volveré el",
                                          "vuelta el",
                                          "to",
                                          "au",
                                          "al",
                                          "from",
                                          "du",
                                          "vom",
                                          "desde"};
static const char *const after_cues[] = {"まで", "に戻", "より出社", "から出社", "回来",
                                         "返回", "回到", "后回",     "後回",     "上班",
                                         "返岗", "以后", "之后",     "迄"};

/* The cue nearest before a date (within 40 bytes): 1 "until"-like, -1
 * "from", 0 none. */
static int cue_before(const char *low, size_t at)
{
    size_t from = at > 40 ? at - 40 : 0, best_end = 0;
    int best = 0;
    for (size_t i = 0; i < sizeof before_cues / sizeof before_cues[0]; i++) {
        const char *c = before_cues[i];
        size_t n = strlen(c);
        for (size_t k = from; k + n <= at; k++)
            if (!memcmp(low + k, c, n) && (k == 0 || !isalpha((unsigned char)low[k - 1])) &&
                !isalpha((unsigned char)low[k + n]) && k + n >= best_end) {
                best_end = k + n;
                best = !strcmp(c, "from") || !strcmp(c, "du") || !strcmp(c, "vom") ||
                               !strcmp(c, "desde")
                           ? -1
                           : 1;
            }
    }
    return best;
}

static bool cue_after(const char *low, size_t end)
{
    for (size_t i = 0; i < sizeof after_cues / sizeof after_cues[0]; i++) {
        const char *c = after_cues[i];
        const char *f = strstr(low + end, c);
        if (f && (size_t)(f - (low + end)) <= 12)
            return true;
    }
    return false;
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 1970 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1];
}

void classify_return_date(const char *text, int ry, int rm, int rd, char out[11])
{
    out[0] = 0;
    if (!text)
        return;
    char *low = strndup(text, 8000);
    if (!low)
        return;
    lower_ascii(low);
    bool english = strstr(low, " the ") || strstr(low, " i ") || strstr(low, "i'm");
    GArray *toks = g_array_new(FALSE, FALSE, sizeof(token));
    for (size_t i = 0; low[i];) {
        unsigned char c = (unsigned char)low[i];
        token t = {low + i, 0, i, -1};
        if (isdigit(c)) {
            int v = 0;
            while (isdigit((unsigned char)low[i]) && t.n < 6)
                v = v * 10 + (low[i++] - '0'), t.n++;
            while (isdigit((unsigned char)low[i]))
                i++, t.n++;
            t.num = t.n <= 4 ? v : -1;
            g_array_append_val(toks, t);
        } else if (c >= 0x80 || isalpha(c)) {
            /* CJK date markers are their own tokens */
            if (!strncmp(low + i, "年", 3) || !strncmp(low + i, "月", 3) ||
                !strncmp(low + i, "日", 3) || !strncmp(low + i, "号", 3)) {
                t.n = 3;
                i += 3;
                g_array_append_val(toks, t);
                continue;
            }
            while (low[i] && word_byte((unsigned char)low[i]) && !isdigit((unsigned char)low[i])) {
                if (!strncmp(low + i, "年", 3) || !strncmp(low + i, "月", 3) ||
                    !strncmp(low + i, "日", 3) || !strncmp(low + i, "号", 3))
                    break;
                i++, t.n++;
            }
            g_array_append_val(toks, t);
        } else {
            if (!isspace(c)) {
                t.n = 1;
                g_array_append_val(toks, t);
            }
            i++;
        }
    }
    int best_y = 0, best_m = 0, best_d = 0, best_score = -100;
    guint nt = toks->len;
    token *T = (token *)(void *)toks->data;
#define TOK_IS(k, str) ((k) < nt && T[k].n == strlen(str) && !memcmp(T[k].s, (str), T[k].n))
    for (guint i = 0; i < nt; i++) {
        int y = 0, m = 0, d = 0;
        guint last = i, first = i;
        int month_at = -1;
        for (size_t k = 0; T[i].num < 0 && k < sizeof months / sizeof months[0]; k++)
            if (T[i].n == strlen(months[k].name) && !memcmp(T[i].s, months[k].name, T[i].n))
                month_at = months[k].month;
        if (month_at > 0) {
            m = month_at;
            /* "May 5th, 2026" */
            guint k = i + 1;
            if (k < nt && T[k].num > 0 && T[k].num <= 31) {
                d = T[k].num;
                last = k;
                k++;
                if (TOK_IS(k, "st") || TOK_IS(k, "nd") || TOK_IS(k, "rd") || TOK_IS(k, "th"))
                    last = k++;
                /* a range, "July 10-31": back after its end */
                if (TOK_IS(k, "-") && k + 1 < nt && T[k + 1].num > d && T[k + 1].num <= 31) {
                    d = T[k + 1].num;
                    last = k + 1;
                    k += 2;
                }
                if (TOK_IS(k, ","))
                    k++;
                if (k < nt && T[k].num >= 1970)
                    y = T[k].num, last = k;
            }
            /* "5 May 2026", "5th of May", "5. Mai", "5 de mayo de 2026" */
            if (!d && i >= 1) {
                guint b = i - 1;
                if ((TOK_IS(b, "of") || TOK_IS(b, "de") || TOK_IS(b, ".")) && b >= 1)
                    b--;
                if (b < nt &&
                    (TOK_IS(b, "st") || TOK_IS(b, "nd") || TOK_IS(b, "rd") || TOK_IS(b, "th") ||
                     TOK_IS(b, "er")) &&
                    b >= 1)
                    b--;
                if (T[b].num > 0 && T[b].num <= 31) {
                    d = T[b].num;
                    k = i + 1;
                    if (TOK_IS(k, "de"))
                        k++;
                    if (TOK_IS(k, ","))
                        k++;
                    if (k < nt && T[k].num >= 1970)
                        y = T[k].num, last = k;
                    first = b;
                }
            }
        } else if (T[i].num >= 0) {
            guint k = i;
            if (T[k].num >= 1970 && k + 4 < nt &&
                (TOK_IS(k + 1, "-") || TOK_IS(k + 1, "/") || TOK_IS(k + 1, ".")) &&
                T[k + 2].num > 0 && T[k + 4].num > 0) {
                y = T[k].num, m = T[k + 2].num, d = T[k + 4].num, last = k + 4;
            } else if (T[k].num >= 1970 && TOK_IS(k + 1, "年") && k + 4 < nt &&
                       TOK_IS(k + 3, "月")) {
                y = T[k].num, m = T[k + 2].num, d = T[k + 4].num, last = k + 4;
                if (TOK_IS(last + 1, "日") || TOK_IS(last + 1, "号"))
                    last++;
            } else if (T[k].num > 0 && T[k].num <= 12 && TOK_IS(k + 1, "月") && k + 2 < nt &&
                       T[k + 2].num > 0) {
                m = T[k].num, d = T[k + 2].num, last = k + 2;
                if (TOK_IS(last + 1, "日") || TOK_IS(last + 1, "号"))
                    last++;
            } else if (T[k].num > 0 && T[k].num <= 31 && k + 2 < nt &&
                       (TOK_IS(k + 1, "/") || TOK_IS(k + 1, ".")) && T[k + 2].num > 0 &&
                       T[k + 2].num <= 31) {
                int a = T[k].num, b2 = T[k + 2].num;
                last = k + 2;
                if (k + 4 < nt && (TOK_IS(k + 3, "/") || TOK_IS(k + 3, ".")) && T[k + 4].num >= 0 &&
                    T[k + 4].n >= 2) {
                    y = T[k + 4].num < 100 ? 2000 + T[k + 4].num : T[k + 4].num;
                    last = k + 4;
                }
                bool mdy = a <= 12 && (b2 > 12 || english);
                m = mdy ? a : b2;
                d = mdy ? b2 : a;
                /* a time ("10.30") or a version ("3.2") is no date */
                if (!y && TOK_IS(k + 1, ".") && !TOK_IS(k + 3, "."))
                    m = 0;
            }
        }
        if (!m || !d)
            continue;
        bool had_year = y != 0;
        if (!y) {
            y = ry;
            if (m < rm || (m == rm && d < rd))
                y++;
        }
        if (!valid_date(y, m, d))
            continue;
        if (had_year && (y < ry || (y == ry && (m < rm || (m == rm && d < rd)))))
            continue; /* the past: not a return date */
        int score = cue_before(low, T[first].at) * 2;
        if (cue_after(low, T[last].at + T[last].n))
            score = 2;
        /* the later of two candidates with equal cues wins ("from May 1 to May 5") */
        if (score > best_score ||
            (score == best_score && score >= 0 &&
             (y * 10000 + m * 100 + d) > (best_y * 10000 + best_m * 100 + best_d))) {
            best_score = score;
            best_y = y, best_m = m, best_d = d;
        }
        i = last;
    }
#undef TOK_IS
    if (best_y && best_score >= 0)
        snprintf(out, 11, "%04d-%02d-%02d", best_y, best_m, best_d);
    g_array_free(toks, TRUE);
    free(low);
}

/* ---- the whole message ---- */

static char **take_strv(GPtrArray *a, size_t *n)
{
    *n = a->len;
    char **v = calloc(a->len + 1, sizeof *v);
    if (!v)
        return NULL;
    for (guint i = 0; i < a->len; i++)
        v[i] = a->pdata[i];
    g_ptr_array_set_free_func(a, NULL);
    return v;
}

static bool reply_subject(const char *s)
{
    if (!s)
        return false;
    while (*s == ' ')
        s++;
    static const char *const pre[] = {"re:",   "re :",  "aw:",   "sv:",  "antw:", "r:",
                                      "ref:",  "rép:",  "rép.:", "res:", "回复:", "回复：",
                                      "答复:", "返信:", "re[",   "vs:"};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
        if (!g_ascii_strncasecmp(s, pre[i], strlen(pre[i])))
            return true;
    return false;
}

hail_err classify_message(const char *buf, size_t len, classify_result *out)
{
    memset(out, 0, sizeof *out);
    pthread_once(&gmime_once, gmime_init_once);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(buf, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (!msg)
        return HAIL_OK; /* other */
    GMimeObject *mo = GMIME_OBJECT(msg);
    scan s = {g_string_new(NULL),
              g_string_new(NULL),
              g_string_new(NULL),
              g_string_new(NULL),
              g_string_new(NULL),
              g_ptr_array_new(),
              NULL};
    walk(g_mime_message_get_mime_part(msg), &s, 0);
    if (!s.text->len && s.html->len)
        g_string_append(s.text, s.html->str);

    const char *mid = g_mime_message_get_message_id(msg);
    if (mid && *mid)
        out->message_id = g_strdup_printf("<%s>", mid);
    const char *subject = g_mime_message_get_subject(msg);
    out->subject = subject ? clean_line(subject, 998) : NULL;
    const char *from_name = NULL;
    InternetAddressList *fl = g_mime_message_get_from(msg);
    if (fl && internet_address_list_length(fl) > 0) {
        InternetAddress *ia = internet_address_list_get_address(fl, 0);
        from_name = internet_address_get_name(ia);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
            if (a && *a) {
                out->from = xstrdup(a);
                lower_ascii(out->from);
            }
        }
    }
    if (!out->from) {
        const char *raw = g_mime_object_get_header(mo, "From");
        out->from = header_address(raw);
        if (!from_name)
            from_name = raw;
    }

    /* addresses of this message's own headers: the sender we are, not a failed recipient */
    GPtrArray *own = g_ptr_array_new_with_free_func(free);
    static const char *const own_hdrs[] = {
        "To", "Cc", "From", "Reply-To", "Return-Path", "Delivered-To", "X-Original-To", "Sender"};
    for (size_t i = 0; i < sizeof own_hdrs / sizeof own_hdrs[0]; i++) {
        const char *v = g_mime_object_get_header(mo, own_hdrs[i]);
        size_t pos = 0, st;
        char *a;
        while (v && (a = next_address(v, &pos, &st)))
            g_ptr_array_add(own, a);
    }
    const char *xfailed = g_mime_object_get_header(mo, "X-Failed-Recipients");
    /* X-Original-To of a DragonFly bounce is the failed recipient, not ours */
    const char *xorig = g_mime_object_get_header(mo, "X-Original-To");
    if (xorig) {
        char *a = header_address(xorig);
        for (guint i = 0; a && i < own->len; i++)
            if (!strcmp(own->pdata[i], a)) {
                g_ptr_array_remove_index(own, i);
                break;
            }
        free(a);
    }

    GArray *rc = g_array_new(FALSE, TRUE, sizeof(classify_rcpt));
    GPtrArray *refs = g_ptr_array_new_with_free_func(free);
    add_refs_from(refs, g_mime_object_get_header(mo, "In-Reply-To"));
    add_refs_from(refs, g_mime_object_get_header(mo, "References"));
    size_t nreply_refs = refs->len;

    GMimeContentType *ct = g_mime_object_get_content_type(g_mime_message_get_mime_part(msg));
    const char *rtype = ct ? g_mime_content_type_get_parameter(ct, "report-type") : NULL;

    const char *apple = g_mime_object_get_header(mo, "X-Apple-Unsubscribe");
    if (s.feedback->len || (rtype && !g_ascii_strcasecmp(rtype, "feedback-report"))) {
        out->kind = CLASSIFY_COMPLAINT;
        /* the complained-about recipients */
        static const char *const f[] = {"original-rcpt-to:", "removal-recipient:"};
        char *low = xstrdup(s.feedback->str);
        lower_ascii(low);
        for (size_t i = 0; i < 2; i++)
            for (const char *p = low; (p = strstr(p, f[i]));) {
                p += strlen(f[i]);
                char *a = header_address(p);
                const char *nl = strchr(p, '\n');
                if (a && (!nl || strstr(p, a) < nl))
                    rcpt_add(rc, a, "", false, "complaint");
                free(a);
            }
        free(low);
        if (!rc->len && s.msgs->len) {
            GMimeMessage *m0 = s.msgs->pdata[0];
            char *a = header_address(g_mime_object_get_header(GMIME_OBJECT(m0), "To"));
            if (a)
                rcpt_add(rc, a, "", false, "complaint");
            free(a);
        }
        if (!rc->len)
            rcpt_add(rc, "", "", false, "complaint");
    } else if (s.jmrp_rcpt) {
        out->kind = CLASSIFY_COMPLAINT;
        rcpt_add(rc, s.jmrp_rcpt, "", false, "complaint");
    } else if (apple && has_ci(apple, "true")) {
        out->kind = CLASSIFY_COMPLAINT; /* Apple Mail's one-click unsubscribe */
        rcpt_add(rc, out->from ? out->from : "", "", false, "unsubscribe request");
    } else if (s.dsn->len || (rtype && !g_ascii_strcasecmp(rtype, "delivery-status"))) {
        int delivered = 0;
        if (!s.dsn->len && strcasestr(s.text->str, "final-recipient:")) {
            const char *f = strcasestr(s.text->str, "reporting-mta:");
            if (!f || f > strcasestr(s.text->str, "final-recipient:"))
                f = strcasestr(s.text->str, "final-recipient:");
            g_string_append(s.dsn, f);
        }
        GString *why = g_string_new(s.text->str);
        g_string_truncate(why, original_start(why->str));
        if (subject)
            g_string_append_printf(why, "\n%s", subject);
        parse_dsn(s.dsn->str, rc, &delivered, why->str);
        g_string_free(why, TRUE);
        if (!rc->len && !delivered)
            text_bounce(&s, subject, xfailed, own, rc);
        out->kind = rc->len ? CLASSIFY_BOUNCE : CLASSIFY_OTHER;
    } else if (parse_ses(s.text->str, out, rc)) {
        /* kind set */
    } else if (looks_like_bounce(mo, out->from, from_name, subject, s.text->str, xfailed,
                                 s.msgs->len > 0)) {
        out->kind = CLASSIFY_BOUNCE;
        text_bounce(&s, subject, xfailed, own, rc);
    } else if (is_autoreply(mo, subject, s.text->str)) {
        out->kind = CLASSIFY_AUTOREPLY;
        int y = 0, m = 0, d = 0;
        GDateTime *dt = g_mime_message_get_date(msg);
        if (dt) {
            g_date_time_get_ymd(dt, &y, &m, &d);
        } else {
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
        }
        GString *both = g_string_new(subject ? subject : "");
        g_string_append_c(both, '\n');
        g_string_append_len(both, s.text->str, (gssize)MIN(s.text->len, (gsize)6000));
        classify_return_date(both->str, y, m, d, out->return_date);
        g_string_free(both, TRUE);
    } else if (nreply_refs || reply_subject(subject)) {
        out->kind = CLASSIFY_REPLY;
    }

    /* the returned original's Message-ID, to match a bounce to our email */
    if (out->kind != CLASSIFY_REPLY && out->kind != CLASSIFY_OTHER) {
        for (guint i = 0; i < s.msgs->len; i++) {
            const char *om = g_mime_message_get_message_id(s.msgs->pdata[i]);
            if (om && *om) {
                char *b = g_strdup_printf("<%s>", om);
                add_ref(refs, b, strlen(b));
                g_free(b);
            }
        }
        add_quoted_message_ids(refs, s.orig->str);
        /* quoted in the text (skipping this message's own id) */
        GPtrArray *q = g_ptr_array_new_with_free_func(free);
        add_quoted_message_ids(q, s.text->str);
        for (guint i = 0; i < q->len; i++)
            if (!out->message_id || strcmp(q->pdata[i], out->message_id))
                add_ref(refs, q->pdata[i], strlen(q->pdata[i]));
        g_ptr_array_free(q, TRUE);
    }

    out->nrcpt = rc->len;
    out->rcpt = (classify_rcpt *)(void *)g_array_free(rc, FALSE);
    out->refs = take_strv(refs, &out->nrefs);
    g_ptr_array_free(refs, TRUE);
    g_ptr_array_free(own, TRUE);
    free(s.jmrp_rcpt);
    g_string_free(s.text, TRUE);
    g_string_free(s.html, TRUE);
    g_string_free(s.dsn, TRUE);
    g_string_free(s.feedback, TRUE);
    g_string_free(s.orig, TRUE);
    g_ptr_array_free(s.msgs, TRUE);
    g_object_unref(msg);
    if (!out->refs)
        return HAIL_ENOMEM;
    return HAIL_OK;
}

void classify_result_free(classify_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nrcpt; i++) {
        free(r->rcpt[i].address);
        free(r->rcpt[i].status);
        free(r->rcpt[i].detail);
    }
    g_free(r->rcpt);
    for (size_t i = 0; i < r->nrefs; i++)
        free(r->refs[i]);
    free(r->refs);
    g_free(r->message_id);
    free(r->from);
    free(r->subject);
    memset(r, 0, sizeof *r);
}
