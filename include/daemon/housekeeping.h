/*
 * The daemon's background duties: saving the state file every minute and
 * at shutdown, the periodic summary line, and the statistics listener.
 * They read the process's config and statistics (process.h).
 */
#ifndef ESMTP_HOUSEKEEPING_H
#define ESMTP_HOUSEKEEPING_H

#include <stdbool.h>

#include "config.h"
#include "process.h"
#include "web_config.h"

typedef struct housekeeping housekeeping;

/* Restores the state file named by config, if any; logs what it did. */
void housekeeping_restore(const esmtp_config *config, stats *s);
/*
 * Starts the timer thread and, when config names one, the statistics
 * listener, with TLS and authentication from web (NULL: plain HTTP);
 * *listening says whether the listener runs (mail keeps flowing without
 * it: its failure is logged, not fatal). NULL when the thread cannot
 * start.
 */
housekeeping *housekeeping_start(process *p, const esmtp_config *config,
				 web_config *web, bool *listening);
/* Saves the state now (after a reload). */
void housekeeping_save(housekeeping *h);
/* Stops the thread and the listener, then saves the state. */
void housekeeping_stop(housekeeping *h);

#endif
