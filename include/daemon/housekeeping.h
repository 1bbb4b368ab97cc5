/*
 * The daemon's background duties: saving the state file every minute and
 * at shutdown, the periodic summary line, and the statistics listener.
 */
#ifndef ESMTP_HOUSEKEEPING_H
#define ESMTP_HOUSEKEEPING_H

#include <stdbool.h>

#include "config.h"
#include "stats.h"

/* Restores the state file named by config, if any; logs what it did. */
void housekeeping_restore(const esmtp_config *config, stats *s);
/* Starts the listener and the timer thread; false if the listener fails. */
bool housekeeping_start(const esmtp_config *config, stats *s);
/* Saves the state now (after a reload, at shutdown). */
void housekeeping_save(stats *s);
void housekeeping_stop(stats *s);

#endif
