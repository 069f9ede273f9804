#include "core/common.h"

#include "core/html_text.h"

/* One pass over the HTML: text is written through put_text(), which turns
 * the pending white space and line breaks into at most one space or two
 * newlines just before the next visible character; tags only set what is
 * pending. A final pass drops trailing spaces and blank lines at the ends. */

typedef struct conv {
    buf *out;
    int space;       /* white space seen since the last character */
    int breaks;      /* line breaks wanted before the next character */
    int pre;         /* inside <pre> */
    const char *pfx; /* written at the start of the next line (list items) */
    size_t link_at;  /* where the current link's text starts in out */
    char *href;      /* the current link's address, or NULL */
    int link_mark;   /* the link's text starts with the next character */
    int any;         /* a character was written */
} conv;

static hail_err put_char_run(conv *c, const char *s, size_t n)
{
    hail_err e = HAIL_OK;
    if (c->any && c->breaks) {
        int b = c->breaks > 2 ? 2 : c->breaks;
        for (int i = 0; i < b && !e; i++)
            e = buf_putc(c->out, '\n');
    } else if (c->any && c->space && c->out->len && c->out->data[c->out->len - 1] != '\n' &&
               c->out->data[c->out->len - 1] != ' ') {
        e = buf_putc(c->out, ' ');
    }
    if (!e && c->pfx && (c->breaks || !c->any)) {
        e = buf_puts(c->out, c->pfx);
        c->pfx = NULL;
    }
    c->breaks = c->space = 0;
    c->any = 1;
    if (c->link_mark) {
        c->link_at = c->out->len;
        c->link_mark = 0;
    }
    return e ? e : buf_append(c->out, s, n);
}

static void want_breaks(conv *c, int n)
{
    if (c->breaks < n)
        c->breaks = n;
}

static hail_err put_utf8(conv *c, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp == 0xA0) /* a no-break space: a space that does not collapse */
        return put_char_run(c, " ", 1);
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return put_char_run(c, u, n);
}

static const struct {
    const char *name;
    unsigned cp;
} entities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122}, {"hellip", 0x2026},
    {"mdash", 0x2014}, {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"bull", 0x2022},  {"middot", 0xB7},  {"euro", 0x20AC},  {"pound", 0xA3},
    {"yen", 0xA5},     {"cent", 0xA2},    {"sect", 0xA7},    {"deg", 0xB0},     {"laquo", 0xAB},
    {"raquo", 0xBB},   {"times", 0xD7},   {"divide", 0xF7},  {"shy", 0xAD},
};

/* An entity at s[0] == '&': its code point and length, or 0 when it is not one. */
static size_t entity(const char *s, size_t n, unsigned long *cp)
{
    size_t i = 1;
    if (i < n && s[i] == '#') {
        i++;
        int hex = i < n && (s[i] == 'x' || s[i] == 'X');
        i += hex;
        size_t start = i;
        unsigned long v = 0;
        while (i < n && (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))) {
            int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                 : (tolower((unsigned char)s[i]) - 'a' + 10);
            if (v <= 0x10FFFF)
                v = v * (hex ? 16 : 10) + (unsigned long)d;
            i++;
        }
        if (i == start)
            return 0;
        *cp = v;
        return i < n && s[i] == ';' ? i + 1 : i;
    }
    size_t start = i;
    while (i < n && i - start < 10 && isalnum((unsigned char)s[i]))
        i++;
    if (i >= n || s[i] != ';')
        return 0;
    for (size_t k = 0; k < sizeof entities / sizeof *entities; k++)
        if (strlen(entities[k].name) == i - start &&
            !memcmp(entities[k].name, s + start, i - start)) {
            *cp = entities[k].cp;
            return i + 1;
        }
    return 0;
}

/* Text (entities decoded) into the output. */
static hail_err put_text(conv *c, const char *s, size_t n)
{
    hail_err e = HAIL_OK;
    size_t i = 0;
    while (i < n && !e) {
        char ch = s[i];
        if (ch == '&') {
            unsigned long cp;
            size_t k = entity(s + i, n - i, &cp);
            if (k) {
                e = put_utf8(c, cp);
                i += k;
                continue;
            }
        }
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f') {
            if (c->pre && ch == '\n')
                c->breaks++;
            else if (c->pre && ch != '\r')
                e = put_char_run(c, " ", 1);
            else
                c->space = 1;
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && s[j] != '&' && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' &&
               s[j] != '\r' && s[j] != '\f')
            j++;
        e = put_char_run(c, s + i, j - i);
        i = j;
    }
    return e;
}

