#include "core/common.h"

/* Unit tests for personalization: core/html_text (the text part of an
 * email), and mail/render filling a template for a person as a sender (the
 * fill rules of PRODUCT.md §3, HTML escaping in the body only, unfilled
 * fields, prompts, the sender's signature as HTML), on SQLite and on
 * PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/html_text.h"
#include "mail/render.h"
#define ENGINE_FIXTURE_NAME "render"
#include "engine_fixture.h"

static char *text(const char *html)
{
    static char out[4096];
    buf b = BUF_INIT(4000);
    assert_int_equal(html_to_text(html, strlen(html), &b), HAIL_OK);
    snprintf(out, sizeof out, "%s", buf_cstr(&b));
    buf_release(&b);
    return out;
}

static void test_html_text_blocks(void **state)
{
    assert_string_equal(text("<p>Hello <b>world</b>,</p>\n<p>  second\n  paragraph </p>"),
                        "Hello world,\n\nsecond paragraph");
    assert_string_equal(text("a<br>b<br/><br />c"), "a\nb\n\nc");
    assert_string_equal(text("<div>one</div><div>two</div><h1>Title</h1>after"),
                        "one\ntwo\n\nTitle\n\nafter");
    assert_string_equal(text("<ul><li>one</li><li>two <i>2</i></li></ul><p>end</p>"),
                        "- one\n- two 2\n\nend");
    assert_string_equal(text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"),
                        "a b\nc");
    assert_string_equal(text("<pre>  x = 1;\n  y = 2;</pre>z"), "  x = 1;\n  y = 2;\n\nz");
    assert_string_equal(text(""), "");
    assert_string_equal(text("  \n <p> </p> "), "");
}

static void test_html_text_links_and_entities(void **state)
{
    assert_string_equal(text("See <a href=\"https://example.com/a?x=1&amp;y=2\">the docs</a>."),
                        "See the docs <https://example.com/a?x=1&y=2>.");
    assert_string_equal(text("<a href='https://example.com'>https://example.com</a>"),
                        "https://example.com");
    assert_string_equal(text("<a href=\"mailto:ann@example.com\">ann@example.com</a>"),
                        "ann@example.com");
    assert_string_equal(text("<a href=\"https://example.com/x\"></a>"), "https://example.com/x");
    assert_string_equal(text("<a href=\"#top\">top</a> <a>plain</a>"), "top plain");
    assert_string_equal(text("<img src=\"x.png\" alt=\"Logo\"> &amp; &lt;b&gt; &quot;q&quot;"),
                        "Logo & <b> \"q\"");
    assert_string_equal(text("caf&eacute; caf&#233; &#x1F600; &#0; &bogus; a&b 5&#8364;"),
                        "caf&eacute; caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd &bogus; a&b "
                        "5\xe2\x82\xac");
    assert_string_equal(text("a&nbsp;&nbsp;b &mdash; c"), "a  b \xe2\x80\x94 c");
}

static void test_html_text_hidden_and_broken(void **state)
{
    assert_string_equal(text("<head><title>T</title><style>p{color:red}</style></head>"
                             "<body><script>alert('<p>x</p>')</script>Hi<!-- secret --></body>"),
                        "Hi");
    assert_string_equal(text("<!DOCTYPE html><p>x</p>"), "x");
    assert_string_equal(text("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
    assert_string_equal(text("<p>open <b"), "open");
    assert_string_equal(text("<!-- never closed"), "");
    assert_string_equal(text("<script>never closed"), "");
    assert_string_equal(text("<a href=\"x>y</a>"), "");
    assert_string_equal(text("<p title=\"a > b\">kept</p>"), "kept");
}

/* ---- render_for_person on both engines ---- */

static int64_t insert_id(db *d, const char *sql)
{
    db_st *st = db_prepare(d, sql);
    assert_non_null(st);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_st_free(st);
    return id;
}

typedef struct ids {
    int64_t user, person, bare, sender, nosig;
} ids;

