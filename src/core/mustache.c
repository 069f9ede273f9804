#include "core/common.h"

#include "core/mustache.h"

/* A template is parsed into a flat list of tokens (text slices and tags
 * pointing into the source; a section knows the index of its close) and
 * then rendered over a stack of contexts. A partial is parsed when it is
 * rendered, from a copy indented as its standalone tag was. */

enum tok_kind { T_TEXT, T_VAR, T_RAW, T_SECTION, T_INVERTED, T_CLOSE, T_PARTIAL, T_COMMENT };

typedef struct tok {
    enum tok_kind kind;
    const char *s; /* the text, the name, or the comment */
    size_t n;
    const char *dflt; /* T_VAR/T_RAW: the default as written between its quotes */
    size_t dn;
    int has_default;
    const char *indent; /* T_PARTIAL: the standalone tag's indentation */
    size_t in;
    size_t end; /* T_SECTION/T_INVERTED: the index of the matching T_CLOSE */
    int line;
} tok;

typedef struct toks {
    tok *v;
    size_t n, cap;
} toks;

static hail_err toks_add(toks *t, const tok *x)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        tok *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return HAIL_ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *x;
    return HAIL_OK;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *find(const char *s, size_t from, size_t len, const char *pat, size_t pn)
{
    if (pn == 0 || from > len || len - from < pn)
        return NULL;
    return memmem(s + from, len - from, pat, pn);
}

static int line_of(const char *s, size_t at)
{
    int line = 1;
    for (size_t i = 0; i < at; i++)
        line += s[i] == '\n';
    return line;
}

/* Trims white space from both ends of s[*a..*b). */
static void trim(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && is_space(s[*a]))
        (*a)++;
    while (*b > *a && is_space(s[*b - 1]))
        (*b)--;
}

/* An interpolation's content: a name, then optionally | default: "x". */
static hail_err parse_var(const char *s, size_t a, size_t b, tok *t)
{
    trim(s, &a, &b);
    size_t e = a;
    while (e < b && !is_space(s[e]) && s[e] != '|')
        e++;
    t->s = s + a;
    t->n = e - a;
    if (t->n == 0)
        return hail_errf(HAIL_EINVAL, "line %d: a tag with no name", t->line);
    size_t p = e;
    while (p < b && is_space(s[p]))
        p++;
    if (p == b)
        return HAIL_OK;
    if (s[p] != '|')
        return hail_errf(HAIL_EINVAL, "line %d: '%.*s' is not a field name", t->line,
                         (int)(b - a > 100 ? 100 : b - a), s + a);
    p++;
    while (p < b && is_space(s[p]))
        p++;
    static const char kw[] = "default";
    if (b - p < sizeof kw - 1 || memcmp(s + p, kw, sizeof kw - 1))
        goto bad;
    p += sizeof kw - 1;
    while (p < b && is_space(s[p]))
        p++;
    if (p == b || s[p] != ':')
        goto bad;
    p++;
    while (p < b && is_space(s[p]))
        p++;
    if (p == b || (s[p] != '"' && s[p] != '\''))
        goto bad;
    char q = s[p++];
    size_t start = p;
    while (p < b && s[p] != q) {
        if (s[p] == '\\' && p + 1 < b)
            p++;
        p++;
    }
    if (p >= b)
        goto bad;
    t->dflt = s + start;
    t->dn = p - start;
    t->has_default = 1;
    p++;
    while (p < b && is_space(s[p]))
        p++;
    if (p == b)
        return HAIL_OK;
bad:
    return hail_errf(HAIL_EINVAL, "line %d: the only filter is | default: \"text\" (in {{%.*s}})",
                     t->line, (int)(b - a > 100 ? 100 : b - a), s + a);
}

/* {{=<% %>=}}: the new delimiters, each non-empty, without space or '='. */
static hail_err parse_delims(const char *s, size_t a, size_t b, int line, char *open, size_t *on,
                             char *close, size_t *cn, size_t cap)
{
    trim(s, &a, &b);
    size_t e = a;
    while (e < b && !is_space(s[e]))
        e++;
    size_t c = e;
    while (c < b && is_space(s[c]))
        c++;
    size_t ok = e > a && c > e && c < b;
    for (size_t i = c; ok && i < b; i++)
        ok = !is_space(s[i]);
    for (size_t i = a; ok && i < b; i++)
        ok = s[i] != '=';
    if (!ok || e - a >= cap || b - c >= cap)
        return hail_errf(HAIL_EINVAL,
                         "line %d: a delimiter tag needs two delimiters without spaces or '=' "
                         "(like {{=<%% %%>=}})",
                         line);
    memcpy(open, s + a, e - a);
    *on = e - a;
    memcpy(close, s + c, b - c);
    *cn = b - c;
    return HAIL_OK;
}

