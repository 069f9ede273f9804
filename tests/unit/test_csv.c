#include "core/common.h"

/* Unit tests for core/csv: RFC 4180 parsing, fed whole and in every split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/csv.h"
#include "core/err.h"

/* ---- harness ---- */

/* Records are logged as  <line>:u[field]q[field]...\n  (u = unquoted, q = quoted). */
typedef struct {
    buf log;
    int nrec;
    int stop_at; /* return stop_err from the stop_at-th record (1-based); 0 = never */
    hail_err stop_err;
} collector;

static hail_err on_row(void *ctx, const csv_record *rec)
{
    collector *c = ctx;
    c->nrec++;
    buf_printf(&c->log, "%lu:", rec->line);
    for (size_t i = 0; i < rec->nfields; i++) {
        /* Fields are C strings in place as well as counted. */
        assert_int_equal(rec->field[i][rec->len[i]], '\0');
        buf_putc(&c->log, rec->quoted[i] ? 'q' : 'u');
        buf_putc(&c->log, '[');
        buf_append(&c->log, rec->field[i], rec->len[i]);
        buf_putc(&c->log, ']');
    }
    buf_putc(&c->log, '\n');
    if (c->stop_at && c->nrec == c->stop_at)
        return c->stop_err;
    return HAIL_OK;
}

typedef struct {
    char *log;
    int nrec;
    hail_err err;
    char msg[512];
} result;

static void result_free(result *r)
{
    free(r->log);
    r->log = NULL;
}

/* Parses in[0..len) fed in the chunks delimited by cuts (ascending offsets). */
static void run_cuts(const char *in, size_t len, size_t max, const size_t *cuts, size_t ncuts,
                     int stop_at, hail_err stop_err, result *r)
{
    collector c = {.stop_at = stop_at, .stop_err = stop_err};
    buf_init(&c.log, 1 << 20);
    csv_parser p;
    csv_init(&p, on_row, &c, max);
    hail_errclear();
    hail_err e = HAIL_OK;
    size_t pos = 0;
    for (size_t k = 0; k <= ncuts && !e; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        /* A copy of exactly the chunk, so ASan sees any read past it. */
        char *chunk = malloc(end - pos + 1);
        assert_non_null(chunk);
        memcpy(chunk, in + pos, end - pos);
        e = csv_feed(&p, chunk, end - pos);
        free(chunk);
        pos = end;
    }
    if (!e)
        e = csv_finish(&p);
    r->err = e;
    snprintf(r->msg, sizeof r->msg, "%s", e ? hail_errmsg() : "");
    if (e) {
        /* After an error the parser keeps answering with it. */
        assert_int_equal(csv_feed(&p, "x,y\n", 4), e);
        assert_int_equal(csv_finish(&p), e);
    }
    r->nrec = c.nrec;
    r->log = strdup(buf_cstr(&c.log));
    assert_non_null(r->log);
    buf_release(&c.log);
    csv_release(&p);
}

static void same_result(const result *want, const result *got, const char *how)
{
    if (want->err != got->err || strcmp(want->log, got->log) != 0 ||
        strcmp(want->msg, got->msg) != 0) {
        print_error("split %s: want err=%d msg='%s' log:\n%s\ngot err=%d msg='%s' log:\n%s\n", how,
                    want->err, want->msg, want->log, got->err, got->msg, got->log);
        fail();
    }
}

/* Parses whole, then split at every byte boundary, into three chunks at every
 * pair of boundaries, and one byte at a time; all must agree. */
static void parse_all_ways(const char *in, size_t len, size_t max, int stop_at, hail_err stop_err,
                           result *whole)
{
    run_cuts(in, len, max, NULL, 0, stop_at, stop_err, whole);

    for (size_t k = 0; k <= len; k++) {
        result r;
        size_t cuts[1] = {k};
        run_cuts(in, len, max, cuts, 1, stop_at, stop_err, &r);
        char how[64];
        snprintf(how, sizeof how, "at %zu", k);
        same_result(whole, &r, how);
        result_free(&r);
    }
    if (len <= 80) {
        for (size_t a = 0; a <= len; a++)
            for (size_t b = a; b <= len; b++) {
                result r;
                size_t cuts[2] = {a, b};
                run_cuts(in, len, max, cuts, 2, stop_at, stop_err, &r);
                char how[64];
                snprintf(how, sizeof how, "at %zu and %zu", a, b);
                same_result(whole, &r, how);
                result_free(&r);
            }
    }
    size_t *cuts = malloc((len + 1) * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t k = 0; k < len; k++)
        cuts[k] = k + 1;
    result r;
    run_cuts(in, len, max, cuts, len ? len - 1 : 0, stop_at, stop_err, &r);
    same_result(whole, &r, "one byte at a time");
    result_free(&r);
    free(cuts);
}

