/* The embeddable panel's data (issue 10; docs/insight.md "Marketo activities
 * and the embeddable panel"): which hail record a Salesforce id names, the
 * Marketo lead of a person, and the admin's allowlist of origins that may
 * frame the /panel/ pages (kv "panel.frame_ancestors", a JSON array).
 */
#ifndef HAIL_STORE_PANEL_H
#define HAIL_STORE_PANEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/db.h"
#include "store/emails.h" /* email_viewer */

/* A Salesforce id's two spellings: the 15-character case-sensitive one and
 * the 18-character one (with its case-checksum suffix, recomputed). Returns
 * 1 when id is 15 or 18 ASCII letters and digits, else 0. */
int panel_sfdc_forms(const char *id, char id15[16], char id18[19]);

/* What Salesforce id `sfdc_id` (either spelling) names among the records v
 * sees: a person by lead or contact id ({"kind":"person","id":N}), else an
 * account or opportunity some visible person belongs to ({"kind":"account"
 * |"opportunity","id":"<the id as stored>"}). HAIL_ENOTFOUND otherwise
 * (also for an id that is not a Salesforce id). */
hail_err panel_resolve(db *d, const email_viewer *v, const char *sfdc_id, json_t **out);

/* The Marketo lead id of person id; HAIL_ENOTFOUND when there is none. */
hail_err panel_person_lead(db *d, int64_t person_id, int64_t *marketo_id);

/* ---- the frame-ancestors allowlist ---- */

#define PANEL_ORIGINS_MAX 20
#define PANEL_ORIGIN_LEN  304

/* Checks one allowlist entry and writes its normal form (lowercase; a
 * trailing '/' dropped) to out: "https://" (or "http://" for localhost and
 * 127.0.0.1 only), a host name (optionally starting "*." for every
 * subdomain), an optional ":port", nothing else. Returns 1 when good. */
int panel_origin_ok(const char *origin, char out[PANEL_ORIGIN_LEN]);

/* The allowlist (a new array, [] when unset). */
hail_err panel_origins_get(db *d, json_t **out);
/* Stores origins (already checked and normalised by the caller). */
hail_err panel_origins_set(db *d, json_t *origins);
/* The allowlist as a CSP source list ("https://a https://b") appended to b;
 * nothing when it is empty. */
hail_err panel_origins_csp(db *d, buf *b);
/* 1 when the allowlist has an origin (the session cookie is then
 * SameSite=None, when it is Secure: see docs/insight.md). */
int panel_embedding_on(db *d);

#endif
