#include "core/common.h"

/* Unit tests for core/mustache: every case of the mustache spec
 * (HAIL_SHARED_DIR/testdata/mustache-spec/, every .json file), then hail's additions
 * (defaults, the missing-field and comment hooks) and the errors. */
#include <dirent.h>
#include <setjmp.h>

#include <cmocka.h>

#include "core/mustache.h"

#ifndef HAIL_SHARED_DIR
#define HAIL_SHARED_DIR "../shared"
#endif

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_spec(void **state)
{
    const char *dir = HAIL_SHARED_DIR "/testdata/mustache-spec";
    DIR *dh = opendir(dir);
    if (!dh) {
        print_message("mustache spec: %s is missing\n", dir);
        fail();
    }
    char *names[64];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(dh)) && nn < sizeof names / sizeof *names) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".json"))
            names[nn++] = strdup(de->d_name);
    }
    closedir(dh);
    qsort(names, nn, sizeof *names, cmp_names);
    int passed = 0, total = 0;
    for (size_t f = 0; f < nn; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        json_error_t err;
        json_t *doc = json_load_file(path, 0, &err);
        assert_non_null(doc);
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(doc, "tests"), i, c)
        {
            const char *tpl = json_string_value(json_object_get(c, "template"));
            const char *want = json_string_value(json_object_get(c, "expected"));
            mustache_opts o = {.escape_html = 1, .partials = json_object_get(c, "partials")};
            buf b = BUF_INIT(1 << 20);
            hail_err e = mustache_render(tpl, strlen(tpl), json_object_get(c, "data"), &o, &b);
            total++;
            if (!e && !strcmp(buf_cstr(&b), want))
                passed++;
            else
                print_message("FAIL %s / %s: got \"%s\" (%s), want \"%s\"\n", names[f],
                              json_string_value(json_object_get(c, "name")), e ? "" : buf_cstr(&b),
                              e ? hail_errmsg() : "ok", want);
            buf_release(&b);
        }
        json_decref(doc);
        free(names[f]);
    }
    print_message("mustache spec: %d/%d passed\n", passed, total);
    assert_true(total >= 136);
    assert_int_equal(passed, total);
}

/* Renders tpl with data (JSON text) through o; returns the output or the error. */
static char *run(const char *tpl, const char *data, const mustache_opts *o)
{
    static char out[4096];
    json_t *d = json_loads(data, 0, NULL);
    assert_non_null(d);
    buf b = BUF_INIT(4000);
    hail_err e = mustache_render(tpl, strlen(tpl), d, o, &b);
    snprintf(out, sizeof out, "%s", e ? hail_errmsg() : buf_cstr(&b));
    if (e)
        snprintf(out, sizeof out, "ERROR %s: %s", hail_strerror(e), hail_errmsg());
    buf_release(&b);
    json_decref(d);
    return out;
}

static void test_default(void **state)
{
    mustache_opts html = {.escape_html = 1};
    assert_string_equal(run("Hi {{first_name | default: \"there\"}}!", "{}", &html), "Hi there!");
    assert_string_equal(run("Hi {{first_name|default:'there'}}!", "{\"first_name\":null}", &html),
                        "Hi there!");
    assert_string_equal(
        run("Hi {{ first_name | default: \"there\" }}!", "{\"first_name\":\"\"}", &html),
        "Hi there!");
    assert_string_equal(
        run("Hi {{first_name | default: \"there\"}}!", "{\"first_name\":\"Ann\"}", &html),
        "Hi Ann!");
    /* Escapes inside the quotes; the default is HTML-escaped like a value. */
    assert_string_equal(run("{{x | default: \"say \\\"<hi>\\\" \\\\o/\"}}", "{}", &html),
                        "say &quot;&lt;hi&gt;&quot; \\o/");
    assert_string_equal(run("{{{x | default: \"<b>\"}}}", "{}", &html), "<b>");
    mustache_opts plain = {0};
    assert_string_equal(run("{{x | default: \"<b>\"}} {{y}}", "{\"y\":\"a&b\"}", &plain),
                        "<b> a&b");
}