static void expect_records(const char *in, const char *want_log)
{
    result r;
    parse_all_ways(in, strlen(in), 4096, 0, HAIL_OK, &r);
    if (r.err)
        print_error("unexpected error %d: %s\n", r.err, r.msg);
    assert_int_equal(r.err, HAIL_OK);
    assert_string_equal(r.log, want_log);
    result_free(&r);
}

/* Parsing must fail with err and exactly the message msg, after delivering
 * exactly want_log. */
static void expect_error(const char *in, size_t max, hail_err err, const char *msg,
                         const char *want_log)
{
    result r;
    parse_all_ways(in, strlen(in), max, 0, HAIL_OK, &r);
    assert_int_equal(r.err, err);
    assert_string_equal(r.msg, msg);
    assert_string_equal(r.log, want_log);
    result_free(&r);
}

/* ---- well-formed input ---- */

static void test_simple_lf(void **state)
{
    expect_records("a,b,c\n1,2,3\n", "1:u[a]u[b]u[c]\n2:u[1]u[2]u[3]\n");
}

static void test_quoted_commas(void **state)
{
    expect_records("a,\"b,c\",d\n\",\",\",,\"\n", "1:u[a]q[b,c]u[d]\n2:q[,]q[,,]\n");
}

static void test_doubled_quotes(void **state)
{
    expect_records("\"he said \"\"hi\"\"\",x\n\"\"\"\"\n\"a\"\"\",\"\"\"b\"\n",
                   "1:q[he said \"hi\"]u[x]\n2:q[\"]\n3:q[a\"]q[\"b]\n");
}

static void test_quoted_newlines(void **state)
{
    /* LF and CRLF inside quotes are data; the record after starts on the
     * physical line after them. */
    expect_records("\"line1\nline2\",b\n\"x\r\ny\",z\r\nlast,\"\n\n\"\n",
                   "1:q[line1\nline2]u[b]\n3:q[x\r\ny]u[z]\n5:u[last]q[\n\n]\n");
}

static void test_crlf_and_lf_mixed(void **state)
{
    expect_records("a,b\r\nc,d\ne,f\r\n\"g\",\"h\"\r\n",
                   "1:u[a]u[b]\n2:u[c]u[d]\n3:u[e]u[f]\n4:q[g]q[h]\n");
}

static void test_lone_cr_ends_record(void **state)
{
    expect_records("a\rb\n", "1:u[a]\n2:u[b]\n");
    expect_records("a,\"q\"\rb\r", "1:u[a]q[q]\n2:u[b]\n");
    expect_records("x\r\ry\n", "1:u[x]\n3:u[y]\n");
}

static void test_trailing_comma_empty_field(void **state)
{
    expect_records("a,\n", "1:u[a]u[]\n");
    expect_records("a,\r\n", "1:u[a]u[]\n");
    expect_records("a,b,\nc,d,\n", "1:u[a]u[b]u[]\n2:u[c]u[d]u[]\n");
    /* at the end of input without a line break too */
    expect_records("a,", "1:u[a]u[]\n");
    expect_records("x\na,b,", "1:u[x]\n2:u[a]u[b]u[]\n");
    expect_records(",", "1:u[]u[]\n");
    expect_records(",,\n", "1:u[]u[]u[]\n");
    expect_records("\"a\",", "1:q[a]u[]\n");
}

static void test_last_record_without_newline(void **state)
{
    expect_records("a,b\nc,d", "1:u[a]u[b]\n2:u[c]u[d]\n");
    expect_records("only", "1:u[only]\n");
    expect_records("a,\"b\"", "1:u[a]q[b]\n");
    expect_records("\"multi\nline\"", "1:q[multi\nline]\n");
}

static void test_blank_lines_skipped(void **state)
{
    expect_records("\n\na\n\r\n\nb\n\n", "3:u[a]\n6:u[b]\n");
    expect_records("", "");
    expect_records("\n", "");
    expect_records("\r\n\r\n", "");
}

static void test_quoted_flag(void **state)
{
    /* `null` and `"null"` must be told apart, and so must an empty field and "". */
    expect_records("null,\"null\",,\"\"\n", "1:u[null]q[null]u[]q[]\n");
    /* A line holding only "" is a record with one empty quoted field, not a blank line. */
    expect_records("\"\"\n", "1:q[]\n");
    expect_records("\"\"", "1:q[]\n");
}

