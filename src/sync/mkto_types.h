/* hail's custom activity types in Marketo (docs/outbox.md, "To Marketo"):
 * the description of each (PRODUCT.md §8's attributes, plus hailActivityId
 * and machine) and their registration — idempotent: a type with the same
 * apiName is reused, missing attributes are added, a draft is approved. */
#ifndef HAIL_SYNC_MKTO_TYPES_H
#define HAIL_SYNC_MKTO_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "sync/marketo.h"

typedef struct mkto_attr {
    const char *api_name, *name, *data_type; /* dataType: string, integer, link, boolean… */
} mkto_attr;

typedef struct mkto_ctype {
    const char *activity;   /* hail's activity type (ACT_*, svc/activity.h) */
    const char *api_name;   /* Marketo apiName */
    const char *name;       /* display name: PRODUCT.md §8 */
    const char *trigger;    /* triggerName */
    const char *filter;     /* filterName */
    mkto_attr primary;      /* primaryAttribute */
    const mkto_attr *attrs; /* the other attributes, ending with {NULL} */
} mkto_ctype;

/* The types, ending with {NULL}. */
extern const mkto_ctype mkto_ctypes[];
size_t mkto_ctype_count(void);
/* The type for a hail activity type, or NULL (not sent to Marketo). */
const mkto_ctype *mkto_ctype_for(const char *type);

/* What registration did to one type. */
typedef struct mkto_type_state {
    const mkto_ctype *t;
    int64_t id;        /* Marketo's activityTypeId */
    int created;       /* it did not exist */
    size_t added;      /* attributes added */
    int approved;      /* a draft was approved */
    char warning[256]; /* e.g. another primary attribute ("" when none) */
} mkto_type_state;

/* Lists Marketo's custom types and makes each of hail's exist, with every
 * attribute, approved. out has mkto_ctype_count() entries (caller frees).
 * Errors from the client (mkto_call), or HAIL_EREMOTE with Marketo's code
 * and message when a type cannot be created or approved. */
hail_err mkto_types_ensure(mkto_client *m, mkto_type_state **out);

#endif
