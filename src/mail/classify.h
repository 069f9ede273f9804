/* What came back: one raw RFC 5322 message classified as a reply, an
 * auto-reply, a bounce, a complaint or something else. Pure: GMime parsing
 * and text rules, no I/O, no database (mail/inbound.c matches the result to
 * our email and records its effects).
 *
 *  - bounce: an RFC 3464 delivery-status report (per recipient: the address,
 *    the status code, hard or soft), or the free-text formats of common MTAs
 *    (Exim, qmail, Postfix, Sendmail, Gmail, Yahoo, Domino, …), and Amazon
 *    SES notifications;
 *  - complaint: an ARF feedback report (RFC 5965), Hotmail's JMRP forward,
 *    Apple Mail's unsubscribe request, an SES complaint notification;
 *  - autoreply: RFC 3834 Auto-Submitted, vendor headers (X-Autoreply,
 *    X-Autorespond, Precedence: auto_reply, …) and out-of-office phrasings in
 *    English, French, German, Spanish, Japanese and Chinese, with the stated
 *    return date when there is one;
 *  - reply: In-Reply-To/References naming a message, or a reply subject;
 *  - other: anything else.
 */
#ifndef HAIL_MAIL_CLASSIFY_H
#define HAIL_MAIL_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum {
    CLASSIFY_OTHER = 0,
    CLASSIFY_REPLY,
    CLASSIFY_AUTOREPLY,
    CLASSIFY_BOUNCE,
    CLASSIFY_COMPLAINT,
} classify_kind;

typedef struct classify_rcpt {
    char *address; /* lower case; "" when the report does not name it */
    char *status;  /* "5.1.1", or "" when none was given */
    bool hard;     /* the address will never work (unknown user, no such domain, moved) */
    char *detail;  /* the server's diagnostic text, one line, ≤ 500 bytes (valid UTF-8) */
} classify_rcpt;

typedef struct classify_result {
    classify_kind kind;
    classify_rcpt *rcpt; /* bounce and complaint: the recipients concerned */
    size_t nrcpt;
    char return_date[11]; /* autoreply: "YYYY-MM-DD", or "" */
    char *message_id;     /* this message's Message-ID "<…>", or NULL */
    char *from;           /* its From address, lower case, or NULL */
    char *subject;        /* its Subject, decoded, or NULL */
    /* Message-IDs that may name our email, best first: In-Reply-To and
     * References, then (bounce, complaint, autoreply) the Message-ID of the
     * returned original message, attached or quoted. */
    char **refs;
    size_t nrefs;
} classify_result;

/* Classifies the message buf[0..len). Never fails on bad input: what cannot
 * be parsed is `other`. HAIL_ENOMEM only. */
hail_err classify_message(const char *buf, size_t len, classify_result *out);
void classify_result_free(classify_result *r);

/* "other" "reply" "autoreply" "bounce" "complaint". */
const char *classify_kind_name(classify_kind k);

/* The email id of a hail Message-ID "<hail.<id>.<random>@<domain>>", else 0. */
int64_t classify_hail_email_id(const char *message_id);

/* The return date stated in an out-of-office text, as "YYYY-MM-DD" in out
 * (11 bytes), or "" when none. ref_year/ref_month/ref_day: the message's date
 * (a date without a year is the next one on or after it). Exposed for tests. */
void classify_return_date(const char *text, int ref_year, int ref_month, int ref_day, char out[11]);

#endif
