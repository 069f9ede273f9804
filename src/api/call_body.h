/* CallInput's members, shared by POST /api/v1/calls and PATCH (api/calls.c)
 * and a call task's completion (api/tasks.c). */
#ifndef HAIL_API_CALL_BODY_H
#define HAIL_API_CALL_BODY_H

#include "api/api.h"

/* completed, no_answer, cancelled, failed (api/calls.c). */
extern const char *const api_call_statuses[];

/* The members of a call but person_id, each entry ending with a comma:
 * REQ is whether status is required (an update requires nothing). */
#define API_CALL_MEMBERS(REQ)                                                                      \
    {"outcome_id", API_ID, false, true, 0, 0, NULL},                                               \
        {"reason_id", API_ID, false, true, 0, 0, NULL},                                            \
        {"notes", API_STRING, false, true, 0, 4000, NULL},                                         \
        {"number_dialed", API_STRING, false, true, 1, 64, NULL},                                   \
        {"caller_id", API_STRING, false, true, 1, 64, NULL},                                       \
        {"started_at", API_STRING, false, true, 1, 64, NULL},                                      \
        {"duration_s", API_INT, false, true, 0, 86400, NULL},                                      \
        {"recording_url", API_STRING, false, true, 1, 1024, NULL},                                 \
        {"status", API_STRING, REQ, false, 0, 0, api_call_statuses},                               \
        {"answered_by", API_STRING, false, true, 1, 100, NULL},                                    \
        {"voicemail_drop_id", API_ID, false, true, 0, 0, NULL},
/* The entry that ends a list of members. */
#define API_END_MEMBERS {NULL, API_STRING, false, false, 0, 0, NULL},

#endif