static hail_err mark_missing(void *ctx, const char *name, size_t n, int escaped, buf *out)
{
    (*(int *)ctx)++;
    return buf_printf(out, "[%.*s%s]", (int)n, name, escaped ? "" : "!");
}

static hail_err mark_comment(void *ctx, const char *text, size_t n, buf *out)
{
    return buf_printf(out, "<%.*s>", (int)n, text);
}

static void test_hooks(void **state)
{
    int missing = 0;
    mustache_opts o = {
        .escape_html = 1, .on_missing = mark_missing, .on_comment = mark_comment, .ctx = &missing};
    assert_string_equal(run("{{a}} {{{b}}} {{c}} {{d | default: \"x\"}} {{! write one line }}",
                            "{\"a\":null,\"c\":\"C\"}", &o),
                        "[a] [b!] C x < write one line >");
    assert_int_equal(missing, 2);
    /* A section on a missing field is a condition, not a missing value. */
    missing = 0;
    assert_string_equal(run("{{#title}}as {{title}}{{/title}}{{^title}}-{{/title}}", "{}", &o),
                        "-");
    assert_int_equal(missing, 0);
    /* An empty string is false in a section. */
    assert_string_equal(run("{{#t}}yes{{/t}}{{^t}}no{{/t}}", "{\"t\":\"\"}", &o), "no");
}

static void test_errors(void **state)
{
    mustache_opts o = {.escape_html = 1};
    assert_string_equal(run("a\n{{name", "{}", &o),
                        "ERROR bad_request: line 2: a tag opened with {{ is never closed with }}");
    assert_string_equal(run("{{#a}}\n{{#b}}", "{}", &o),
                        "ERROR bad_request: line 2: section b is never closed");
    assert_string_equal(run("{{#a}}\n{{/b}}", "{}", &o),
                        "ERROR bad_request: line 2: {{/b}} closes section a of line 1");
    assert_string_equal(run("x {{/b}}", "{}", &o),
                        "ERROR bad_request: line 1: {{/b}} closes no section");
    assert_string_equal(run("{{ }}", "{}", &o), "ERROR bad_request: line 1: a tag with no name");
    assert_string_equal(run("{{=<% =}}", "{}", &o),
                        "ERROR bad_request: line 1: a delimiter tag needs two delimiters without "
                        "spaces or '=' (like {{=<% %>=}})");
    assert_string_equal(run("{{a | upper}}", "{}", &o),
                        "ERROR bad_request: line 1: the only filter is | default: \"text\" (in "
                        "{{a | upper}})");
    assert_string_equal(run("{{a | default: \"x}}", "{}", &o),
                        "ERROR bad_request: line 1: the only filter is | default: \"text\" (in "
                        "{{a | default: \"x}})");
    assert_string_equal(run("{{a b}}", "{}", &o),
                        "ERROR bad_request: line 1: 'a b' is not a field name");
    /* A partial that includes itself forever stops at the depth limit. */
    json_t *p = json_pack("{s:s}", "x", "{{>x}}");
    mustache_opts po = {.partials = p};
    assert_string_equal(run("{{>x}}", "{}", &po),
                        "ERROR bad_request: partials nest deeper than 64");
    json_decref(p);
    /* Work without output is bounded too: 20^7 passes of nested sections. */
    assert_string_equal(run("{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}"
                            "{{/a}}{{/a}}{{/a}}",
                            "{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}", &po),
                        "ERROR too_large: the template takes more than 2000000 steps to fill");
    /* Output past the buffer's limit. */
    buf b = BUF_INIT(10);
    json_t *d = json_pack("{s:s}", "a", "0123456789abc");
    assert_int_equal(mustache_render("{{a}}", 5, d, &o, &b), HAIL_ETOOBIG);
    json_decref(d);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_hooks),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
