#include "core/common.h"

/* The IMAP poll worker: mail/poller.h. */
#include "mail/poller.h"

#include <pthread.h>
#include <sodium.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "mail/imap.h"
#include "mail/inbound.h"
#include "mail/seal.h"
#include "store/channels.h"
#include "store/inbound.h"
#include "svc/settings.h"

#define US_PER_SEC INT64_C(1000000)
#define LEASE_US   (120 * US_PER_SEC) /* renewed after every message */
#define IDLE_US    (1 * US_PER_SEC)   /* nothing due: look again this soon */

static struct {
    pthread_t thread;
    int running;
    atomic_int stop;
    char *db_path;
    char owner[40];
} P;

static void nap(int64_t us)
{
    time_sleep_us(us, &P.stop);
}

static void record(db *d, int64_t cid, const char *state, const char *error, int64_t uv,
                   int64_t last)
{
    hail_err e = inbound_imap_record(d, cid, state, error, time_now_us(), uv, last);
    if (e)
        log_error("IMAP channel %lld: cannot record the poll: %s", (long long)cid, hail_errmsg());
}

/* One poll of one leased channel. */
static void poll_channel(db *d, int64_t cid)
{
    channel_row row;
    hail_err e = channels_get(d, cid, &row);
    if (e) {
        log_error("IMAP channel %lld: %s", (long long)cid, hail_errmsg());
        return;
    }
    char *password = NULL;
    if (row.imap.password &&
        (e = seal_open(d, row.imap.password, row.imap.password_len, &password))) {
        record(d, cid, "error", hail_errmsg(), -1, -1);
        channel_row_free(&row);
        return;
    }
    const char *folder = row.imap.folder && *row.imap.folder ? row.imap.folder : "INBOX";
    imap_cfg cfg = {.host = row.imap.host,
                    .port = row.imap.port,
                    .tls = row.imap.tls ? row.imap.tls : "tls",
                    .username = row.imap.username,
                    .password = password,
                    .stop = &P.stop};
    imap_client *ic = NULL;
    int64_t uv = 0, uidnext = 0, known_uv = 0, last = 0;
    char msg[700];
    if ((e = imap_open(&cfg, &ic)) || (e = imap_status(ic, folder, &uv, &uidnext))) {
        snprintf(msg, sizeof msg, "%s", hail_errmsg());
        if (e != HAIL_ECANCELLED)
            record(d, cid, "error", msg, -1, -1);
        goto out;
    }
    if ((e = inbound_imap_state(d, cid, &known_uv, &last))) {
        log_error("IMAP channel %lld: %s", (long long)cid, hail_errmsg());
        goto out;
    }
    const char *state = "ok";
    char note[300] = "";
    if (known_uv && known_uv != uv) {
        /* The folder was recreated: its UIDs mean other messages now. Read it
         * again from the first; those already processed are recognized by
         * their Message-ID. */
        snprintf(note, sizeof note,
                 "the UIDVALIDITY of %s changed from %lld to %lld: its messages were read again "
                 "from the first",
                 folder, (long long)known_uv, (long long)uv);
        log_warn("IMAP channel %lld: %s", (long long)cid, note);
        state = "uidvalidity_changed";
        last = 0;
        record(d, cid, state, note, uv, 0);
    } else if (!known_uv) {
        record(d, cid, "ok", NULL, uv, 0);
    }
    int64_t *uids = NULL;
    bool *seen = NULL;
    size_t n = 0;
    if ((e = imap_uids_after(ic, folder, last, &uids, &seen, &n))) {
        snprintf(msg, sizeof msg, "%s", hail_errmsg());
        if (e != HAIL_ECANCELLED)
            record(d, cid, "error", msg, -1, -1);
        goto out;
    }
    for (size_t i = 0; i < n && !atomic_load(&P.stop); i++) {
        char *raw = NULL;
        size_t len = 0;
        if ((e = imap_fetch(ic, folder, uv, uids[i], &raw, &len))) {
            snprintf(msg, sizeof msg, "message UID %lld: %s", (long long)uids[i], hail_errmsg());
            break;
        }
        inbound_src src = {.source = "imap", .channel_id = cid, .imap_uid = uids[i]};
        e = inbound_process(d, raw, len, &src, time_now_us(), NULL);
        free(raw);
        if (e) {
            snprintf(msg, sizeof msg, "message UID %lld: %s", (long long)uids[i], hail_errmsg());
            break;
        }
        if (!seen[i] && imap_unseen(ic, folder, uids[i]))
            log_warn("IMAP channel %lld: cannot mark message UID %lld unread again: %s",
                     (long long)cid, (long long)uids[i], hail_errmsg());
        int kept = 1;
        if (!inbound_renew_channel(d, cid, P.owner, time_now_us() + LEASE_US, &kept) && !kept)
            break; /* another node took the channel over */
    }
    free(uids);
    free(seen);
    if (e && e != HAIL_ECANCELLED) {
        log_warn("IMAP channel %lld: %s", (long long)cid, msg);
        record(d, cid, "error", msg, -1, -1);
    } else if (!e) {
        record(d, cid, state, *note ? note : NULL, -1, -1);
    }
out:
    imap_close(ic);
    seal_free(password);
    channel_row_free(&row);
}

static void *run(void *arg)
{
    (void)arg;
    db *d = NULL;
    while (!atomic_load(&P.stop)) {
        if (!d && db_open(P.db_path, 0, &d)) {
            log_error("IMAP poller: %s", hail_errmsg());
            d = NULL;
            nap(5 * IDLE_US);
            continue;
        }
        int64_t now = time_now_us();
        int64_t every = (int64_t)settings()->imap_poll_seconds * US_PER_SEC;
        int64_t cid = 0;
        hail_err e = inbound_lease_channel(d, P.owner, now, now - every, now + LEASE_US, &cid);
        if (e) {
            log_warn("IMAP poller: %s", hail_errmsg());
            nap(IDLE_US);
            continue;
        }
        if (!cid) {
            nap(IDLE_US);
            continue;
        }
        poll_channel(d, cid);
        if (inbound_release_channel(d, cid, P.owner))
            log_warn("IMAP poller: %s", hail_errmsg());
    }
    db_close(d);
    return NULL;
}

void imap_poller_start(const char *db_path)
{
    if (P.running)
        return;
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    snprintf(P.owner, sizeof P.owner, "imap-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    atomic_store(&P.stop, 0);
    P.db_path = strdup(db_path);
    if (!P.db_path || pthread_create(&P.thread, NULL, run, NULL)) {
        log_error("IMAP poller: cannot start its thread: inboxes are not read");
        free(P.db_path);
        P.db_path = NULL;
        return;
    }
    P.running = 1;
}

void imap_poller_stop(void)
{
    if (!P.running)
        return;
    atomic_store(&P.stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_join(P.thread, NULL);
    free(P.db_path);
    P.db_path = NULL;
    P.running = 0;
}