#define DELIM_MAX 32

static hail_err parse(const char *s, size_t len, toks *out)
{
    char open[DELIM_MAX] = "{{", close[DELIM_MAX] = "}}";
    size_t on = 2, cn = 2;
    size_t pos = 0, text = 0;
    hail_err e = HAIL_OK;
    /* Open sections: indexes into out, as a growable stack. */
    size_t *stack = NULL, depth = 0, scap = 0;
    for (;;) {
        const char *o = find(s, pos, len, open, on);
        if (!o)
            break;
        size_t ts = (size_t)(o - s), in = ts + on;
        char type = in < len ? s[in] : 0;
        const char *endpat = close;
        size_t en = cn;
        char tmp[DELIM_MAX + 1];
        if (type == '{' || type == '=') {
            tmp[0] = type == '{' ? '}' : '=';
            memcpy(tmp + 1, close, cn);
            endpat = tmp;
            en = cn + 1;
        }
        size_t cstart = in + (type == '{' || type == '=' || type == '#' || type == '^' ||
                              type == '/' || type == '!' || type == '>' || type == '&');
        const char *c = find(s, cstart, len, endpat, en);
        if (!c) {
            e = hail_errf(HAIL_EINVAL, "line %d: a tag opened with %.*s is never closed with %.*s",
                          line_of(s, ts), (int)on, open, (int)en, endpat);
            goto done;
        }
        size_t ce = (size_t)(c - s), te = ce + en;
        tok t = {0};
        t.line = line_of(s, ts);
        switch (type) {
        case '#':
            t.kind = T_SECTION;
            break;
        case '^':
            t.kind = T_INVERTED;
            break;
        case '/':
            t.kind = T_CLOSE;
            break;
        case '!':
            t.kind = T_COMMENT;
            break;
        case '>':
            t.kind = T_PARTIAL;
            break;
        case '=':
            t.kind = T_TEXT; /* a delimiter change: no token */
            break;
        case '{':
        case '&':
            t.kind = T_RAW;
            break;
        default:
            t.kind = T_VAR;
        }
        /* Standalone: only white space around the tag on its line. */
        int standalone = 0;
        size_t ls = ts, le = te;
        if (t.kind != T_VAR && t.kind != T_RAW) {
            while (ls > 0 && s[ls - 1] != '\n')
                ls--;
            int ok = ls >= text;
            for (size_t i = ls; ok && i < ts; i++)
                ok = is_blank(s[i]);
            while (ok && le < len && is_blank(s[le]))
                le++;
            if (ok && le < len) {
                if (s[le] == '\n')
                    le++;
                else if (s[le] == '\r' && le + 1 < len && s[le + 1] == '\n')
                    le += 2;
                else
                    ok = 0;
            }
            standalone = ok;
        }
        size_t text_end = standalone ? ls : ts;
        if (text_end > text) {
            tok x = {.kind = T_TEXT, .s = s + text, .n = text_end - text, .line = t.line};
            if ((e = toks_add(out, &x)))
                goto done;
        }
        pos = text = standalone ? le : te;
        size_t a = cstart, b = ce;
        if (type == '=') {
            if ((e = parse_delims(s, a, b, t.line, open, &on, close, &cn, DELIM_MAX)))
                goto done;
            continue;
        }
        if (t.kind == T_COMMENT) {
            t.s = s + a;
            t.n = b - a;
        } else if (t.kind == T_VAR || t.kind == T_RAW) {
            if ((e = parse_var(s, a, b, &t)))
                goto done;
        } else {
            trim(s, &a, &b);
            t.s = s + a;
            t.n = b - a;
            if (!t.n) {
                e = hail_errf(HAIL_EINVAL, "line %d: a tag with no name", t.line);
                goto done;
            }
            if (t.kind == T_PARTIAL && standalone) {
                t.indent = s + ls;
                t.in = ts - ls;
            }
        }
        if (t.kind == T_CLOSE) {
            if (!depth) {
                e = hail_errf(HAIL_EINVAL, "line %d: {{/%.*s}} closes no section", t.line,
                              (int)(t.n > 100 ? 100 : t.n), t.s);
                goto done;
            }
            tok *sec = &out->v[stack[depth - 1]];
            if (sec->n != t.n || memcmp(sec->s, t.s, t.n)) {
                e = hail_errf(HAIL_EINVAL, "line %d: {{/%.*s}} closes section %.*s of line %d",
                              t.line, (int)(t.n > 100 ? 100 : t.n), t.s,
                              (int)(sec->n > 100 ? 100 : sec->n), sec->s, sec->line);
                goto done;
            }
            sec->end = out->n;
            depth--;
        }
        if ((e = toks_add(out, &t)))
            goto done;
        if (t.kind == T_SECTION || t.kind == T_INVERTED) {
            if (depth == scap) {
                size_t ncap = scap ? scap * 2 : 16;
                size_t *ns = realloc(stack, ncap * sizeof *ns);
                if (!ns) {
                    e = HAIL_ENOMEM;
                    goto done;
                }
                stack = ns;
                scap = ncap;
            }
            stack[depth++] = out->n - 1;
        }
    }
    if (depth) {
        tok *sec = &out->v[stack[depth - 1]];
        e = hail_errf(HAIL_EINVAL, "line %d: section %.*s is never closed", sec->line,
                      (int)(sec->n > 100 ? 100 : sec->n), sec->s);
        goto done;
    }
    if (len > text) {
        tok x = {.kind = T_TEXT, .s = s + text, .n = len - text, .line = line_of(s, text)};
        e = toks_add(out, &x);
    }
done:
    free(stack);
    return e;
}

