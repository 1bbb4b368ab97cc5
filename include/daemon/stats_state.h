/*
 * The state file: the counters and the top-clients tables saved as JSON,
 * written atomically (temporary file, fsync, rename) and read back at
 * start so that totals survive restarts.
 */
#ifndef ESMTP_STATS_STATE_H
#define ESMTP_STATS_STATE_H

#include <stdbool.h>
#include <glib.h>

#include "stats.h"
#include "stats_load.h"

bool stats_state_save(stats *s, const char *path, GError **error);
/*
 * Restores a saved state into fresh counters, as much of it as reads
 * (stats_load_text()); out says what it cost (stats_state_outcome_clear()
 * frees it). A missing file is not an error. When octets were replaced or
 * members lost, the file as it was is copied aside (out->moved_to) and
 * true returned. False, with every counter at zero, for a file that
 * cannot be read at all (not JSON, not esmtp-milter statistics,
 * unreadable): it is renamed aside (out->moved_to) unless it was refused
 * (a symbolic link, another user's file), which is left where it is.
 */
typedef struct {
	char *moved_to;
	stats_load_outcome read;
} stats_state_outcome;

bool stats_state_load(stats *s, const char *path, stats_state_outcome *out,
		      GError **error);
void stats_state_outcome_clear(stats_state_outcome *out);

#endif
