/* One error type for all of hail.
 *
 * Fallible functions return a hail_err; callers propagate it (curl style).
 * A human-readable detail for the most recent error on this thread is kept by
 * hail_errf() and read with hail_errmsg(); it is only meaningful right after a
 * function returned non-OK.
 */
#ifndef HAIL_CORE_ERR_H
#define HAIL_CORE_ERR_H

typedef enum {
    HAIL_OK = 0,
    HAIL_ENOMEM,     /* out of memory */
    HAIL_EINVAL,     /* bad input from outside: a 400 or a CLI usage error */
    HAIL_ENOTFOUND,  /* unknown id */
    HAIL_EEXIST,     /* unique key taken */
    HAIL_ETOOBIG,    /* past a size limit */
    HAIL_EAUTH,      /* missing or bad credentials */
    HAIL_EFORBIDDEN, /* authenticated, but the role does not allow it */
    HAIL_EBUSY,      /* someone else holds the lease / lock */
    HAIL_EIO,        /* file or network I/O failed */
    HAIL_EDB,        /* the database failed */
    HAIL_ESCHEMA,    /* database schema is newer than this binary */
    HAIL_EREMOTE,    /* a remote service answered with an error we cannot retry */
    HAIL_EQUOTA,     /* a remote quota is exhausted */
    HAIL_ECANCELLED, /* stopped on request */
    HAIL_EUNAVAIL,   /* the database stayed locked by another writer: try again soon */
    HAIL_ERR__COUNT
} hail_err;

/* A short stable name for the code, e.g. "not_found". */
const char *hail_strerror(hail_err e);

/* Records a printf-style detail for this thread and returns e. The arguments
 * may include hail_errmsg() itself, to add context to the last detail:
 * hail_errf(e, "line %lu: %s", n, hail_errmsg()). Details are cut at 511 bytes. */
hail_err hail_errf(hail_err e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The detail recorded by the last hail_errf() on this thread ("" if none). */
const char *hail_errmsg(void);

/* Forgets the detail (before an operation whose failure should not show a stale one). */
void hail_errclear(void);

#endif