/* ---- rendering ---- */

typedef struct rctx {
    const mustache_opts *o;
    buf *out;
    json_t **stack; /* contexts, innermost last */
    size_t depth, cap;
    int partials; /* how deep in partials */
    size_t steps; /* tokens rendered so far (bounded by MUSTACHE_MAX_STEPS) */
} rctx;

static hail_err push(rctx *r, json_t *v)
{
    if (r->depth == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        json_t **s = realloc(r->stack, cap * sizeof *s);
        if (!s)
            return HAIL_ENOMEM;
        r->stack = s;
        r->cap = cap;
    }
    r->stack[r->depth++] = v;
    return HAIL_OK;
}

/* Looks name up: "." is the innermost context; a dotted name's first part
 * is looked up from the innermost context out, the rest inside it only. */
static json_t *lookup(rctx *r, const char *name, size_t n)
{
    if (n == 1 && name[0] == '.')
        return r->depth ? r->stack[r->depth - 1] : NULL;
    size_t p = 0;
    while (p < n && name[p] != '.')
        p++;
    json_t *v = NULL;
    for (size_t i = r->depth; i-- > 0 && !v;)
        if (json_is_object(r->stack[i]))
            v = json_object_getn(r->stack[i], name, p);
    while (v && p < n) {
        size_t q = ++p;
        while (p < n && name[p] != '.')
            p++;
        v = json_is_object(v) ? json_object_getn(v, name + q, p - q) : NULL;
    }
    return v;
}

static int falsy(json_t *v)
{
    return !v || json_is_null(v) || json_is_false(v) ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_string(v) && json_string_length(v) == 0);
}

hail_err mustache_escape_html(buf *out, const char *s, size_t n)
{
    size_t run = 0;
    hail_err e = HAIL_OK;
    for (size_t i = 0; i < n && !e; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        e = buf_append(out, s + run, i - run);
        if (!e)
            e = buf_puts(out, ent);
        run = i + 1;
    }
    return e ? e : buf_append(out, s + run, n - run);
}

static hail_err put(rctx *r, const char *s, size_t n, int escaped)
{
    return escaped && r->o->escape_html ? mustache_escape_html(r->out, s, n)
                                        : buf_append(r->out, s, n);
}

/* A number as its shortest text that reads back the same. */
static void real_text(double d, char out[40])
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

static hail_err put_value(rctx *r, json_t *v, int escaped)
{
    char num[40];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return put(r, json_string_value(v), json_string_length(v), escaped);
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf_puts(r->out, num);
    case JSON_REAL:
        real_text(json_real_value(v), num);
        return put(r, num, strlen(num), escaped);
    case JSON_TRUE:
        return buf_puts(r->out, "true");
    case JSON_FALSE:
        return buf_puts(r->out, "false");
    default:
        return HAIL_OK;
    }
}

