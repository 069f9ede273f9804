/* Personalization: a template's subject and HTML body filled for one person
 * as one sender (owner: templates; the engine itself is core/mustache.h).
 *
 * Fields: every person field (first_name, last_name, email, phone, title,
 * company, source, linkedin_url, owner_email), my_name (the sender's user's
 * name), my_email (the sender's address), my_signature (the sender's HTML
 * signature, not escaped), and sfdc_* (sfdc_lead_id, sfdc_contact_id,
 * sfdc_account_id, sfdc_opportunity_id). Fill rules (PRODUCT.md §3): a
 * field with no value blocks the send (listed in unfilled) unless it has a
 * `| default: "x"`, except first_name, last_name and title (blank) and
 * company ("your company"). Field prompts {{! …}} stay listed in prompts
 * until the writer replaces them. Values are HTML-escaped in the body, not
 * in the subject.
 */
#ifndef HAIL_MAIL_RENDER_H
#define HAIL_MAIL_RENDER_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct rendered {
    char *subject;    /* filled subject (plain text) */
    char *html;       /* filled HTML body */
    char *text;       /* the plain-text alternative derived from html */
    json_t *unfilled; /* array of field names that block sending (may be empty) */
    json_t *prompts;  /* array of prompt texts still in the template (may be empty) */
} rendered;

/* Renders for person_id as sender_id. HAIL_ENOTFOUND when either does not
 * exist; HAIL_EINVAL (message names the place) for a template that does not
 * parse. A send is allowed only when unfilled and prompts are both empty. */
hail_err render_for_person(db *d, int64_t person_id, int64_t sender_id, const char *subject_tpl,
                           const char *html_tpl, rendered *out);
void rendered_free(rendered *r);

/* The plain-text part of an HTML body (links as "text <url>", paragraphs and
 * line breaks kept, entities decoded). malloc'd; NULL when out of memory. */
char *render_html_to_text(const char *html);

#endif
