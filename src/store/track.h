/* Tracking's SQL (owner: tracking): the install's key in kv, the email a hit
 * is for, its recent clicks, its counters. Used by mail/track.c only. */
#ifndef HAIL_STORE_TRACK_H
#define HAIL_STORE_TRACK_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* Readies the hit writer's own connection: on SQLite it never checkpoints
 * the WAL (the commit that crossed the threshold would pay for it, and every
 * hit of its batch wait: `hail serve`'s checkpointer thread does it). */
hail_err track_store_writer_setup(db *d);

/* The kv row that holds the tracking key (64 hex digits). */
#define TRACK_KEY_KV "track.key"

/* The install's key: candidate is stored unless a key is there already (the
 * first writer wins, on every node), and the stored one is returned in
 * out (64 hex digits and a NUL). */
hail_err track_store_key(db *d, const char *candidate, char out[65]);

/* What a hit needs to know about its email. */
typedef struct track_email {
    int64_t id;
    int64_t user_id;
    int64_t sent_at; /* 0: not sent */
    char status[16];
    int64_t opens, machine_opens;
    json_t *links; /* the JSON array of the email's URLs by link index (owned) */
} track_email;

/* HAIL_ENOTFOUND (no message) when there is no such email. */
hail_err track_store_email(db *d, int64_t email_id, track_email *out);
void track_email_release(track_email *e);

/* Adds the links (attrs.link) of the email's clicks at or after since as
 * members of the object set (a set of URLs). */
hail_err track_store_recent_clicks(db *d, int64_t email_id, int64_t since, json_t *set);

/* Counts one hit on the email: kind 'o' or 'c'; human hits move opens /
 * clicks and their first / last times, machine hits machine_opens /
 * machine_clicks. */
hail_err track_store_count(db *d, int64_t email_id, char kind, int machine, int64_t at);

#endif
