/* Admin settings of the outboxes to Marketo and Salesforce (docs/outbox.md,
 * Admin -> Integrations): kv rows (store/db.h db_kv_get/db_kv_set) checked
 * here, read by the outbox workers through integrations_settings_load.
 * A key that is unset (or holds a value this version does not understand)
 * reads as its default. */
#ifndef HAIL_SVC_INTEGRATIONS_H
#define HAIL_SVC_INTEGRATIONS_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "store/db.h"

/* "flagged" (default): machine-flagged opens and clicks go to Marketo with
 * machine = true; "skip": they are not sent. */
#define INTEG_KV_MARKETO_MACHINE "integrations.marketo.machine"
/* A JSON array of the activity types (svc/activity.h ACT_*) logged as
 * Salesforce Tasks; default INTEG_SF_TYPES_DEFAULT. */
#define INTEG_KV_SF_TYPES "integrations.salesforce.types"
/* The Tasks' subject: a mustache template (core/mustache.h, values not
 * HTML-escaped) over integ_sf_subject_vars, rendered subjects cut to 255
 * characters; default INTEG_SF_SUBJECT_DEFAULT. */
#define INTEG_KV_SF_SUBJECT "integrations.salesforce.subject"
/* Written by the Salesforce outbox after its describe of Task: "present"
 * when the external-id field Hail_Activity_Id__c exists, "missing" when not;
 * unset until it has looked. Read-only here. */
#define INTEG_KV_SF_EXTERNAL_ID "integrations.salesforce.external_id"

#define INTEG_SF_TYPES_DEFAULT   "[\"email_send\",\"email_reply\",\"call\"]"
#define INTEG_SF_SUBJECT_DEFAULT "{{activity_type}}: {{activity_subject}}"
#define INTEG_SF_SUBJECT_MAX     1000 /* characters of the template */
#define INTEG_SF_SUBJECT_OUT     255  /* characters of a rendered subject */

/* The subject template's variables, ending with NULL: activity_type (the
 * type's display name, "Send Sales Email"), activity_subject (the email's
 * subject or the call's outcome), sales_campaign_name, sales_person (the
 * seller's name), person_email. */
extern const char *const integ_sf_subject_vars[];

typedef struct integrations_settings {
    int marketo_send_machine; /* 1: "flagged" (default), 0: "skip" */
    char **sf_types;          /* the ACT_* strings, in activity_types order */
    size_t sf_types_n;
    char *sf_subject;     /* the template */
    char *sf_external_id; /* "present", "missing" or NULL (not looked yet) */
} integrations_settings;

/* Reads the settings (defaults for unset keys) into *out; free with
 * integrations_settings_free. */
hail_err integrations_settings_load(db *d, integrations_settings *out);
void integrations_settings_free(integrations_settings *s);

/* 1 when activity type is logged as a Salesforce Task. */
int integrations_sf_logs(const integrations_settings *s, const char *type);

/* The settings as API JSON: {"marketo_machine", "salesforce_types",
 * "salesforce_subject", "salesforce_external_id" (null: not known yet)}. */
json_t *integrations_settings_json(const integrations_settings *s);

/* Checks, then stores, the given settings (NULL: unchanged) in one
 * transaction. HAIL_EINVAL with a whole message naming the member for a bad
 * value; nothing is stored then. types is an array of ACT_* strings
 * (duplicates dropped); subject must parse and use only
 * integ_sf_subject_vars. */
hail_err integrations_settings_put(db *d, const char *machine, json_t *types, const char *subject);

/* Renders the subject template with data (an object of the variables) into
 * *out (malloc'd), cut to INTEG_SF_SUBJECT_OUT characters. */
hail_err integrations_subject_render(const char *tpl, json_t *data, char **out);

#endif
