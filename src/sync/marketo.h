/* Marketo internals of sync/: the pure rules (unit-tested without a server),
 * the REST client, and the two sync kinds. Only the sync/ sources and the unit tests
 * include this; everything else uses sync.h.
 */
#ifndef HAIL_SYNC_MARKETO_H
#define HAIL_SYNC_MARKETO_H

#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/db.h"
#include "store/people.h"
#include "sync/sync.h"

/* ------------------------------------------------------------------------- */
/* Pure rules                                                                 */
/* ------------------------------------------------------------------------- */

/* What to do about an envelope error code. */
typedef enum {
    MKTO_FATAL,      /* do not retry: 609, 610, 612, 701, 702, 1003, unknown … */
    MKTO_RENEW,      /* 601/602: get a new token, retry */
    MKTO_RETRY,      /* 604, 608, 611, 713: transient, back off and retry */
    MKTO_RATE,       /* 606, 615: over the rate or concurrency limit, back off longer */
    MKTO_QUOTA,      /* 607: daily quota, stop until midnight US Central */
    MKTO_EXPORT_FULL /* 1029: export queue or export quota full, wait and re-enqueue */
} mkto_action;

mkto_action mkto_classify(const char *code);

/* The parts of a response envelope the client uses; pointers borrow from
 * the json root passed to mkto_envelope_parse. */
typedef struct mkto_envelope {
    int success;
    char code[16];         /* first error's code ("" when none) */
    char message[256];     /* first error's message */
    json_t *result;        /* the result array, or NULL */
    int more;              /* moreResult */
    const char *next_page; /* nextPageToken or NULL */
    size_t warnings;       /* number of warnings (strings or objects) */
} mkto_envelope;

/* HAIL_EREMOTE if root is not an envelope (not an object, no success flag). */
hail_err mkto_envelope_parse(json_t *root, mkto_envelope *out);

/* If a result record is {"status":"skipped", "reasons"|"errors":[…]}, writes
 * "code message" of its first reason to msg and returns 1; else 0. */
int mkto_record_skipped(json_t *rec, char *msg, size_t msgsize);

/* Backoff before retry number `attempt` (0-based): exponential from base,
 * capped, with "equal jitter" (half fixed, half random from rnd) so retries
 * of several clients spread while each still waits at least half. */
int64_t mkto_backoff_us(int attempt, int64_t base_us, int64_t cap_us, uint32_t rnd);

/* The longest createdAt window an export may ask for. */
#define MKTO_WINDOW_MAX_US (INT64_C(31) * 86400 * 1000000)

/* The createdAt window that starts at `start` when exporting [since, until):
 * its end is start + 31 days or until, whichever is first. Returns 0 when
 * start >= until (no window left). */
int mkto_window_at(int64_t start, int64_t until, int64_t *end);
/* Number of windows covering [since, until). */
size_t mkto_window_count(int64_t since, int64_t until);

/* When Marketo's daily quota next resets: the next midnight in US Central
 * time (CST, or CDT from the second Sunday of March to the first Sunday of
 * November), as epoch microseconds. */
int64_t mkto_quota_reset_us(int64_t now_us);

/* The fields the sync always requests, "id" first then person_marketo_field[]
 * but the time zone (read from the field marketo_config.time_zone_field
 * names, when set). */
#define MKTO_NFIELDS PF_COUNT
extern const char *const mkto_fields[MKTO_NFIELDS];
/* "id,firstName,…" (static). */
const char *mkto_fields_csv(void);
/* 1 when name can be HAIL_MARKETO_TIME_ZONE_FIELD: 1 to 64 letters, digits
 * or _, and not "id" or one of mkto_fields. */
int mkto_field_name_ok(const char *name);
/* The Marketo name of person field f: person_marketo_field[f], or for
 * PF_TIME_ZONE tz_field (NULL: the sync does not read it). */
