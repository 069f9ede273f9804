#include "core/common.h"

#include "mail/render.h"

#include "core/buf.h"
#include "core/html_text.h"
#include "core/mustache.h"
#include "store/people.h"
#include "store/templates.h"
#include "store/users.h"

#define RENDER_MAX (16u << 20) /* bytes of one rendered subject or body */

/* What the hooks collect while a subject and a body render. */
typedef struct fill {
    json_t *unfilled, *prompts;
    int html; /* rendering the body (markers in HTML) */
} fill;

/* Appends s to arr unless it is there already. */
static hail_err add_once(json_t *arr, const char *s, size_t n)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_string_length(v) == n && !memcmp(json_string_value(v), s, n))
            return HAIL_OK;
    }
    json_t *x = json_stringn(s, n);
    if (!x) /* not UTF-8: kept readable anyway */
        x = json_string("?");
    return json_array_append_new(arr, x) ? HAIL_ENOMEM : HAIL_OK;
}

static int name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && !memcmp(name, want, n);
}

/* PRODUCT.md §3: first/last name and title may stay blank, company reads
 * "your company"; any other field without a value blocks the send. A
 * sender without a signature leaves my_signature blank. */
static hail_err on_missing(void *ctx, const char *name, size_t n, int escaped, buf *out)
{
    fill *f = ctx;
    if (name_is(name, n, "first_name") || name_is(name, n, "last_name") ||
        name_is(name, n, "title") || name_is(name, n, "my_signature"))
        return HAIL_OK;
    if (name_is(name, n, "company"))
        return buf_puts(out, "your company");
    hail_err e = add_once(f->unfilled, name, n);
    if (e)
        return e;
    if (!f->html)
        return buf_printf(out, "{{%.*s}}", (int)n, name);
    if (!(e = buf_puts(out, "<mark class=\"hail-unfilled\">{{")) &&
        !(e = mustache_escape_html(out, name, n)))
        e = buf_puts(out, "}}</mark>");
    return e;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static hail_err on_comment(void *ctx, const char *text, size_t n, buf *out)
{
    fill *f = ctx;
    trim(&text, &n);
    if (!n)
        return HAIL_OK;
    hail_err e = add_once(f->prompts, text, n);
    if (e || !out)
        return e;
    if (!f->html)
        return buf_printf(out, "[%.*s]", (int)n, text);
    if (!(e = buf_puts(out, "<mark class=\"hail-prompt\">")) &&
        !(e = mustache_escape_html(out, text, n)))
        e = buf_puts(out, "</mark>");
    return e;
}

static int is_raw(void *ctx, const char *name, size_t n)
{
    return name_is(name, n, "my_signature");
}

/* Renders tpl into *out (malloc'd); a parse error names what. */
static hail_err fill_one(const char *what, const char *tpl, json_t *data, fill *f, char **out)
{
    mustache_opts o = {.escape_html = f->html,
                       .on_missing = on_missing,
                       .on_comment = on_comment,
                       .is_raw = is_raw,
                       .ctx = f};
    buf b = BUF_INIT(RENDER_MAX);
    hail_err e = mustache_render(tpl, strlen(tpl), data, &o, &b);
    if (e == HAIL_EINVAL)
        e = hail_errf(e, "%s: %s", what, hail_errmsg());
    else if (e == HAIL_ETOOBIG)
        e = hail_errf(e, "%s: the filled text is longer than %u bytes", what, RENDER_MAX);
    else if (!e && !(b.data ? (*out = buf_detach(&b, NULL)) : (*out = strdup(""))))
        e = HAIL_ENOMEM;
    buf_release(&b);
    return e;
}

/* Sets name in data to v, or to null when v is NULL or "". */
static hail_err set_field(json_t *data, const char *name, const char *v)
{
    json_t *x = v && *v ? json_string(v) : json_null();
    return json_object_set_new(data, name, x ? x : json_null()) ? HAIL_ENOMEM : HAIL_OK;
}

/* The fields of mail/render.h for a person and a sender (or a user). */
static hail_err fields(db *d, int64_t person_id, int64_t sender_id, int64_t user_id, json_t **out)
{
    *out = NULL;
    json_t *data = json_object();
    if (!data)
        return HAIL_ENOMEM;
    hail_err e = people_fields(d, person_id, data);
    if (!e && sender_id) {
        tmpl_sender s;
        e = tmpl_db_sender(d, sender_id, &s);
        if (e == HAIL_ENOTFOUND)
            e = hail_errf(e, "no sender with id %lld", (long long)sender_id);
        if (!e) {
            if (!(e = set_field(data, "my_name", s.user_name)) &&
                !(e = set_field(data, "my_email", s.address)))
                e = json_object_set_new(data, "my_signature", json_string(s.signature_html))
                        ? HAIL_ENOMEM
                        : HAIL_OK;
            tmpl_sender_free(&s);
        }
    } else if (!e && user_id) {
        user u;
        e = users_get(d, user_id, &u);
        if (e == HAIL_ENOTFOUND)
            e = hail_errf(e, "no user with id %lld", (long long)user_id);
        if (!e && !(e = set_field(data, "my_name", u.name)) &&
            !(e = set_field(data, "my_email", u.email)))
            e = json_object_set_new(data, "my_signature", json_string("")) ? HAIL_ENOMEM : HAIL_OK;
    }
    if (e)
        json_decref(data);
    else
        *out = data;
    return e;
}

hail_err render_for_person_as(db *d, int64_t person_id, int64_t sender_id, int64_t user_id,
                              const char *subject_tpl, const char *html_tpl, rendered *out)
{
    memset(out, 0, sizeof *out);
    json_t *data = NULL;
    fill f = {.unfilled = json_array(), .prompts = json_array()};
    out->unfilled = f.unfilled;
    out->prompts = f.prompts;
    hail_err e = f.unfilled && f.prompts ? HAIL_OK : HAIL_ENOMEM;
    if (!e)
        e = fields(d, person_id, sender_id, user_id, &data);
    if (!e)
        e = fill_one("subject", subject_tpl, data, &f, &out->subject);
    f.html = 1;
    if (!e)
        e = fill_one("body_html", html_tpl, data, &f, &out->html);
    if (!e && !(out->text = render_html_to_text(out->html)))
        e = HAIL_ENOMEM;
    json_decref(data);
    if (e) {
        hail_err keep = e;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", hail_errmsg());
        rendered_free(out);
        return hail_errf(keep, "%s", msg);
    }
    return HAIL_OK;
}

hail_err render_for_person(db *d, int64_t person_id, int64_t sender_id, const char *subject_tpl,
                           const char *html_tpl, rendered *out)
{
    return render_for_person_as(d, person_id, sender_id, 0, subject_tpl, html_tpl, out);
}

void rendered_free(rendered *r)
{
    free(r->subject);
    free(r->html);
    free(r->text);
    json_decref(r->unfilled);
    json_decref(r->prompts);
    memset(r, 0, sizeof *r);
}

hail_err render_check(const char *subject_tpl, const char *html_tpl, json_t *prompts)
{
    fill f = {.unfilled = json_array(), .prompts = prompts};
    if (!f.unfilled)
        return HAIL_ENOMEM;
    char *s = NULL, *h = NULL;
    hail_err e = fill_one("subject", subject_tpl, NULL, &f, &s);
    f.html = 1;
    if (!e)
        e = fill_one("body_html", html_tpl, NULL, &f, &h);
    free(s);
    free(h);
    json_decref(f.unfilled);
    return e;
}

char *render_html_to_text(const char *html)
{
    buf b = BUF_INIT(RENDER_MAX);
    if (html_to_text(html, strlen(html), &b)) {
        buf_release(&b);
        return NULL;
    }
    return b.data ? buf_detach(&b, NULL) : strdup("");
}
