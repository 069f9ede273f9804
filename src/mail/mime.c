#include "core/common.h"

/* Building the outgoing message: mail/mime.h. */
#include "mail/mime.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <sodium.h>

#include "core/buf.h"
#include "mail/render.h"

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void mime_init_once(void)
{
    g_mime_init();
}

void mime_init(void)
{
    pthread_once(&mime_once, mime_init_once);
}

/* ---- tracking: links, the unsubscribe line, the pixel ---- */

static int ci_prefix(const char *s, const char *p)
{
    return strncasecmp(s, p, strlen(p)) == 0;
}

/* An attribute value as the browser reads it: the common entities decoded. */
static char *decode_entities(const char *s, size_t n)
{
    buf b = BUF_INIT(n + 1);
    for (size_t i = 0; i < n;) {
        if (s[i] != '&') {
            buf_putc(&b, s[i++]);
            continue;
        }
        static const struct {
            const char *name;
            char c;
        } named[] = {{"&amp;", '&'}, {"&quot;", '"'},  {"&lt;", '<'},
                     {"&gt;", '>'},  {"&apos;", '\''}, {"&#39;", '\''}};
        int done = 0;
        for (size_t k = 0; k < sizeof named / sizeof *named && !done; k++) {
            size_t l = strlen(named[k].name);
            if (i + l <= n && !strncasecmp(s + i, named[k].name, l)) {
                buf_putc(&b, named[k].c);
                i += l;
                done = 1;
            }
        }
        if (!done && i + 2 < n && s[i + 1] == '#') {
            int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
            size_t j = i + 2 + (size_t)hex;
            unsigned long v = 0;
            size_t digits = 0;
            while (j < n && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])) &&
                   digits < 6) {
                v = v * (hex ? 16 : 10) +
                    (unsigned long)(isdigit((unsigned char)s[j])
                                        ? s[j] - '0'
                                        : (tolower((unsigned char)s[j]) - 'a' + 10));
                j++;
                digits++;
            }
            if (digits && j < n && s[j] == ';' && v > 0 && v < 0x80) {
                buf_putc(&b, (char)v);
                i = j + 1;
                done = 1;
            }
        }
        if (!done)
            buf_putc(&b, s[i++]);
    }
    char *out = buf_detach(&b, NULL);
    return out ? out : strdup("");
}

/* The index of url in links, added when new; -1 on out of memory. */
static int link_index(json_t *links, const char *url)
{
    size_t i;
    json_t *v;
    json_array_foreach(links, i, v) if (!strcmp(json_string_value(v), url)) return (int)i;
    if (json_array_append_new(links, json_string(url)))
        return -1;
    return (int)json_array_size(links) - 1;
}

/* Copies html to b with every <a href="http(s)://…"> rewritten. */
static hail_err rewrite_links(buf *b, const char *html, mime_url_fn url, void *ctx, json_t *links)
{
    const char *p = html;
    hail_err e = HAIL_OK;
    while (*p && !e) {
        const char *a = p;
        /* the next "<a" followed by white space */
        while (*a && !(a[0] == '<' && (a[1] == 'a' || a[1] == 'A') &&
                       (a[2] == ' ' || a[2] == '\t' || a[2] == '\n' || a[2] == '\r')))
            a++;
        if (!*a)
            return buf_puts(b, p);
        const char *q = a + 2;
        if ((e = buf_append(b, p, (size_t)(q - p))))
            return e;
        p = q;
        /* attributes until '>' */
        while (*p && *p != '>' && !e) {
            while (*p && isspace((unsigned char)*p))
                p++;
            const char *name = p;
            while (*p && !isspace((unsigned char)*p) && *p != '=' && *p != '>')
                p++;
            size_t nlen = (size_t)(p - name);
            while (*p && isspace((unsigned char)*p))
                p++;
            if (*p != '=') {
                if (nlen && !(e = buf_putc(b, ' ')))
                    e = buf_append(b, name, nlen);
                continue;
            }
            p++;
            while (*p && isspace((unsigned char)*p))
                p++;
            const char *v = p, *vend;
            char quote = 0;
            if (*p == '"' || *p == '\'') {
                quote = *p++;
                v = p;
                while (*p && *p != quote)
                    p++;
                vend = p;
                if (*p)
                    p++;
            } else {
                while (*p && !isspace((unsigned char)*p) && *p != '>')
                    p++;
                vend = p;
            }
            int is_href = nlen == 4 && !strncasecmp(name, "href", 4);
            char *orig = is_href ? decode_entities(v, (size_t)(vend - v)) : NULL;
            const char *o = orig;
            while (o && isspace((unsigned char)*o))
                o++;
            if (o && (ci_prefix(o, "http://") || ci_prefix(o, "https://"))) {
                size_t ol = strlen(o);
                while (ol && isspace((unsigned char)o[ol - 1]))
                    ol--;
                char *clean = strndup(o, ol);
                int idx = clean ? link_index(links, clean) : -1;
                free(clean);
                char t[1024];
                if (idx < 0)
                    e = hail_errf(HAIL_ENOMEM, "out of memory");
                else if (!(e = url(ctx, 'c', idx, t, sizeof t)))
                    e = buf_printf(b, " href=\"%s\"", t);
            } else {
                e = buf_putc(b, ' ');
                if (!e)
                    e = buf_append(b, name, nlen);
                if (!e)
                    e = buf_putc(b, '=');
                if (!e && quote)
                    e = buf_putc(b, quote);
                if (!e)
                    e = buf_append(b, v, (size_t)(vend - v));
                if (!e && quote)
                    e = buf_putc(b, quote);
            }
            free(orig);
        }
    }
    return e;
}

