#include "core/common.h"

/* Unit tests for mail/mime: the tracked HTML (links rewritten by index, the
 * same URL once, other links left alone, the unsubscribe line on commercial
 * mail only, the pixel last) and the message itself, parsed back with GMime:
 * its structure (alternative, mixed with attachments), encodings (RFC 2047
 * subject and names, RFC 2231 file names, 7-bit bodies, CRLF), and headers
 * (Message-ID, List-Unsubscribe, List-Unsubscribe-Post, no Bcc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <gmime/gmime.h>
#include <jansson.h>

#include "mail/mime.h"

static hail_err fake_url(void *ctx, char kind, int link, char *out, size_t n)
{
    (void)ctx;
    snprintf(out, n, "https://hail.example/%c/%d", kind, link);
    return HAIL_OK;
}

static void test_track_html(void **state)
{
    (void)state;
    const char *html = "<html><body><p>Hi <a href=\"https://example.com/a?x=1&amp;y=2\">one</a>, "
                       "<A class=b HREF='http://example.org/'>two</A>, "
                       "<a href=\"mailto:me@example.com\">mail</a>, "
                       "<a href=https://example.com/a?x=1&y=2 target=_blank>again</a>"
                       "</p></body></html>";
    char *out, *text;
    json_t *links;
    assert_int_equal(mime_track_html(html, 1, fake_url, NULL, &out, &text, &links), HAIL_OK);
    assert_string_equal(
        out, "<html><body><p>Hi <a href=\"https://hail.example/c/0\">one</a>, "
             "<A class=b href=\"https://hail.example/c/1\">two</A>, "
             "<a href=\"mailto:me@example.com\">mail</a>, "
             "<a href=\"https://hail.example/c/0\" target=_blank>again</a>"
             "</p><p style=\"font-size:12px;color:#666\">If you would rather not hear from us, "
             "<a href=\"https://hail.example/u/0\">unsubscribe</a>.</p>"
             "<img src=\"https://hail.example/o/0\" width=\"1\" height=\"1\" alt=\"\">"
             "</body></html>");
    assert_int_equal(json_array_size(links), 2);
    assert_string_equal(json_string_value(json_array_get(links, 0)),
                        "https://example.com/a?x=1&y=2");
    assert_string_equal(json_string_value(json_array_get(links, 1)), "http://example.org/");
    /* The text part is derived before the pixel goes in. */
    assert_null(strstr(text, "/o/0"));
    assert_non_null(strstr(text, "https://hail.example/u/0"));
    free(out);
    free(text);
    json_decref(links);

    /* Not commercial: no unsubscribe line; no </body>: the pixel at the end. */
    assert_int_equal(mime_track_html("<p>plain</p>", 0, fake_url, NULL, &out, &text, &links),
                     HAIL_OK);
    assert_string_equal(out, "<p>plain</p><img src=\"https://hail.example/o/0\" width=\"1\" "
                             "height=\"1\" alt=\"\">");
    assert_int_equal(json_array_size(links), 0);
    free(out);
    free(text);
    json_decref(links);

    /* Malformed HTML does not upset it. */
    const char *bad[] = {"<a",
                         "<a ",
                         "<a href",
                         "<a href=",
                         "<a href=\"https://x",
                         "<a =>",
                         "<a href='https://x.example/'",
                         "<a\thref=https://x.example/>"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(mime_track_html(bad[i], 1, fake_url, NULL, &out, &text, &links), HAIL_OK);
        free(out);
        free(text);
        json_decref(links);
    }
}

static GMimeMessage *parse(const char *raw, size_t len)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(raw, len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
    g_object_unref(p);
    g_object_unref(s);
    assert_non_null(m);
    return m;
}

static const char *ctype(GMimeObject *o)
{
    static char t[128];
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    snprintf(t, sizeof t, "%s/%s", g_mime_content_type_get_media_type(ct),
             g_mime_content_type_get_media_subtype(ct));
    return t;
}

static char *part_text(GMimeObject *o)
{
    return g_mime_text_part_get_text(GMIME_TEXT_PART(o));
}

static void check_lines(const char *raw, size_t len)
{
    size_t line = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        assert_true(c < 0x80); /* 7-bit: every part encoded */
        if (c == '\n') {
            assert_true(i > 0 && raw[i - 1] == '\r'); /* CRLF */
            line = 0;
        } else {
            assert_true(++line <= 998);
        }
    }
}