const char *mkto_field_name(int f, const char *tz_field);

/* ---- checkpoint: what an interrupted sync resumes from (kv marketo.checkpoint) ---- */

#define MKTO_MAX_JOBS 8

typedef struct mkto_job {
    int64_t start_us, end_us; /* createdAt window; both 0 for a smart-list export */
    char export_id[64];       /* "" = not created yet */
    int enqueued;             /* enqueue accepted (status Queued or later) */
} mkto_job;

enum { MKTO_MODE_NONE, MKTO_MODE_FULL, MKTO_MODE_INCR };
enum { MKTO_PHASE_CHANGES, MKTO_PHASE_DELETED };

typedef struct mkto_checkpoint {
    int mode;
    int64_t started_us; /* when this sync began (the next incremental's since) */
    /* full */
    int64_t since_us, until_us; /* createdAt range of the windows */
    int64_t smart_list_id;      /* 0 = windows */
    int64_t next_us;            /* windows starting before this are imported */
    int64_t prev_success_us;    /* last success before this full sync (0 = none):
                                   its deletions are fetched at the end */
    size_t njobs;               /* jobs[0] is the window being imported */
    mkto_job jobs[MKTO_MAX_JOBS];
    uint64_t offset;  /* jobs[0]: bytes of its file committed */
    uint64_t records; /* jobs[0]: data records committed */
    char header[512]; /* jobs[0]: the file's header line (column names) */
    char sha[512];    /* jobs[0]: hex of the sha256 state at offset ("" = none) */
    /* incremental (and the deleted phase of a full sync) */
    int phase;
    int64_t since_inc_us; /* sinceDatetime of the feeds */
    char token[512];      /* next page to read in the current phase ("" = start) */
} mkto_checkpoint;

/* Encodes as compact JSON (caller frees). NULL on out of memory. */
char *mkto_checkpoint_encode(const mkto_checkpoint *c);
/* Decodes; HAIL_EINVAL (with a message) when the text is not a checkpoint. */
hail_err mkto_checkpoint_decode(const char *text, mkto_checkpoint *c);

/* sha256 streaming state <-> hex text, so a resumed download still verifies
 * the whole file. Decode returns HAIL_EINVAL on malformed text. */
void mkto_sha_encode(const crypto_hash_sha256_state *s, char *out, size_t outsize);
hail_err mkto_sha_decode(const char *hex, crypto_hash_sha256_state *s);

/* ------------------------------------------------------------------------- */
/* REST client                                                                */
/* ------------------------------------------------------------------------- */

typedef struct mkto_client mkto_client;

/* A client for one thread. `stop` (may be NULL) interrupts waits and calls.
 * The rate limit (100 calls / 20 s) and the concurrency cap (10 in flight)
 * are shared by all clients of the process. */
hail_err mkto_client_new(const marketo_config *c, const atomic_int *stop, mkto_client **out);
void mkto_client_free(mkto_client *m);
/* For a caller someone waits on (the insight panel): at most max_attempts
 * per call (and per token fetch) and timeout_ms per exchange, instead of 8
 * attempts and 300 s. 0 keeps the default. */
void mkto_client_set_patience(mkto_client *m, int max_attempts, long timeout_ms);
/* REST/bulk calls made (each HTTP request that counts against Marketo's limits). */
uint64_t mkto_client_calls(const mkto_client *m);
/* Envelope error code of the last failed call ("" if none). */
const char *mkto_client_last_code(const mkto_client *m);

/* A JSON call with retries: token renewal on 601/602, backoff on transient
 * errors, 5xx and dropped connections, 414 → POST with _method=GET. `query`
 * is an encoded query string without '?' (may be NULL); `body` JSON for POST
 * (may be NULL). On success *root holds the parsed envelope (json_decref it)
 * and env points into it. Errors: HAIL_EAUTH (credentials), HAIL_EQUOTA (607),
 * HAIL_EBUSY (1029; mkto_client_last_code says so), HAIL_ECANCELLED,
 * HAIL_EREMOTE, HAIL_EIO (retries exhausted). */