/* Where to insert before </body> (the last one), else the end. */
static size_t body_end(const char *html)
{
    size_t n = strlen(html), at = n;
    for (size_t i = 0; i + 7 <= n; i++)
        if (!strncasecmp(html + i, "</body>", 7))
            at = i;
    return at;
}

static hail_err insert_at_end(char **html, const char *what)
{
    size_t at = body_end(*html);
    buf b = BUF_INIT(SIZE_MAX);
    hail_err e = buf_append(&b, *html, at);
    if (!e)
        e = buf_puts(&b, what);
    if (!e)
        e = buf_puts(&b, *html + at);
    if (e) {
        buf_release(&b);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    free(*html);
    *html = buf_detach(&b, NULL);
    return HAIL_OK;
}

hail_err mime_track_html(const char *html, int commercial, mime_url_fn url, void *ctx,
                         char **html_out, char **text_out, json_t **links_out)
{
    *html_out = *text_out = NULL;
    *links_out = NULL;
    json_t *links = json_array();
    buf b = BUF_INIT(SIZE_MAX);
    if (!links)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    hail_err e = rewrite_links(&b, html, url, ctx, links);
    char *h = e ? NULL : buf_detach(&b, NULL);
    if (!e && !h)
        h = strdup("");
    buf_release(&b);
    char u[1024];
    if (!e && commercial && !(e = url(ctx, 'u', 0, u, sizeof u))) {
        char line[1200];
        snprintf(line, sizeof line,
                 "<p style=\"font-size:12px;color:#666\">If you would rather not hear from us, "
                 "<a href=\"%s\">unsubscribe</a>.</p>",
                 u);
        e = insert_at_end(&h, line);
    }
    char *text = NULL;
    if (!e && !(text = render_html_to_text(h)))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    char o[1024];
    if (!e && !(e = url(ctx, 'o', 0, o, sizeof o))) {
        char img[1200];
        snprintf(img, sizeof img, "<img src=\"%s\" width=\"1\" height=\"1\" alt=\"\">", o);
        e = insert_at_end(&h, img);
    }
    if (e) {
        free(h);
        free(text);
        json_decref(links);
        return e;
    }
    *html_out = h;
    *text_out = text;
    *links_out = links;
    return HAIL_OK;
}

/* ---- the message ---- */

hail_err mime_message_id(int64_t email_id, const char *from_address, char *out, size_t n)
{
    const char *at = strrchr(from_address, '@');
    const char *domain = at && at[1] ? at + 1 : "hail.invalid";
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, r, sizeof r);
    int w = snprintf(out, n, "<hail.%lld.%s@%s>", (long long)email_id, hex, domain);
    if (w < 0 || (size_t)w >= n)
        return hail_errf(HAIL_EINVAL, "the sender's domain is too long for a Message-ID");
    return HAIL_OK;
}

/* A text part in UTF-8 as given (GMime's own setter would pick a charset). */
static GMimeObject *text_part(const char *subtype, const char *text)
{
    GMimePart *p = g_mime_part_new_with_type("text", subtype);
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
    g_mime_content_type_set_parameter(ct, "charset", "utf-8");
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(text, strlen(text));
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(p, w);
    g_object_unref(w);
    g_object_unref(s);
    g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    return GMIME_OBJECT(p);
}

