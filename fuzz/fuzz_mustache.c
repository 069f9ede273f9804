#include "core/common.h"

/* libFuzzer target for the template engine (core/mustache) and the HTML to
 * text conversion (core/html_text): `make fuzz` builds and runs it.
 *
 * The input is up to three parts separated by NUL bytes: a template, JSON
 * data, and a partial named "p" (missing parts are empty / null). The
 * template is rendered with HTML escaping and hail's hooks, once with the
 * data and once without; the template and the output are converted to text.
 * Any outcome is fine except a crash, a sanitizer report or a hang. */
#include "core/html_text.h"
#include "core/mustache.h"

static hail_err on_missing(void *ctx, const char *name, size_t n, int escaped, buf *out)
{
    (void)ctx;
    (void)escaped;
    return buf_printf(out, "{{%.*s}}", (int)(n > 64 ? 64 : n), name);
}

static hail_err on_comment(void *ctx, const char *text, size_t n, buf *out)
{
    (void)ctx;
    return buf_append(out, text, n > 64 ? 64 : n);
}

static int is_raw(void *ctx, const char *name, size_t n)
{
    (void)ctx;
    return n == 3 && !memcmp(name, "raw", 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *z1 = memchr(s, 0, size);
    size_t tn = z1 ? (size_t)(z1 - s) : size;
    const char *rest = z1 ? z1 + 1 : s + size;
    size_t rn = size - (size_t)(rest - s);
    const char *z2 = memchr(rest, 0, rn);
    size_t dn = z2 ? (size_t)(z2 - rest) : rn;
    const char *part = z2 ? z2 + 1 : rest + rn;
    size_t pn = size - (size_t)(part - s);

    json_t *d = json_loadb(rest, dn, JSON_DECODE_ANY, NULL);
    json_t *partials = json_object();
    json_t *p = json_stringn(part, pn);
    if (p)
        json_object_set_new(partials, "p", p);
    mustache_opts o = {.escape_html = 1,
                       .partials = partials,
                       .on_missing = on_missing,
                       .on_comment = on_comment,
                       .is_raw = is_raw};
    buf out = BUF_INIT(1 << 20);
    if (mustache_render(s, tn, d, &o, &out) == HAIL_OK) {
        buf t = BUF_INIT(1 << 20);
        html_to_text(buf_cstr(&out), out.len, &t);
        buf_release(&t);
    }
    buf_reset(&out);
    mustache_opts plain = {0};
    mustache_render(s, tn, NULL, &plain, &out);
    buf_release(&out);
    buf t = BUF_INIT(1 << 20);
    html_to_text(s, size, &t);
    buf_release(&t);
    json_decref(d);
    json_decref(partials);
    return 0;
}