static void test_utf8_and_spaces_kept(void **state)
{
    expect_records(" a , b \nJos\xc3\xa9,M\xc3\xbcller\n",
                   "1:u[ a ]u[ b ]\n2:u[Jos\xc3\xa9]u[M\xc3\xbcller]\n");
}

static void test_line_numbers(void **state)
{
    expect_records("h1,h2\n\"a\nb\nc\",x\n\ny,\"z\r\n\"\r\nlast\n",
                   "1:u[h1]u[h2]\n2:q[a\nb\nc]u[x]\n6:u[y]q[z\r\n]\n8:u[last]\n");
}

static void test_many_records_each_under_max(void **state)
{
    /* The limit is per record: a long input of short records is fine. */
    buf in = BUF_INIT(1 << 20), want = BUF_INIT(1 << 20);
    for (int i = 1; i <= 500; i++) {
        buf_printf(&in, "%d,\"name %d\",x\r\n", i, i);
        buf_printf(&want, "%d:u[%d]q[name %d]u[x]\n", i, i, i);
    }
    result r;
    run_cuts(in.data, in.len, 32, NULL, 0, 0, HAIL_OK, &r);
    assert_int_equal(r.err, HAIL_OK);
    assert_int_equal(r.nrec, 500);
    assert_string_equal(r.log, want.data);
    result_free(&r);
    /* and in odd-sized chunks */
    size_t cuts[4096];
    size_t n = 0;
    for (size_t k = 7; k < in.len && n < 4096; k += 13)
        cuts[n++] = k;
    run_cuts(in.data, in.len, 32, cuts, n, 0, HAIL_OK, &r);
    assert_int_equal(r.err, HAIL_OK);
    assert_string_equal(r.log, want.data);
    result_free(&r);
    buf_release(&in);
    buf_release(&want);
}

static void test_max_fields(void **state)
{
    buf in = BUF_INIT(1 << 16);
    for (int i = 0; i < CSV_MAX_FIELDS; i++)
        buf_puts(&in, i ? ",x" : "x");
    buf_puts(&in, "\n");
    result r;
    run_cuts(in.data, in.len, 4096, NULL, 0, 0, HAIL_OK, &r);
    assert_int_equal(r.err, HAIL_OK);
    assert_int_equal(r.nrec, 1);
    result_free(&r);

    buf_reset(&in);
    buf_puts(&in, "ok\n");
    for (int i = 0; i < CSV_MAX_FIELDS + 1; i++)
        buf_puts(&in, i ? ",x" : "x");
    buf_puts(&in, "\n");
    parse_all_ways(in.data, in.len, 4096, 0, HAIL_OK, &r);
    assert_int_equal(r.err, HAIL_EINVAL);
    assert_string_equal(r.msg, "line 2: more than 256 fields");
    assert_string_equal(r.log, "1:u[ok]\n");
    result_free(&r);
    buf_release(&in);
}

/* ---- errors ---- */

static void test_unterminated_quote(void **state)
{
    expect_error("a,\"bc\n", 4096, HAIL_EINVAL, "line 1: quoted field not closed at end of input",
                 "");
    expect_error("x\ny\n\"abc\ndef", 4096, HAIL_EINVAL,
                 "line 3: quoted field not closed at end of input", "1:u[x]\n2:u[y]\n");
    expect_error("\"", 4096, HAIL_EINVAL, "line 1: quoted field not closed at end of input", "");
    expect_error("a,b\n\"\"\"", 4096, HAIL_EINVAL,
                 "line 2: quoted field not closed at end of input", "1:u[a]u[b]\n");
}

static void test_stray_quote(void **state)
{
    expect_error("ab\"c\n", 4096, HAIL_EINVAL, "line 1: stray quote in an unquoted field", "");
    expect_error("ok\nab\"c,d\nnever\n", 4096, HAIL_EINVAL,
                 "line 2: stray quote in an unquoted field", "1:u[ok]\n");
    expect_error("ok\nx,y\"\n", 4096, HAIL_EINVAL, "line 2: stray quote in an unquoted field",
                 "1:u[ok]\n");
}

static void test_junk_after_closing_quote(void **state)
{
    expect_error("1\n2\n\"a\"b,c\n", 4096, HAIL_EINVAL,
                 "line 3: unexpected character after a closing quote", "1:u[1]\n2:u[2]\n");
    expect_error("\"a\" ,c\n", 4096, HAIL_EINVAL,
                 "line 1: unexpected character after a closing quote", "");
}