static GMimeObject *attachment_part(const mime_attachment *a)
{
    char type[128] = "application", sub[128] = "octet-stream";
    const char *slash = strchr(a->content_type, '/');
    if (slash && slash != a->content_type && slash[1] &&
        (size_t)(slash - a->content_type) < sizeof type && strlen(slash + 1) < sizeof sub) {
        snprintf(type, sizeof type, "%.*s", (int)(slash - a->content_type), a->content_type);
        snprintf(sub, sizeof sub, "%s", slash + 1);
    }
    GMimePart *p = g_mime_part_new_with_type(type, sub);
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(a->data ? a->data : "", a->size);
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(p, w);
    g_object_unref(w);
    g_object_unref(s);
    g_mime_part_set_filename(p, a->filename);
    g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT(p);
}

/* "<…>" without the brackets (GMime adds them). */
static char *bare_id(const char *id)
{
    size_t n = strlen(id);
    if (n >= 2 && id[0] == '<' && id[n - 1] == '>')
        return strndup(id + 1, n - 2);
    return strdup(id);
}

hail_err mime_build(const mime_msg *m, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    mime_init();
    GMimeMessage *msg = g_mime_message_new(TRUE);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, m->from_name, m->from_address);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, m->to_name ? m->to_name : "",
                               m->to_address);
    for (size_t i = 0; i < m->ncc; i++)
        g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, "", m->cc[i]);
    g_mime_message_set_subject(msg, m->subject, "utf-8");
    GDateTime *dt = g_date_time_new_from_unix_utc(m->date_us / 1000000);
    g_mime_message_set_date(msg, dt);
    g_date_time_unref(dt);
    char *id = bare_id(m->message_id);
    if (!id) {
        g_object_unref(msg);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    g_mime_message_set_message_id(msg, id);
    free(id);
    /* A follow-up's thread (RFC 5322 3.6.4): message ids as kept, one line. */
    if (m->in_reply_to && *m->in_reply_to)
        g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", m->in_reply_to, NULL);
    if (m->references && *m->references)
        g_mime_object_set_header(GMIME_OBJECT(msg), "References", m->references, NULL);
    if (m->unsubscribe_url) {
        /* An address header, never RFC 2047-encoded (GMime would encode a
         * long unstructured value, which no mail client reads as a URL): the
         * raw value as it goes on the wire. The URL is printable ASCII from
         * track_url, one line (RFC 5322 allows 998 characters). */
        char v[1200];
        snprintf(v, sizeof v, " <%s>\n", m->unsubscribe_url);
        g_mime_object_set_header(GMIME_OBJECT(msg), "List-Unsubscribe", "-", NULL);
        GMimeHeader *h = g_mime_header_list_get_header(
            g_mime_object_get_header_list(GMIME_OBJECT(msg)), "List-Unsubscribe");
        if (h)
            g_mime_header_set_raw_value(h, v);
        g_mime_object_set_header(GMIME_OBJECT(msg), "List-Unsubscribe-Post",
                                 "List-Unsubscribe=One-Click", NULL);
    }

    GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
    GMimeObject *tp = text_part("plain", m->text), *hp = text_part("html", m->html);
    g_mime_multipart_add(alt, tp);
    g_mime_multipart_add(alt, hp);
    g_object_unref(tp);
    g_object_unref(hp);
    GMimeObject *root = GMIME_OBJECT(alt);
    if (m->natt) {
        GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
        g_mime_multipart_add(mixed, root);
        g_object_unref(root);
        for (size_t i = 0; i < m->natt; i++) {
            GMimeObject *a = attachment_part(&m->att[i]);
            g_mime_multipart_add(mixed, a);
            g_object_unref(a);
        }
        root = GMIME_OBJECT(mixed);
    }
    g_mime_message_set_mime_part(msg, root);
    g_object_unref(root);

    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    GMimeStream *s = g_mime_stream_mem_new();
    ssize_t w = g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, s);
    hail_err e = HAIL_OK;
    if (w < 0) {
        e = hail_errf(HAIL_EIO, "the message could not be written");
    } else {
        GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
        *out = malloc(ba->len + 1);
        if (!*out) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
        } else {
            memcpy(*out, ba->data, ba->len);
            (*out)[ba->len] = '\0';
            *len = ba->len;
        }
    }
    g_object_unref(s);
    g_mime_format_options_free(fo);
    g_object_unref(msg);
    return e;
}
