/* Best Bets scoring: pure functions, no I/O (docs/insight.md "## Best Bets").
 *
 * A person's engagement is the sum of their human events' weights (a reply
 * BB_W_REPLY, a click BB_W_CLICK, an open BB_W_OPEN; machine events and
 * other types weigh nothing), each halved every BB_HALF_LIFE_US:
 *   S(now) = sum w_i * 2^(-(now - t_i) / BB_HALF_LIFE_US).
 * It is kept as a rank key that does not change with time,
 *   key = ln(sum w_i * 2^((t_i - BB_EPOCH_US) / BB_HALF_LIFE_US)),
 * so S(now) = exp(key - ln2 * (now - BB_EPOCH_US) / BB_HALF_LIFE_US) and the
 * order of people by key is their order by S at any moment: an index on the
 * key serves the list with no rescoring. Adding an event is a log-sum-exp.
 *
 * Urgency is the same sum with a half-life of BB_URGENT_HALF_LIFE_US, kept as
 * (u_sum, u_at): the sum decayed to time u_at.
 *
 * stars (0-3): engagement relative to the owner's most engaged person,
 *   r = S / S_top = exp(key - key_top): r >= 0.5: 3; r >= 0.15: 2; > 0: 1.
 * flames (0-3): urgency, from how recent the last human event is (within
 *   24 h: 2, within 7 days: 1, else no flames at all) plus one when the
 *   engagement is concentrated: U(now) >= BB_CONCENTRATED * S(now).
 */
#ifndef HAIL_CORE_BESTBETS_H
#define HAIL_CORE_BESTBETS_H

#include <stdint.h>

#define BB_US_PER_DAY          (INT64_C(86400) * 1000000)
#define BB_HALF_LIFE_US        (14 * BB_US_PER_DAY)      /* engagement halves in two weeks */
#define BB_URGENT_HALF_LIFE_US (1 * BB_US_PER_DAY)       /* urgency halves in a day */
#define BB_EPOCH_US            INT64_C(1704067200000000) /* 2024-01-01T00:00:00Z */
#define BB_RECENT_US           BB_US_PER_DAY             /* "last 24 h" */
#define BB_WEEK_US             (7 * BB_US_PER_DAY)       /* "last 7 days" */
#define BB_CONCENTRATED        0.5

#define BB_W_OPEN  1.0
#define BB_W_CLICK 2.0
#define BB_W_REPLY 4.0

/* The scored types, in the order of "why". */
typedef enum bb_kind { BB_OPEN, BB_CLICK, BB_REPLY, BB_KINDS } bb_kind;

/* The activity type of a kind ("email_open", …). */
const char *bb_kind_type(bb_kind k);
/* The kind of an activity type, or -1 when the type is not scored. */
int bb_kind_of(const char *type);
double bb_weight(bb_kind k);

/* A person's state. has == 0: no event yet (the other members are 0). */
typedef struct bb_state {
    int has;
    double key;   /* the rank key (above) */
    double u_sum; /* urgency decayed to u_at */
    int64_t u_at;
    int64_t last_at; /* the newest event's time */
    int64_t count[BB_KINDS];
    int64_t at[BB_KINDS]; /* the newest of each kind (0: none) */
} bb_state;

/* Adds one human event of kind k at time t (epoch µs; any order). */
void bb_add(bb_state *s, bb_kind k, int64_t t);

/* ln 2 * (t - BB_EPOCH_US) / half_life: the key of weight 1 at time t. */
double bb_time_key(int64_t t, int64_t half_life);

/* S at time now (0 when !has). */
double bb_score(const bb_state *s, int64_t now);
/* U at time now. */
double bb_urgency(const bb_state *s, int64_t now);
/* Stars of a person with key, the owner's best being top_key. */
int bb_stars(double key, double top_key);
/* Flames of s at time now. */
int bb_flames(const bb_state *s, int64_t now);

#endif