/* A default as written between its quotes, with \x read as x. */
static hail_err put_default(rctx *r, const tok *t)
{
    hail_err e = HAIL_OK;
    size_t run = 0;
    for (size_t i = 0; i < t->dn && !e; i++) {
        if (t->dflt[i] != '\\' || i + 1 >= t->dn)
            continue;
        e = put(r, t->dflt + run, i - run, t->kind == T_VAR);
        run = ++i;
    }
    return e ? e : put(r, t->dflt + run, t->dn - run, t->kind == T_VAR);
}

static hail_err render_tpl(rctx *r, const char *tpl, size_t n);

/* The partial's text with indent before each of its lines. */
static hail_err indented(const char *p, size_t n, const char *ind, size_t in, buf *b)
{
    hail_err e = HAIL_OK;
    size_t line = 0;
    for (size_t i = 0; i <= n && !e; i++) {
        if (i < n && p[i] != '\n')
            continue;
        size_t end = i < n ? i + 1 : n;
        if (end > line) {
            if (!(e = buf_append(b, ind, in)))
                e = buf_append(b, p + line, end - line);
        }
        line = end;
    }
    return e;
}

static hail_err render_range(rctx *r, const toks *t, size_t from, size_t to)
{
    hail_err e = HAIL_OK;
    for (size_t i = from; i < to && !e; i++) {
        const tok *k = &t->v[i];
        if (++r->steps > MUSTACHE_MAX_STEPS)
            return hail_errf(HAIL_ETOOBIG, "the template takes more than %d steps to fill",
                             MUSTACHE_MAX_STEPS);
        switch (k->kind) {
        case T_TEXT:
            e = buf_append(r->out, k->s, k->n);
            break;
        case T_VAR:
        case T_RAW: {
            json_t *v = lookup(r, k->s, k->n);
            int none = !v || json_is_null(v) || (json_is_string(v) && !json_string_length(v));
            int esc = k->kind == T_VAR && !(r->o->is_raw && r->o->is_raw(r->o->ctx, k->s, k->n));
            if (!none)
                e = put_value(r, v, esc);
            else if (k->has_default)
                e = put_default(r, k);
            else if (r->o->on_missing)
                e = r->o->on_missing(r->o->ctx, k->s, k->n, k->kind == T_VAR, r->out);
            break;
        }
        case T_SECTION: {
            json_t *v = lookup(r, k->s, k->n);
            if (falsy(v)) {
            } else if (json_is_array(v)) {
                size_t j;
                json_t *x;
                json_array_foreach(v, j, x)
                {
                    if ((e = push(r, x)))
                        break;
                    e = render_range(r, t, i + 1, k->end);
                    r->depth--;
                    if (e)
                        break;
                }
            } else if (!(e = push(r, v))) {
                e = render_range(r, t, i + 1, k->end);
                r->depth--;
            }
            i = k->end;
            break;
        }
        case T_INVERTED: {
            if (falsy(lookup(r, k->s, k->n)))
                e = render_range(r, t, i + 1, k->end);
            i = k->end;
            break;
        }
        case T_CLOSE:
            break;
        case T_COMMENT:
            if (r->o->on_comment)
                e = r->o->on_comment(r->o->ctx, k->s, k->n, r->out);
            break;
        case T_PARTIAL: {
            json_t *p = r->o->partials ? json_object_getn(r->o->partials, k->s, k->n) : NULL;
            if (!json_is_string(p))
                break;
            if (r->partials >= MUSTACHE_MAX_DEPTH)
                return hail_errf(HAIL_EINVAL, "partials nest deeper than %d", MUSTACHE_MAX_DEPTH);
            r->partials++;
            if (k->in) {
                buf b = BUF_INIT(r->out->max);
                e = indented(json_string_value(p), json_string_length(p), k->indent, k->in, &b);
                if (!e)
                    e = render_tpl(r, buf_cstr(&b), b.len);
                buf_release(&b);
            } else {
                e = render_tpl(r, json_string_value(p), json_string_length(p));
            }
            r->partials--;
            break;
        }
        }
    }
    return e;
}

static hail_err render_tpl(rctx *r, const char *tpl, size_t n)
{
    toks t = {0};
    hail_err e = parse(tpl, n, &t);
    if (!e)
        e = render_range(r, &t, 0, t.n);
    free(t.v);
    return e;
}

hail_err mustache_render(const char *tpl, size_t n, json_t *data, const mustache_opts *o, buf *out)
{
    static const mustache_opts none = {0};
    rctx r = {.o = o ? o : &none, .out = out};
    hail_err e = push(&r, data ? data : json_null());
    if (!e)
        e = render_tpl(&r, tpl, n);
    free(r.stack);
    return e;
}
