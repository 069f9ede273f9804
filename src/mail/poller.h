/* The IMAP poll worker of `hail serve` (owner: inbound): one thread that
 * leases, one at a time, the channels with an IMAP inbox that are due
 * (polled more than HAIL_IMAP_POLL_SECONDS ago), through the channels'
 * lease_owner/lease_until, so that several nodes share the work and never
 * poll one inbox at once. Each poll reads the messages after the channel's
 * last UID, in UID order, each processed (mail/inbound.h) in the
 * transaction that records it as the last UID read: a crash reads it again
 * (recognized by its Message-ID), nothing is skipped. A changed UIDVALIDITY
 * (the folder was recreated) shows as the channel's imap state
 * `uidvalidity_changed` and the folder is read again from its first
 * message; an unreachable inbox or a refused login as `error` with the
 * reason. Fetching marks a message read on the server; the poller puts the
 * unread mark back on those nobody had read. */
#ifndef HAIL_MAIL_POLLER_H
#define HAIL_MAIL_POLLER_H

/* Starts the thread on the database at db_path (a failure is logged: hail
 * runs on without polling). */
void imap_poller_start(const char *db_path);
/* Stops it (finishing the message in hand) and joins it. */
void imap_poller_stop(void);

#endif
