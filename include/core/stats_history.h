/*
 * A bounded history of the headline statistics: the last
 * STATS_HISTORY_HOURS hours by hour and the last STATS_HISTORY_DAYS days
 * by day (UTC), for sites without Prometheus.
 *
 * Nothing is counted twice and nothing is added to the per-message path:
 * a sample reads the totals of the families in stats_history_families[]
 * and adds what they grew by since the previous sample to the bucket of
 * the hour and of the day the sample is taken in. The daemon samples
 * every minute (before each save) and before it serves /stats.json or
 * the page, so a bucket holds what was counted within that hour, give
 * or take the minute.
 *
 * The clock: a sample taken up to STATS_HISTORY_STEP_BACK seconds before
 * the newest bucket (NTP moving the clock back) counts in the newest
 * bucket, so no hour is counted twice over; a larger step back is taken
 * as the time. A step forward or a daemon that was stopped leaves the
 * hours in between without a bucket, which the report shows as hours
 * without data.
 *
 * In JSON (the state file and /stats.json, member "history"):
 *   {"version": 1, "since": T, "columns": [NAME...],
 *    "hours": [[T, N, N...]...], "days": [...]}
 * T is a bucket's start in seconds since the epoch, then one count N per
 * column listed: the columns some bucket counts in, named
 * "family/label/label" as in /stats.json. A reader keeps the columns it
 * knows by name, so files of other versions load.
 *
 * Memory: (48 + 400) buckets of one 64-bit counter per column, under
 * 1 MiB for the columns of today's families (stats_history_bytes()).
 * One mutex, taken by the sampler and the writers, never by a session.
 */
#ifndef ESMTP_STATS_HISTORY_H
#define ESMTP_STATS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "stats.h"

#define STATS_HISTORY_HOURS 48
#define STATS_HISTORY_DAYS 400
#define STATS_HISTORY_STEP_BACK (2 * 3600)
#define STATS_HISTORY_VERSION 1

/* The families the history keeps, by JSON member name, NULL-terminated. */
extern const char *const stats_history_families[];

typedef struct stats_history stats_history;

stats_history *stats_history_new(void);
void stats_history_free(stats_history *h);
size_t stats_history_bytes(const stats_history *h);

/* What s counted since the previous sample, added to now's hour and day
   (now: seconds since the epoch). */
void stats_history_sample(stats_history *h, stats *s, int64_t now);
/* The next sample counts from s's totals as they are now (after a state
   file restored them). */
void stats_history_rebase(stats_history *h, stats *s);

/* The "history" member. */
void stats_history_json(stats_history *h, JsonBuilder *b);
/* A "history" member's buckets added to h (a bucket h has is summed);
   false with error when it is not a history. */
bool stats_history_load(stats_history *h, JsonNode *node, GError **error);

/*
 * A window: the hour buckets of the last n hours (by_day false: now's
 * hour and the n - 1 before it) or the day buckets of the last n days
 * (now's day and the n - 1 before), summed into out's counters.
 * Returns how many of those buckets h holds; *since is the history's
 * first sample (0 if none).
 */
unsigned stats_history_window(stats_history *h, int64_t now, unsigned n,
			      bool by_day, stats *out, int64_t *since);

/* The count of the columns named prefix or prefix/... ("violations",
   "violations/size_overrun") in each of the last n buckets, oldest
   first (zero where there is no bucket); false when there is none. */
bool stats_history_series(stats_history *h, const char *prefix, int64_t now,
			  unsigned n, bool by_day, uint64_t *out);

#endif