static void test_build_with_attachments(void **state)
{
    (void)state;
    mime_init();
    char mid[256];
    assert_int_equal(mime_message_id(42, "ann@sales.example.com", mid, sizeof mid), HAIL_OK);
    assert_int_equal(strncmp(mid, "<hail.42.", 9), 0);
    assert_string_equal(mid + strlen(mid) - 19, "@sales.example.com>");
    assert_int_equal(strlen(mid), strlen("<hail.42.0123456789abcdef@sales.example.com>"));

    static const unsigned char pdf[] = {'%', 'P', 'D', 'F', 0, 1, 2, 0xff, 0xfe};
    mime_attachment att[] = {
        {"Prïce list – 2026.pdf", "application/pdf", pdf, sizeof pdf},
        {"notes.txt", "text/plain", "hello\n", 6},
    };
    const char *cc[] = {"boss@example.com"};
    char longline[3000];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    char html[4000];
    snprintf(html, sizeof html, "<p>Grüße, José — %s</p>", longline);
    mime_msg m = {
        .date_us = INT64_C(1767225600) * 1000000, /* 2026-01-01T00:00:00Z */
        .message_id = mid,
        .from_name = "Zoë Rép",
        .from_address = "ann@sales.example.com",
        .to_name = "José Müller",
        .to_address = "jose@example.org",
        .cc = cc,
        .ncc = 1,
        .subject = "Ihr Angebot — schön, oder? 日本語",
        .html = html,
        .text = "Grüße, José",
        .unsubscribe_url = "https://mail.hail.example:8443/u/"
                           "AAAAAAAAAAEAANw8A3YyNrJIrfDH873CLhTd5vYNHDPj9okayrub1qKP",
        .att = att,
        .natt = 2,
    };
    char *raw;
    size_t len;
    assert_int_equal(mime_build(&m, &raw, &len), HAIL_OK);
    assert_int_equal(strlen(raw), len);
    check_lines(raw, len);
    /* Encoded words and parameters, as on the wire. */
    assert_non_null(strstr(raw, "\r\nSubject: Ihr Angebot =?UTF-8?B?"));
    assert_non_null(strstr(raw, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(raw, "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_non_null(strstr(raw, "Content-Disposition: attachment;\r\n\tfilename*=UTF-8''"
                                "Pr%C3%AFce%20list%20%E2%80%93%202026.pdf\r\n"));
    /* One line, never an encoded word, however long (a real token URL is ~100 characters). */
    assert_non_null(strstr(raw, "List-Unsubscribe: "
                                "<https://mail.hail.example:8443/u/"
                                "AAAAAAAAAAEAANw8A3YyNrJIrfDH873CLhTd5vYNHDPj9okayrub1qKP>\r\n"));
    assert_non_null(strstr(raw, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    assert_null(strstr(raw, "Bcc:"));

    GMimeMessage *p = parse(raw, len);
    assert_string_equal(g_mime_message_get_subject(p), m.subject);
    char want_id[256];
    snprintf(want_id, sizeof want_id, "%.*s", (int)strlen(mid) - 2, mid + 1);
    assert_string_equal(g_mime_message_get_message_id(p), want_id);
    InternetAddressList *from = g_mime_message_get_from(p);
    InternetAddress *f = internet_address_list_get_address(from, 0);
    assert_string_equal(internet_address_get_name(f), "Zoë Rép");
    assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(f)),
                        "ann@sales.example.com");
    InternetAddress *to = internet_address_list_get_address(g_mime_message_get_to(p), 0);
    assert_string_equal(internet_address_get_name(to), "José Müller");
    assert_int_equal(internet_address_list_length(g_mime_message_get_cc(p)), 1);
    GDateTime *dt = g_mime_message_get_date(p);
    assert_int_equal(g_date_time_to_unix(dt), 1767225600);

    GMimeObject *root = g_mime_message_get_mime_part(p);
    assert_string_equal(ctype(root), "multipart/mixed");
    GMimeMultipart *mixed = GMIME_MULTIPART(root);
    assert_int_equal(g_mime_multipart_get_count(mixed), 3);
    GMimeObject *alt = g_mime_multipart_get_part(mixed, 0);
    assert_string_equal(ctype(alt), "multipart/alternative");
    GMimeObject *tp = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 0);
    GMimeObject *hp = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 1);
    assert_string_equal(ctype(tp), "text/plain");
    assert_string_equal(ctype(hp), "text/html");
    char *t = part_text(tp), *h = part_text(hp);
    assert_string_equal(t, "Grüße, José");
    assert_string_equal(h, html);
    g_free(t);
    g_free(h);

    GMimeObject *a0 = g_mime_multipart_get_part(mixed, 1);
    assert_string_equal(ctype(a0), "application/pdf");
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(a0)), "Prïce list – 2026.pdf");
    assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(a0)),
                     GMIME_CONTENT_ENCODING_BASE64);
    GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(a0));
    GMimeStream *out = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, out);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
    assert_int_equal(ba->len, sizeof pdf);
    assert_memory_equal(ba->data, pdf, sizeof pdf);
    g_object_unref(out);
    GMimeObject *a1 = g_mime_multipart_get_part(mixed, 2);
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(a1)), "notes.txt");
    g_object_unref(p);
    free(raw);
}

static void test_build_plain(void **state)
{
    (void)state;
    mime_msg m = {
        .date_us = INT64_C(1767225600) * 1000000,
        .message_id = "<hail.1.00@example.com>",
        .from_name = "Ann",
        .from_address = "ann@example.com",
        .to_name = "",
        .to_address = "bob@example.org",
        .subject = "Hello",
        .html = "<p>Hello</p>",
        .text = "Hello",
    };
    char *raw;
    size_t len;
    assert_int_equal(mime_build(&m, &raw, &len), HAIL_OK);
    check_lines(raw, len);
    assert_non_null(strstr(raw, "Subject: Hello\r\n"));
    /* Not commercial: no unsubscribe headers. */
    assert_null(strstr(raw, "List-Unsubscribe"));
    GMimeMessage *p = parse(raw, len);
    GMimeObject *root = g_mime_message_get_mime_part(p);
    assert_string_equal(ctype(root), "multipart/alternative");
    assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(root)), 2);
    assert_string_equal(g_mime_message_get_message_id(p), "hail.1.00@example.com");
    g_object_unref(p);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_track_html),
        cmocka_unit_test(test_build_with_attachments),
        cmocka_unit_test(test_build_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