/* A decoded attribute value, malloc'd (NULL when out of memory). */
static char *attr_value(const char *s, size_t n)
{
    buf b = BUF_INIT(1 << 20);
    hail_err e = buf_append(&b, "", 0);
    for (size_t i = 0; i < n && !e;) {
        unsigned long cp;
        size_t k = s[i] == '&' ? entity(s + i, n - i, &cp) : 0;
        if (k && cp < 0x80 && cp > 0) {
            e = buf_putc(&b, (char)cp);
            i += k;
        } else {
            e = buf_putc(&b, s[i++]);
        }
    }
    if (e) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static int name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && !strncasecmp(name, want, n);
}

/* Finds attribute want in the tag's attribute text a[0..n). */
static char *attr(const char *a, size_t n, const char *want)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (isspace((unsigned char)a[i]) || a[i] == '/'))
            i++;
        size_t ns = i;
        while (i < n && !isspace((unsigned char)a[i]) && a[i] != '=' && a[i] != '/' && a[i] != '>')
            i++;
        size_t ne = i;
        while (i < n && isspace((unsigned char)a[i]))
            i++;
        const char *v = NULL;
        size_t vn = 0;
        if (i < n && a[i] == '=') {
            i++;
            while (i < n && isspace((unsigned char)a[i]))
                i++;
            if (i < n && (a[i] == '"' || a[i] == '\'')) {
                char q = a[i++];
                v = a + i;
                while (i < n && a[i] != q)
                    i++;
                vn = (size_t)(a + i - v);
                i += i < n;
            } else {
                v = a + i;
                while (i < n && !isspace((unsigned char)a[i]))
                    i++;
                vn = (size_t)(a + i - v);
            }
        }
        if (ne > ns && name_is(a + ns, ne - ns, want))
            return attr_value(v ? v : "", vn);
        if (ne == ns && i < n)
            i++;
    }
    return NULL;
}

static hail_err end_link(conv *c)
{
    hail_err e = HAIL_OK;
    if (!c->href)
        return e;
    const char *h = c->href;
    size_t tn = c->link_mark ? 0 : c->out->len - c->link_at;
    c->link_mark = 0;
    const char *t = c->out->data ? c->out->data + c->link_at : "";
    const char *bare = !strncasecmp(h, "mailto:", 7) ? h + 7 : h;
    int same =
        (strlen(h) == tn && !memcmp(h, t, tn)) || (strlen(bare) == tn && !memcmp(bare, t, tn));
    if (*h && *h != '#' && strncasecmp(h, "javascript:", 11) && !same) {
        if (tn) {
            e = put_char_run(c, " <", 2);
            if (!e)
                e = buf_puts(c->out, h);
            if (!e)
                e = buf_putc(c->out, '>');
        } else {
            e = put_char_run(c, h, strlen(h));
        }
    }
    free(c->href);
    c->href = NULL;
    return e;
}

/* The end of a raw-text element (</script …), or NULL. */
static const char *raw_end(const char *s, size_t n, const char *name)
{
    size_t ln = strlen(name);
    for (size_t i = 0; i + 2 + ln <= n; i++)
        if (s[i] == '<' && s[i + 1] == '/' && !strncasecmp(s + i + 2, name, ln))
            return s + i;
    return NULL;
}

static hail_err tag(conv *c, const char *name, size_t nn, int closing, const char *a, size_t an)
{
    static const char *const para[] = {"p",  "h1",    "h2",         "h3",  "h4", "h5", "h6", "ul",
                                       "ol", "table", "blockquote", "pre", "hr", "dl", NULL};
    static const char *const line[] = {
        "div",     "tr",      "li",     "dt",   "dd",  "section", "article", "header", "footer",
        "address", "caption", "center", "form", "nav", "aside",   "main",    "figure", NULL};
    for (const char *const *p = para; *p; p++)
        if (name_is(name, nn, *p)) {
            want_breaks(c, 2);
            if (name_is(name, nn, "pre"))
                c->pre = !closing;
            return HAIL_OK;
        }
    for (const char *const *p = line; *p; p++)
        if (name_is(name, nn, *p)) {
            want_breaks(c, 1);
            if (!closing && name_is(name, nn, "li"))
                c->pfx = "- ";
            return HAIL_OK;
        }
    if (name_is(name, nn, "br")) {
        c->breaks++;
        if (!c->any)
            c->breaks = 0;
        return HAIL_OK;
    }
    if (name_is(name, nn, "td") || name_is(name, nn, "th")) {
        c->space = 1;
        return HAIL_OK;
    }
    if (name_is(name, nn, "a")) {
        hail_err e = end_link(c);
        if (!e && !closing) {
            c->href = attr(a, an, "href");
            c->link_mark = c->href != NULL;
        }
        return e;
    }
    if (name_is(name, nn, "img") && !closing) {
        char *alt = attr(a, an, "alt");
        hail_err e = alt && *alt ? put_text(c, alt, strlen(alt)) : HAIL_OK;
        free(alt);
        return e;
    }
    return HAIL_OK;
}

