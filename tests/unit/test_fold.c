#include "core/common.h"

/* Unit tests for core/fold: search keys and prefix bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/fold.h"
#include "core/utf8.h"

/* Folds s[0..len) into a buffer of exactly len + 1 bytes (so ASan catches any
 * write past the documented size). Caller frees. */
static char *fold_n(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(len + 1);
    assert_non_null(out);
    memset(out, 'Z', len + 1);
    size_t n = fold_key(s, len, out);
    assert_true(n <= len);
    assert_int_equal(out[n], '\0');
    if (outlen)
        *outlen = n;
    return out;
}

static void check_fold(const char *in, const char *want)
{
    size_t n;
    char *got = fold_n(in, strlen(in), &n);
    if (n != strlen(want) || memcmp(got, want, n) != 0) {
        print_error("fold('%s') = '%s' (%zu bytes), want '%s'\n", in, got, n, want);
        free(got);
        fail();
    }
    free(got);
}

static void test_ascii_lowercase(void **state)
{
    check_fold("Hello WORLD", "hello world");
    check_fold("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz");
    check_fold("already lower 123", "already lower 123");
    check_fold("O'Brien-Smith@Example.COM", "o'brien-smith@example.com");
    check_fold("[\\]^_`{|}~@", "[\\]^_`{|}~@"); /* neighbours of A-Z / a-z unchanged */
    check_fold("", "");
}

static void test_latin_diacritics(void **state)
{
    check_fold("\xc3\xa9", "e");                      /* é */
    check_fold("\xc3\x89", "e");                      /* É */
    check_fold("\xc3\xbc", "u");                      /* ü */
    check_fold("\xc3\x9c", "u");                      /* Ü */
    check_fold("\xc3\xb1", "n");                      /* ñ */
    check_fold("\xc3\x91", "n");                      /* Ñ */
    check_fold("\xc3\xa7", "c");                      /* ç */
    check_fold("\xc3\x87", "c");                      /* Ç */
    check_fold("\xc3\xb8", "o");                      /* ø */
    check_fold("\xc3\x98", "o");                      /* Ø */
    check_fold("\xc5\x82", "l");                      /* ł */
    check_fold("\xc5\x81", "l");                      /* Ł */
    check_fold("\xc3\x9f", "ss");                     /* ß */
    check_fold("\xc3\x86", "ae");                     /* Æ */
    check_fold("\xc3\xa6", "ae");                     /* æ */
    check_fold("\xc5\x92", "oe");                     /* Œ */
    check_fold("\xc5\x93", "oe");                     /* œ */
    check_fold("\xc3\x85ngstr\xc3\xb6m", "angstrom"); /* Ångström */
    check_fold("Jos\xc3\xa9 Garc\xc3\xad"
               "a",
               "jose garcia");             /* José García */
    check_fold("M\xc3\xbcller", "muller"); /* Müller */
    check_fold("Stra\xc3\x9f"
               "e",
               "strasse"); /* Straße */
    check_fold("\xc5\x81\xc3\xb3"
               "d\xc5\xba",
               "lodz");                                               /* Łódź */
    check_fold("\xc5\xa0kola \xc4\x8c\xc3\xad\xc5\xbe", "skola ciz"); /* Škola Číž */
    check_fold("D\xc3\xa9j\xc3\xa0 Vu", "deja vu");
    /* × and ÷ are not letters and stay. */
    check_fold("2\xc3\x97"
               "3\xc3\xb7"
               "4",
               "2\xc3\x97"
               "3\xc3\xb7"
               "4");
}

