/* Best Bets' catch-up in `hail serve` (docs/insight.md "Stored state, not
 * rescans"): a database upgraded to schema 7 has activities and no Best Bets
 * state. At start a thread with its own connection checks
 * (bestbets_catchup_due) and, when due, rebuilds the state from the log in
 * short steps (bestbets_catchup_step, BESTBETS_CATCHUP_CHUNK activities'
 * worth each, a pause between them so writers get their turn) while the
 * server serves. It logs the start, progress every
 * BESTBETS_CATCHUP_LOG_US and the end. Killed mid-way, the next start
 * resumes at the last step committed. */
#ifndef HAIL_SVC_BESTBETS_CATCHUP_H
#define HAIL_SVC_BESTBETS_CATCHUP_H

#include "core/err.h"

#define BESTBETS_CATCHUP_CHUNK    10000
#define BESTBETS_CATCHUP_PAUSE_MS 20
#define BESTBETS_CATCHUP_LOG_US   (INT64_C(10) * 1000000)

/* Starts the thread on target's database (it ends by itself when nothing
 * is due). Fails only when no thread can be made. */
hail_err bestbets_catchup_start(const char *target);
/* Stops it between two steps and waits for it. Safe when not started. */
void bestbets_catchup_stop(void);

#endif
