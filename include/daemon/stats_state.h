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

bool stats_state_save(stats *s, const char *path, GError **error);
/*
 * Restores a saved state into fresh counters. A missing file is not an
 * error. A corrupt or unreadable one is renamed aside (its new name is
 * returned in moved_to, if any) and the counters stay at zero.
 */
bool stats_state_load(stats *s, const char *path, char **moved_to,
		      GError **error);

#endif