/* Drops trailing spaces of each line and blank lines at both ends. */
static hail_err tidy(const buf *in, buf *out)
{
    const char *s = in->data ? in->data : "";
    size_t n = in->len, i = 0;
    while (i < n && s[i] == '\n')
        i++;
    while (n > i && (s[n - 1] == '\n' || s[n - 1] == ' '))
        n--;
    hail_err e = HAIL_OK;
    while (i < n && !e) {
        size_t j = i;
        while (j < n && s[j] != '\n')
            j++;
        size_t k = j;
        while (k > i && s[k - 1] == ' ')
            k--;
        e = buf_append(out, s + i, k - i);
        if (!e && j < n)
            e = buf_putc(out, '\n');
        i = j + 1;
    }
    return e;
}

hail_err html_to_text(const char *s, size_t n, buf *out)
{
    buf tmp = BUF_INIT(out->max);
    conv c = {.out = &tmp};
    hail_err e = HAIL_OK;
    size_t i = 0, text = 0;
    while (i < n && !e) {
        if (s[i] != '<') {
            i++;
            continue;
        }
        size_t lt = i;
        const char *rest = s + i;
        size_t rn = n - i;
        size_t skip = 0; /* bytes of markup from lt */
        if (rn >= 4 && !memcmp(rest, "<!--", 4)) {
            const char *end = memmem(rest + 4, rn - 4, "-->", 3);
            skip = end ? (size_t)(end - rest) + 3 : rn;
        } else if (rn >= 2 && (rest[1] == '!' || rest[1] == '?')) {
            const char *end = memchr(rest, '>', rn);
            skip = end ? (size_t)(end - rest) + 1 : rn;
        } else if (rn >= 2 && (isalpha((unsigned char)rest[1]) ||
                               (rest[1] == '/' && rn >= 3 && isalpha((unsigned char)rest[2])))) {
            int closing = rest[1] == '/';
            size_t p = 1 + (size_t)closing, ns = p;
            while (p < rn && (isalnum((unsigned char)rest[p]) || rest[p] == '-' || rest[p] == ':'))
                p++;
            size_t ne = p, as = p;
            char q = 0;
            while (p < rn && (q || rest[p] != '>')) {
                if (q && rest[p] == q)
                    q = 0;
                else if (!q && (rest[p] == '"' || rest[p] == '\''))
                    q = rest[p];
                p++;
            }
            size_t ae = p;
            skip = p < rn ? p + 1 : rn;
            if ((e = put_text(&c, s + text, lt - text)))
                break;
            const char *name = rest + ns;
            size_t nn = ne - ns;
            static const char *const raw[] = {"script", "style", "head", "title", "template", NULL};
            int israw = 0;
            for (const char *const *r = raw; *r && !closing; r++)
                if (name_is(name, nn, *r)) {
                    char nm[16];
                    snprintf(nm, sizeof nm, "%s", *r);
                    const char *end = raw_end(rest + skip, rn - skip, nm);
                    skip = end ? (size_t)(end - rest) : rn;
                    israw = 1;
                }
            /* A tag cut off by the end of the input is dropped with it. */
            if (!israw && ae < rn)
                e = tag(&c, name, nn, closing, rest + as, ae - as);
            i = text = lt + skip;
            continue;
        } else {
            i++;
            continue;
        }
        if ((e = put_text(&c, s + text, lt - text)))
            break;
        i = text = lt + skip;
    }
    if (!e && n > text)
        e = put_text(&c, s + text, n - text);
    if (!e)
        e = end_link(&c);
    free(c.href);
    if (!e)
        e = tidy(&tmp, out);
    buf_release(&tmp);
    return e;
}
