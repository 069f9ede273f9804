/* The message the send queue hands to a channel, built with GMime 3.
 *
 * Two steps, both without I/O of their own:
 *
 * mime_track_html() turns the email's HTML into what goes out: every
 * <a href="http(s)://…"> rewritten to its click-tracking URL (the same URL
 * twice gets one link index), on commercial mail an unsubscribe line with
 * its link, and the open pixel at the end; the plain-text alternative is
 * derived from it (render_html_to_text) before the pixel goes in. The
 * original URLs come back by link index (emails.links; the click redirect
 * goes only to one of them).
 *
 * mime_build() makes the RFC 5322 message (CRLF line ends): without
 * attachments multipart/alternative (text/plain, text/html); with them
 * multipart/mixed holding that and the attachments (base64, RFC 2231 file
 * names). Names and subjects outside ASCII are RFC 2047 encoded, bodies
 * quoted-printable or base64 as GMime finds best for 7-bit transport. Our
 * own Message-ID, and a follow-up's In-Reply-To and References; commercial
 * mail carries List-Unsubscribe and List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click (RFC 8058). Bcc is never a header (the
 * envelope carries it).
 */
#ifndef HAIL_MAIL_MIME_H
#define HAIL_MAIL_MIME_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* A tracking URL: kind 'c' (click, link = its index), 'o' (open pixel),
 * 'u' (unsubscribe), written to out (n bytes). */
typedef hail_err (*mime_url_fn)(void *ctx, char kind, int link, char *out, size_t n);

/* See above. commercial: add the unsubscribe line. *html and *text are
 * malloc'd; *links a new array of the original URLs by link index. */
hail_err mime_track_html(const char *html, int commercial, mime_url_fn url, void *ctx,
                         char **html_out, char **text_out, json_t **links);

typedef struct mime_attachment {
    const char *filename, *content_type;
    const void *data;
    size_t size;
} mime_attachment;

typedef struct mime_msg {
    int64_t date_us;
    const char *message_id; /* "<…@…>" */
    /* The thread it follows up (NULL: none): "<…>" and "<…> <…>" as kept on
     * the email (emails.in_reply_to, emails.refs). */
    const char *in_reply_to, *references;
    const char *from_name, *from_address;
    const char *to_name, *to_address; /* to_name may be "" */
    const char *const *cc;
    size_t ncc;
    const char *subject;
    const char *html, *text;
    const char *unsubscribe_url; /* commercial mail: the List-Unsubscribe URL; NULL: none */
    const mime_attachment *att;
    size_t natt;
} mime_msg;

/* The whole message, malloc'd (*out, *len bytes, NUL-terminated). */
hail_err mime_build(const mime_msg *m, char **out, size_t *len);

/* Our Message-ID for an email: "<hail.<id>.<16 random hex>@<domain of
 * from_address>>" into out (n bytes). */
hail_err mime_message_id(int64_t email_id, const char *from_address, char *out, size_t n);

/* GMime's one-time set-up (any thread, any number of times). */
void mime_init(void);

#endif