static ids seed(db *d)
{
    ids x;
    x.user = insert_id(d, "INSERT INTO users (email, name, role, created_at, updated_at)"
                          " VALUES ('rita@example.com', 'Rita <Rep>', 'rep', 0, 0) RETURNING id");
    x.person = insert_id(d, "INSERT INTO people (marketo_id, first_name, last_name, email, title,"
                            " company, sfdc_account_id, active, created_at, updated_at) VALUES"
                            " (1, 'Ann', 'O''Neil', 'ann@example.com', 'CTO', 'Smith & <Sons>',"
                            " '001A', 1, 0, 0) RETURNING id");
    x.bare = insert_id(d, "INSERT INTO people (marketo_id, email, active, created_at, updated_at)"
                          " VALUES (2, 'b@example.com', 1, 0, 0) RETURNING id");
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO senders (user_id, address, display_name, signature_html, channel_id,"
             " created_at, updated_at) VALUES (%lld, 'rita@example.com', 'Rita',"
             " '<p>Rita &amp; team</p>', 1, 0, 0) RETURNING id",
             (long long)x.user);
    x.sender = insert_id(d, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO senders (user_id, address, display_name, channel_id,"
             " created_at, updated_at) VALUES (%lld, 'r2@example.com', 'Rita', 1, 0, 0)"
             " RETURNING id",
             (long long)x.user);
    x.nosig = insert_id(d, sql);
    return x;
}

static void assert_list(json_t *a, const char *want_json)
{
    json_t *w = json_loads(want_json, 0, NULL);
    assert_non_null(w);
    char *got = json_dumps(a, JSON_COMPACT);
    char *exp = json_dumps(w, JSON_COMPACT);
    assert_string_equal(got, exp);
    free(got);
    free(exp);
    json_decref(w);
}

static void test_render_fills_and_escapes(void **state)
{
    db *d = efx(state)->f.d;
    ids x = seed(d);
    rendered r;
    assert_int_equal(
        render_for_person(d, x.person, x.sender, "{{first_name}} @ {{company}}: {{title}}",
                          "<p>Hi {{first_name}} {{last_name}} of {{company}} ({{sfdc_account_id}})"
                          "</p>{{my_signature}}<p>{{my_name}} {{{company}}}</p>",
                          &r),
        HAIL_OK);
    /* The subject is text: no escaping. */
    assert_string_equal(r.subject, "Ann @ Smith & <Sons>: CTO");
    assert_string_equal(r.html, "<p>Hi Ann O&#39;Neil of Smith &amp; &lt;Sons&gt; (001A)</p>"
                                "<p>Rita &amp; team</p><p>Rita &lt;Rep&gt; Smith & <Sons></p>");
    assert_string_equal(r.text, "Hi Ann O'Neil of Smith & <Sons> (001A)\n\nRita & team\n\n"
                                "Rita <Rep> Smith &");
    assert_list(r.unfilled, "[]");
    assert_list(r.prompts, "[]");
    rendered_free(&r);
}

static void test_render_fill_rules(void **state)
{
    db *d = efx(state)->f.d;
    ids x = seed(d);
    rendered r;
    /* Blank first/last name and title, "your company", defaults; anything
     * else without a value (or unknown) is unfilled, each name once. */
    assert_int_equal(render_for_person(d, x.bare, x.nosig,
                                       "Hi {{first_name | default: \"there\"}} {{phone}}",
                                       "<p>[{{first_name}}][{{last_name}}][{{title}}] {{company}} "
                                       "{{phone}} {{linkedin_url | default: 'n/a'}} {{frist_name}}"
                                       "{{! one line on their launch }}{{!}}</p>{{my_signature}}",
                                       &r),
                     HAIL_OK);
    assert_string_equal(r.subject, "Hi there {{phone}}");
    assert_string_equal(r.html, "<p>[][][] your company <mark class=\"hail-unfilled\">{{phone}}"
                                "</mark> n/a <mark class=\"hail-unfilled\">{{frist_name}}</mark>"
                                "<mark class=\"hail-prompt\">one line on their launch</mark></p>");
    assert_list(r.unfilled, "[\"phone\", \"frist_name\"]");
    assert_list(r.prompts, "[\"one line on their launch\"]");
    rendered_free(&r);
    /* Sections on fields are conditions. */
    assert_int_equal(render_for_person(d, x.bare, x.sender, "s",
                                       "{{#title}}as {{title}}{{/title}}{{^title}}hello{{/title}}",
                                       &r),
                     HAIL_OK);
    assert_string_equal(r.html, "hello");
    assert_list(r.unfilled, "[]");
    rendered_free(&r);
}

static void test_render_errors(void **state)
{
    db *d = efx(state)->f.d;
    ids x = seed(d);
    rendered r;
    assert_int_equal(render_for_person(d, 999, x.sender, "s", "b", &r), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no person with id 999");
    assert_int_equal(render_for_person(d, x.person, 999, "s", "b", &r), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no sender with id 999");
    assert_int_equal(render_for_person(d, x.person, x.sender, "{{#a}}", "b", &r), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "subject: line 1: section a is never closed");
    assert_int_equal(render_for_person(d, x.person, x.sender, "s", "<p>\n\n{{x", &r), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(),
                        "body_html: line 3: a tag opened with {{ is never closed with }}");
    assert_null(r.html);
    /* As the user, without a sender. */
    assert_int_equal(render_for_person_as(d, x.person, 0, x.user, "{{my_name}} {{my_email}}",
                                          "{{my_signature}}", &r),
                     HAIL_OK);
    assert_string_equal(r.subject, "Rita <Rep> rita@example.com");
    assert_string_equal(r.html, "");
    rendered_free(&r);
    /* render_check: prompts, once each, and parse errors. */
    json_t *p = json_array();
    assert_int_equal(render_check("{{! a }}", "{{!a}} {{! b}}", p), HAIL_OK);
    assert_list(p, "[\"a\", \"b\"]");
    assert_int_equal(render_check("ok", "{{/x}}", p), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "body_html: line 1: {{/x}} closes no section");
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_html_text_blocks),
        cmocka_unit_test(test_html_text_links_and_entities),
        cmocka_unit_test(test_html_text_hidden_and_broken),
    };
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_render_fills_and_escapes),
        ON_SQLITE(test_render_fill_rules),
        ON_SQLITE(test_render_errors),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_render_fills_and_escapes),
        ON_PG(test_render_fill_rules),
        ON_PG(test_render_errors),
    };
    int fails = cmocka_run_group_tests_name("html_text", pure, NULL, NULL);
    fails += cmocka_run_group_tests_name("render/sqlite", sqlite_tests, NULL, NULL);
    fails += cmocka_run_group_tests_name("render/postgres", pg_tests, NULL, NULL);
    return fails ? 1 : 0;
}