hail_err mkto_call(mkto_client *m, const char *method, const char *path, const char *query,
                   const char *body, json_t **root, mkto_envelope *env);

/* Streams a GET (an export file) into `sink`. `rewind` is called before every
 * attempt (also the first) and returns the byte offset to ask from (sent as
 * Range when > 0); on a 200 answer to a Range request, `restart` tells the
 * sink that the body starts at byte 0 after all. A sink error aborts the
 * transfer and is returned as is. HAIL_ENOTFOUND on HTTP 404. */
typedef struct mkto_stream {
    uint64_t (*rewind)(void *ctx);
    void (*restart)(void *ctx, uint64_t from);
    hail_err (*sink)(void *ctx, const char *data, size_t len);
    void *ctx;
} mkto_stream;
hail_err mkto_download(mkto_client *m, const char *path, const mkto_stream *s);

/* URL-encodes s into b (appends). */
hail_err mkto_escape(buf *b, const char *s);

/* ------------------------------------------------------------------------- */
/* The sync kinds (mkto_full.c, mkto_incr.c), driven by mkto_run.c            */
/* ------------------------------------------------------------------------- */

typedef struct mkto_run {
    db *d; /* the sync's connection */
    mkto_client *m;
    const marketo_config *cfg;
    const sync_options *opt;
    mkto_checkpoint ck;  /* current checkpoint (what kv holds) */
    people_stats st;     /* totals of the writers already closed */
    people_writer *live; /* the open writer, whose stats add to st */
    uint64_t rejected;   /* records refused (bad id, bad UTF-8, too long) */
    int64_t t0_mono;
    const char *phase;
    uint64_t total; /* expected records (progress) */
    int64_t last_progress;
} mkto_run;

/* Saves r->ck in kv (within the caller's transaction, if any). */
hail_err mkto_save_checkpoint(mkto_run *r);
/* Reports progress (rate-limited unless force). */
void mkto_progress(mkto_run *r, const char *phase, int force);
/* The run's totals so far (closed writers plus the live one). */
void mkto_stats(const mkto_run *r, people_stats *out);
/* Opens / closes a writer, keeping r->live and r->st current. */
hail_err mkto_writer_open(mkto_run *r, unsigned flags, people_writer **w);
hail_err mkto_writer_close(mkto_run *r, people_writer *w, int commit);
/* Non-zero when the caller asked to stop. */
int mkto_stopping(const mkto_run *r);

/* Runs (or resumes) the full export described by r->ck (mode FULL). */
hail_err mkto_full_sync(mkto_run *r);
/* Cancels the export jobs of a checkpoint being thrown away (best effort). */
void mkto_full_cancel_jobs(mkto_run *r, const mkto_checkpoint *ck);
/* Runs (or resumes) the activity feeds described by r->ck from its phase
 * (the changes phase, then the deleted phase). */
hail_err mkto_incr_sync(mkto_run *r);

/* A live sync's lease holder: 1 and *pid when a sync holds an unexpired
 * lease of a live process, else 0. */
int mkto_lease_holder(db *d, long long *pid);
/* When the last successful sync started (epoch µs), 0 if never. */
int64_t mkto_last_success(db *d);

/* Builds a person from a leads.json record; its time zone from the field
 * tz_field (NULL: none). Non-string values are written as text into scratch
 * (at least 64 * PF_COUNT bytes). HAIL_EINVAL without an id. */
hail_err mkto_person_from_json(json_t *rec, const char *tz_field, person_in *p, char *scratch,
                               size_t scratch_size);
/* person_in_check_time_zone, logging a warning for the lead when its time
 * zone is unknown (it is then stored as null). */
void mkto_check_time_zone(person_in *p, const char *tz_field);

#endif
