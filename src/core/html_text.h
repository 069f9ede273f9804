/* HTML to plain text (pure), for the text/plain part of an email.
 *
 * Paragraphs, headings, list items, table rows, <div> and <br> become line
 * breaks (a blank line between paragraphs), list items start with "- ",
 * other runs of white space collapse to one space (not inside <pre>), a
 * link becomes "text <url>" (just the URL when the text is the URL), an
 * image its alt text, <script>, <style>, <head> and comments vanish, and
 * entities (named ones of HTML's common set, &#N; and &#xH;) are decoded.
 * Lines lose their trailing spaces and there are never two blank lines in a
 * row. Any input is accepted: broken HTML degrades, it never fails.
 */
#ifndef HAIL_CORE_HTML_TEXT_H
#define HAIL_CORE_HTML_TEXT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Appends the text of html[0..n) to out (fails only as buf_append does). */
hail_err html_to_text(const char *html, size_t n, buf *out);

#endif
