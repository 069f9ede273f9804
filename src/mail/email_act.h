/* The activities of one email (Send / Open / Click / Reply / Bounce /
 * auto-reply), with PRODUCT.md §8's attributes filled from the email, its
 * sender, its template and its campaign. Called by the send queue, tracking
 * and inbound services inside their own transactions. */
#ifndef HAIL_MAIL_EMAIL_ACT_H
#define HAIL_MAIL_EMAIL_ACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* Records type (ACT_EMAIL_*) for email_id in the caller's transaction.
 * attrs: sent_by (the sender's address), source ("hail"), sales_person_id
 * (the user), email_subject, template_id / template_name / template_url
 * (when from a template), campaign_id / campaign_name / campaign_url (when
 * from a campaign); plus link (clicks), received_by (replies: the sender's
 * address), details and email (bounces: the recipient). extra (borrowed,
 * may be NULL) is merged over them. HAIL_ENOTFOUND: no such email. */
hail_err email_activity(db *d, int64_t email_id, const char *type, bool machine,
                        int64_t occurred_at, json_t *extra, int64_t *id_out);

#endif
