/* Personalization: a template's subject and HTML body filled for one person
 * as one sender (owner: templates; the engine itself is core/mustache.h).
 *
 * Fields: every person field (first_name, last_name, email, phone, title,
 * company, source, linkedin_url, owner_email), my_name (the sender's user's
 * name), my_email (the sender's address), my_signature (the sender's HTML
 * signature, not escaped), and sfdc_* (sfdc_lead_id, sfdc_contact_id,
 * sfdc_account_id, sfdc_opportunity_id). Fill rules (PRODUCT.md §3): a
 * field with no value blocks the send (listed in unfilled) unless it has a
 * `| default: "x"`, except first_name, last_name, title and my_signature
 * (blank) and company ("your company"). Field prompts {{! …}} stay listed in prompts
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

/* The same for a preview without a sender: sender_id 0 fills my_name and
 * my_email from user_id's user (my_signature blank); a sender_id fills
 * them from the sender as above. In html, an unfilled field shows as
 * <mark class="hail-unfilled">{{name}}</mark> and a prompt as
 * <mark class="hail-prompt">text</mark> (in the subject: {{name}} and
 * [text]), so a preview shows where the gaps are; such a rendering is never
 * sendable (unfilled or prompts is not empty). */
hail_err render_for_person_as(db *d, int64_t person_id, int64_t sender_id, int64_t user_id,
                              const char *subject_tpl, const char *html_tpl, rendered *out);

/* The prompts ({{! …}} comments, trimmed, each once) of a subject and body
 * appended to arr; HAIL_EINVAL (naming "subject" or "body_html" and the
 * line) when either does not parse. */
hail_err render_check(const char *subject_tpl, const char *html_tpl, json_t *prompts);

/* The plain-text part of an HTML body (links as "text <url>", paragraphs and
 * line breaks kept, entities decoded). malloc'd; NULL when out of memory. */
char *render_html_to_text(const char *html);

#endif
