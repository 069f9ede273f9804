/* Mustache templates (pure: no I/O), as in the mustache spec: interpolation
 * ({{name}} escaped, {{{name}}} and {{&name}} not), dotted names and the
 * implicit iterator {{.}}, sections {{#x}}…{{/x}} and inverted sections
 * {{^x}}…{{/x}}, comments {{! … }}, partials {{>name}} (with the indentation
 * of a standalone partial), set-delimiter tags {{=<% %>=}} and the
 * standalone-line rules. Lambdas (an optional part of the spec) are not
 * supported: data is JSON, which has no functions.
 *
 * hail's additions:
 * - a default for an interpolation: {{first_name | default: "there"}} (also
 *   'single quotes'; \" and \\ escape inside), used when the value is
 *   missing, null or the empty string;
 * - the caller hears of every interpolation that has no value and no
 *   default (on_missing: the fill rules of mail/render.c) and of every
 *   comment (on_comment: a field prompt the writer must replace).
 *
 * Data is a jansson tree. A section's value is false when it is missing,
 * null, false, an empty array or the empty string; an array repeats the
 * section for each element; anything else is pushed as the context once.
 * Templates that do not parse (an unclosed tag or section, a close that
 * does not match, a bad delimiter, an unknown filter) fail with HAIL_EINVAL
 * and a message naming the line. Output is bounded by the caller's buf,
 * partials nest at most MUSTACHE_MAX_DEPTH deep and the work is bounded by
 * MUSTACHE_MAX_STEPS.
 */
#ifndef HAIL_CORE_MUSTACHE_H
#define HAIL_CORE_MUSTACHE_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define MUSTACHE_MAX_DEPTH 64
/* Tags and texts rendered at most, over all sections and partials (work
 * without output, like a section in a section over long lists, is bounded
 * too): past it, HAIL_ETOOBIG. */
#define MUSTACHE_MAX_STEPS 2000000

typedef struct mustache_opts {
    /* 1: {{name}} is HTML-escaped (& < > " '); 0: every value is written as it is. */
    int escape_html;
    /* Partials by name (an object of strings), or NULL: {{>name}} of an
     * unknown partial renders nothing. */
    json_t *partials;
    /* An interpolation with no value (missing, null or "") and no default:
     * the callback writes what stands in its place into out (nothing: it
     * renders empty). name is the tag's name; escaped tells {{x}} from
     * {{{x}}}. NULL: render empty. */
    hail_err (*on_missing)(void *ctx, const char *name, size_t n, int escaped, buf *out);
    /* A comment's text (between "!" and the closing delimiter, as written);
     * the callback may write into out. NULL: comments render nothing. */
    hail_err (*on_comment)(void *ctx, const char *text, size_t n, buf *out);
    /* With escape_html: 1 when the field name's value is HTML already and is
     * written as it is even in {{name}} (a signature). NULL: none is. */
    int (*is_raw)(void *ctx, const char *name, size_t n);
    void *ctx;
} mustache_opts;

/* Renders tpl[0..n) with data (any JSON value; NULL as null) into out. */
hail_err mustache_render(const char *tpl, size_t n, json_t *data, const mustache_opts *o, buf *out);

/* Appends s[0..n) HTML-escaped (& < > " ' as entities) to out. */
hail_err mustache_escape_html(buf *out, const char *s, size_t n);

#endif
