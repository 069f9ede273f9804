/* IMAP (owner: inbound): libcurl through net/outbound.h.
 *
 * What the poller (mail/poller.c) and the SMTP reconcile (mail/channel.c)
 * need of an inbox: its UIDVALIDITY and next UID, the UIDs after the last
 * one read (with whether each was already \Seen), a message by UID — checked
 * against the UIDVALIDITY it was listed under, so a recreated folder is
 * never read as the old one —, putting back the unread mark that fetching
 * takes away, and a search by Message-ID. Passwords go to curl only, never
 * into a message.
 */
#ifndef HAIL_MAIL_IMAP_H
#define HAIL_MAIL_IMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct imap_cfg {
    const char *host;
    int port;
    const char *tls; /* "tls" (imaps), "starttls" or "none" */
    const char *username, *password;
    const atomic_int *stop; /* may be NULL */
} imap_cfg;

/* Whether folder holds a message with this Message-ID ("<…>"): *found 1 or
 * 0. HAIL_EUNAVAIL when the server cannot be asked now. */
hail_err imap_find_message_id(const imap_cfg *c, const char *folder, const char *message_id,
                              int *found);

/* A connection (kept open between calls) to one server. */
typedef struct imap_client imap_client;

hail_err imap_open(const imap_cfg *c, imap_client **out);
void imap_close(imap_client *ic);

/* The folder's UIDVALIDITY and UIDNEXT (STATUS). */
hail_err imap_status(imap_client *ic, const char *folder, int64_t *uidvalidity, int64_t *uidnext);

/* The UIDs in folder above `after`, ascending (*uids malloc'd, *n of them),
 * and for each whether it is \Seen (*seen malloc'd). */
hail_err imap_uids_after(imap_client *ic, const char *folder, int64_t after, int64_t **uids,
                         bool **seen, size_t *n);

/* The whole message with this UID (*msg malloc'd, NUL-terminated, *len
 * bytes). HAIL_EREMOTE when the folder's UIDVALIDITY is no longer
 * uidvalidity. Fetching marks it \Seen: see imap_unseen. */
hail_err imap_fetch(imap_client *ic, const char *folder, int64_t uidvalidity, int64_t uid,
                    char **msg, size_t *len);

/* Takes the \Seen flag off a message again (one a person has not read). */
hail_err imap_unseen(imap_client *ic, const char *folder, int64_t uid);

#endif