static void test_record_too_big(void **state)
{
    /* One long unquoted field. */
    expect_error("short\n0123456789012345678901234567890123456789\nnext\n", 16, HAIL_ETOOBIG,
                 "line 2: record longer than 16 bytes", "1:u[short]\n");
    /* A long quoted field spanning lines. */
    expect_error("a\nb\n\"0123456789\n0123456789\n0123456789\"\n", 16, HAIL_ETOOBIG,
                 "line 3: record longer than 16 bytes", "1:u[a]\n2:u[b]\n");
    /* Many short fields adding up. */
    expect_error("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t\n", 16, HAIL_ETOOBIG,
                 "line 1: record longer than 16 bytes", "");
    /* Blank lines in between still count lines. */
    expect_error("ok\n\n\n\"xxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n", 16, HAIL_ETOOBIG,
                 "line 4: record longer than 16 bytes", "1:u[ok]\n");

    /* Just under the limit (the record with its line break fits) is fine. */
    result r;
    run_cuts("0123456789abcde\n", 16, 16, NULL, 0, 0, HAIL_OK, &r);
    assert_int_equal(r.err, HAIL_OK);
    assert_string_equal(r.log, "1:u[0123456789abcde]\n");
    result_free(&r);
    /* One past it is not. */
    run_cuts("0123456789abcdefg\n", 18, 16, NULL, 0, 0, HAIL_OK, &r);
    assert_int_equal(r.err, HAIL_ETOOBIG);
    result_free(&r);
}

static void test_callback_error_stops(void **state)
{
    const char *in = "r1\nr2\nr3\nr4\n";
    result r;
    parse_all_ways(in, strlen(in), 4096, 2, HAIL_ECANCELLED, &r);
    assert_int_equal(r.err, HAIL_ECANCELLED);
    assert_int_equal(r.nrec, 2);
    assert_string_equal(r.log, "1:u[r1]\n2:u[r2]\n");
    result_free(&r);

    /* Stopping on the last record, delivered by csv_finish. */
    in = "r1\nr2";
    parse_all_ways(in, strlen(in), 4096, 2, HAIL_EINVAL, &r);
    assert_int_equal(r.err, HAIL_EINVAL);
    assert_int_equal(r.nrec, 2);
    result_free(&r);

    /* Directly: feed returns the callback's error and delivers nothing more. */
    collector c = {.stop_at = 1, .stop_err = HAIL_EBUSY};
    buf_init(&c.log, 4096);
    csv_parser p;
    csv_init(&p, on_row, &c, 4096);
    assert_int_equal(csv_feed(&p, "a\nb\nc\n", 6), HAIL_EBUSY);
    assert_int_equal(c.nrec, 1);
    assert_int_equal(csv_feed(&p, "d\n", 2), HAIL_EBUSY);
    assert_int_equal(csv_finish(&p), HAIL_EBUSY);
    assert_int_equal(c.nrec, 1);
    csv_release(&p);
    buf_release(&c.log);
}

static void test_empty_chunks(void **state)
{
    collector c = {0};
    buf_init(&c.log, 4096);
    csv_parser p;
    csv_init(&p, on_row, &c, 4096);
    assert_int_equal(csv_feed(&p, "", 0), HAIL_OK);
    assert_int_equal(csv_feed(&p, "a,\"b", 4), HAIL_OK);
    assert_int_equal(csv_feed(&p, "", 0), HAIL_OK);
    assert_int_equal(csv_feed(&p, "\"", 1), HAIL_OK);
    assert_int_equal(c.nrec, 0);
    assert_int_equal(csv_finish(&p), HAIL_OK);
    assert_int_equal(c.nrec, 1);
    assert_string_equal(buf_cstr(&c.log), "1:u[a]q[b]\n");
    csv_release(&p);
    buf_release(&c.log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_lf),
        cmocka_unit_test(test_quoted_commas),
        cmocka_unit_test(test_doubled_quotes),
        cmocka_unit_test(test_quoted_newlines),
        cmocka_unit_test(test_crlf_and_lf_mixed),
        cmocka_unit_test(test_lone_cr_ends_record),
        cmocka_unit_test(test_trailing_comma_empty_field),
        cmocka_unit_test(test_last_record_without_newline),
        cmocka_unit_test(test_blank_lines_skipped),
        cmocka_unit_test(test_quoted_flag),
        cmocka_unit_test(test_utf8_and_spaces_kept),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_many_records_each_under_max),
        cmocka_unit_test(test_max_fields),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_stray_quote),
        cmocka_unit_test(test_junk_after_closing_quote),
        cmocka_unit_test(test_record_too_big),
        cmocka_unit_test(test_callback_error_stops),
        cmocka_unit_test(test_empty_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