static void test_nfd_folds_like_nfc(void **state)
{
    /* e + U+0301 COMBINING ACUTE */
    check_fold("e\xcc\x81", "e");
    check_fold("Jose\xcc\x81", "jose");
    check_fold("E\xcc\x81", "e");
    /* u + U+0308 COMBINING DIAERESIS */
    check_fold("Mu\xcc\x88ller", "muller");
    /* several marks */
    check_fold("a\xcc\x81\xcc\x88\xcc\xa3"
               "b",
               "ab");

    const char *pairs[][2] = {
        {"Jos\xc3\xa9", "Jose\xcc\x81"},
        {"M\xc3\xbcller", "Mu\xcc\x88ller"},
        {"\xc3\x85sa", "A\xcc\x8asa"},
        {"Fran\xc3\xa7ois", "Franc\xcc\xa7ois"},
        {"Pe\xc3\xb1"
         "a",
         "Pen\xcc\x83"
         "a"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *a = fold_n(pairs[i][0], strlen(pairs[i][0]), NULL);
        char *b = fold_n(pairs[i][1], strlen(pairs[i][1]), NULL);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

static void test_greek_cyrillic(void **state)
{
    /* ΑΒΓΔ ΩΣ → αβγδ ωσ */
    check_fold("\xce\x91\xce\x92\xce\x93\xce\x94 \xce\xa9\xce\xa3",
               "\xce\xb1\xce\xb2\xce\xb3\xce\xb4 \xcf\x89\xcf\x83");
    /* lower-case Greek unchanged */
    check_fold("\xce\xb1\xce\xb2", "\xce\xb1\xce\xb2");
    /* МОСКВА → москва */
    check_fold("\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90",
               "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0");
    /* Я → я, Ё → ё, Ђ → ђ */
    check_fold("\xd0\xaf", "\xd1\x8f");
    check_fold("\xd0\x81", "\xd1\x91");
    check_fold("\xd0\x82", "\xd1\x92");
    /* Иван Петров → иван петров */
    check_fold("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2",
               "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd \xd0\xbf\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2");
}

static void test_whitespace(void **state)
{
    check_fold("  a  ", "a");
    check_fold("a \t\n b", "a b");
    check_fold("\tJohn\t\tSmith\r\n", "john smith");
    /* U+00A0 NO-BREAK SPACE is white space too */
    check_fold("\xc2\xa0John\xc2\xa0\xc2\xa0Smith\xc2\xa0", "john smith");
    check_fold("a\xc2\xa0 \tb", "a b");
    check_fold("   ", "");
    check_fold("\xc2\xa0", "");
    check_fold("\v\f x \v\f", "x");
}

static const char *const samples[] = {
    "",
    " ",
    "Hello WORLD",
    "  Jos\xc3\xa9   Garc\xc3\xad"
    "a  ",
    "Jose\xcc\x81",
    "M\xc3\xbcller",
    "Stra\xc3\x9f"
    "e",
    "\xc3\x86sir \xc5\x92uvre \xc4\xb2ssel",
    "\xce\x91\xce\x92\xce\x93",
    "\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90",
    "\xc2\xa0x\xc2\xa0",
    "a\xcc\x81\xcc\x81",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", /* 日本語 */
    "\xf0\x9f\x98\x80 emoji",
    "\xff\xfe"
    "ab\x80",
    "caf\xc3",
    "\xc3(",
    "\xe2\x82",
    "\xf0\x9f\x98",
    "\xc1\x81",         /* overlong 'A' */
    "\xc0\xa0x",        /* overlong space */
    "\xe0\x81\x81",     /* overlong 'A', three bytes */
    "\xc3\xcc\x81\xa9", /* stray lead byte, combining mark, stray continuation */
    "\xed\xa0\x80",     /* surrogate */
    "\xf4\x90\x80\x80", /* past U+10FFFF */
    "x\xcc\x81\xc3\xcc\x81\xcc\x81\xa9y",
};

static void test_idempotent(void **state)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        size_t n1, n2;
        char *once = fold_n(samples[i], strlen(samples[i]), &n1);
        char *twice = fold_n(once, n1, &n2);
        if (n1 != n2 || memcmp(once, twice, n1) != 0) {
            print_error("sample %zu: fold is not idempotent\n", i);
            free(once);
            free(twice);
            fail();
        }
        free(once);
        free(twice);
    }
}

static void test_idempotent_random(void **state)
{
    /* Random strings over an alphabet of interesting pieces, valid or not. */
    static const char *const pieces[] = {
        "a",
        "Z",
        " ",
        "\t",
        "\xc2\xa0",
        "\xc3\xa9",
        "\xc3\x89",
        "\xc3\x9f",
        "\xc3\x86",
        "\xc5\x92",
        "\xcc\x81",
        "\xcc\x88",
        "\xce\x91",
        "\xd0\x9c",
        "\xd0\x81",
        "\xe6\x97\xa5",
        "\xf0\x9f\x98\x80",
        "\xc3",
        "\xa9",
        "\x80",
        "\xff",
        "\xe2\x82",
        "\xc1",
        "\xc0",
        "\xe0",
        "\x81",
        "\xbf",
        "\xf0",
        "\x8f",
        "\xed",
        "\xa0",
        "\xf4",
        "\x90",
        "\xcc",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    unsigned seed = 12345;
    char in[128];
    for (int iter = 0; iter < 200000; iter++) {
        size_t len = 0;
        int count = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 10;
        for (int k = 0; k < count; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % np];
            size_t pl = strlen(p);
            memcpy(in + len, p, pl);
            len += pl;
        }
        size_t n1, n2;
        char *once = fold_n(in, len, &n1);
        char *twice = fold_n(once, n1, &n2);
        if (n1 != n2 || memcmp(once, twice, n1) != 0) {
            char hex[512];
            size_t h = 0;
            for (size_t k = 0; k < len && h + 4 < sizeof hex; k++)
                h += (size_t)snprintf(hex + h, sizeof hex - h, "%02x ", (unsigned char)in[k]);
            print_error("not idempotent for input: %s\n", hex);
            free(once);
            free(twice);
            fail();
        }
        free(once);
        free(twice);
    }
}

static void test_invalid_utf8_kept(void **state)
{
    size_t n;
    char *out = fold_n("\xff\xfe"
                       "AB\x80",
                       5, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(out,
                        "\xff\xfe"
                        "ab\x80",
                        5);
    free(out);

    out = fold_n("Caf\xc3", 4, &n); /* truncated at the end */
    assert_int_equal(n, 4);
    assert_memory_equal(out, "caf\xc3", 4);
    free(out);

    out = fold_n("\xc3(X", 3, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\xc3(x", 3);
    free(out);

    out = fold_n("\xf0\x9f\x98", 3, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\xf0\x9f\x98", 3);
    free(out);

    /* An overlong encoding is not a character: its bytes stay as they are
     * rather than turning into 'A' (or a NUL). */
    out = fold_n("\xc1\x81", 2, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "\xc1\x81", 2);
    free(out);
    out = fold_n("a\xc0\x80"
                 "b",
                 4, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(out,
                        "a\xc0\x80"
                        "b",
                        4);
    free(out);
}

static void test_never_longer(void **state)
{
    /* Every code point U+0000..U+07FF and a sample above, alone and with
     * upper-case ASCII around, folds into at most its own length. */
    for (unsigned cp = 1; cp < 0x10000; cp += cp < 0x800 ? 1 : 7) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char in[8];
        size_t len = 0;
        in[len++] = 'X';
        if (cp < 0x80) {
            in[len++] = (char)cp;
        } else if (cp < 0x800) {
            in[len++] = (char)(0xC0 | (cp >> 6));
            in[len++] = (char)(0x80 | (cp & 0x3F));
        } else {
            in[len++] = (char)(0xE0 | (cp >> 12));
            in[len++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            in[len++] = (char)(0x80 | (cp & 0x3F));
        }
        in[len++] = 'Y';
        size_t n;
        char *out = fold_n(in, len, &n); /* asserts n <= len */
        /* the folded text never holds a NUL byte (keys are C strings) */
        assert_null(memchr(out, '\0', n));
        free(out);
    }
}

/* ---- prefix bounds ---- */

static int binary_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    int c = memcmp(a, b, n);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static int sqlite_in_range(sqlite3 *db, const char *s, size_t sl, const char *lo, size_t ll,
                           const char *hi, size_t hl)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT $1 >= $2 AND $1 < $3", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, s, (int)sl, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, lo, (int)ll, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, hi, (int)hl, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int r = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return r;
}

static void test_prefix_upper(void **state)
{
    static const char *const prefixes[] = {
        "",
        "a",
        "jo",
        "jose",
        "m\xc3\xbc",
        "z",
        "~",
        "\x7f",
        "\xf4\x8f\xbf",
        "mu",
        "o'b",
        "\xdf\xbf",          /* U+07FF: its successor is 3 bytes */
        "\xed\x9f\xbf",      /* U+D7FF: the next is U+E000, past the surrogates */
        "\xef\xbf\xbf",      /* U+FFFF: the next is 4 bytes */
        "a\xf4\x8f\xbf\xbf", /* U+10FFFF last: dropped, then a -> b */
        "\xf4\x8f\xbf\xbf",  /* nothing follows: no bound */
        "@",
    };
    static const char *const keys[] = {
        "",
        "a",
        "ab",
        "jo",
        "jos",
        "jose",
        "jose garcia",
        "josf",
        "jp",
        "jn",
        "jo~",
        "jo\x7f",
        "jo\xc3\xa9",
        "jo\xef\xbf\xbf",
        "jo\xf4\x8f\xbf\xbf",
        "jo\xf0\x9f\x98\x80",
        "mu",
        "muller",
        "m\xc3\xbc",
        "m\xc3\xbcller",
        "m\xc3\xbd",
        "mv",
        "z",
        "zz",
        "~",
        "~~",
        "\x7f",
        "\xf4\x8f\xbf\xbf",
        "\xf4\x8f\xbf",
        "\xc3\xa9",
        "o'brien",
        "o'b",
        "o'a",
        "o(",
        "b",
        "\xc2\x80",
        "\xdf\xbf\x41",
        "\xe0\xa0\x80",
        "\xed\x9f\xbf!",
        "\xee\x80\x80",
        "\xef\xbf\xbf\xef\xbf\xbf",
        "\xf0\x90\x80\x80",
        "a\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf",
        "\xf4\x8f\xbf\xbfz",
        "@",
        "@a",
        "A",
    };
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        const char *p = prefixes[i];
        size_t pl = strlen(p);
        char hi[64];
        memset(hi, 'Z', sizeof hi);
        size_t hl = fold_prefix_upper(p, pl, hi);
        /* No bound only when nothing can follow: all U+10FFFF (or nothing). */
        int none = hl == 0;
        assert_int_equal(none, pl == 0 || strcmp(p, "\xf4\x8f\xbf\xbf") == 0);
        assert_true(hl <= pl + 1);
        assert_int_equal(hi[hl], '\0');
        assert_true(none || binary_cmp(p, pl, hi, hl) < 0);
        /* UTF-8 in, UTF-8 out: PostgreSQL's text takes nothing else. */
        if (utf8_is_valid(p, pl))
            assert_true(utf8_is_valid(hi, hl));
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *s = keys[k];
            size_t sl = strlen(s);
            int has_prefix = sl >= pl && memcmp(s, p, pl) == 0;
            int in_range = binary_cmp(s, sl, p, pl) >= 0 && (none || binary_cmp(s, sl, hi, hl) < 0);
            if (has_prefix != in_range) {
                print_error("prefix '%s', key '%s': has_prefix=%d in_range=%d\n", p, s, has_prefix,
                            in_range);
                fail();
            }
            /* strcmp (unsigned bytes) agrees for these C strings */
            if (has_prefix && !none) {
                char hz[66];
                memcpy(hz, hi, hl);
                hz[hl] = '\0';
                assert_true(strcmp(s, hz) < 0);
            }
            /* and so does SQLite's BINARY collation, as the list query uses it */
            if (!none)
                assert_int_equal(sqlite_in_range(db, s, sl, p, pl, hi, hl), has_prefix);
        }
    }
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_lowercase),    cmocka_unit_test(test_latin_diacritics),
        cmocka_unit_test(test_nfd_folds_like_nfc), cmocka_unit_test(test_greek_cyrillic),
        cmocka_unit_test(test_whitespace),         cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_idempotent_random),  cmocka_unit_test(test_invalid_utf8_kept),
        cmocka_unit_test(test_never_longer),       cmocka_unit_test(test_prefix_upper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
