/*
 * Process state shared by the front ends (the libmilter adapter and
 * the policy listener) and the housekeeping thread: the config that new
 * sessions start with, the statistics, and what a reload does with a
 * newly loaded config. Nothing here knows libmilter.
 *
 * process_config_acquire() returns a reference the caller releases with
 * config_unref(); before any config is set it returns fresh defaults.
 * process_config_set() takes a reference of its own (NULL drops it).
 * process_stats() is the one statistics block of the process.
 * process_reload() puts next in force (or, when next is NULL, logs that
 * the reload of path failed and keeps the current config), names the
 * changed keys that need a restart, counts the reload and saves the
 * statistics; it does not take the caller's reference.
 */
#ifndef ESMTP_PROCESS_H
#define ESMTP_PROCESS_H

#include "config.h"
#include "session_link.h"
#include "stats.h"

esmtp_config *process_config_acquire(void);
void process_config_set(esmtp_config *config);
stats *process_stats(void);
/*
 * The milter sessions the policy service can find (NULL until
 * process_links_start(), which the daemon calls only when the policy
 * listener runs; the table lives as long as the process).
 */
void process_links_start(void);
session_links *process_links(void);
/*
 * The most milter sessions at once: [milter] max_sessions, or when that
 * is 0 what the open-files limit leaves (read once at start, after the
 * daemon raised it, less what the listeners need). *from_limit says
 * which of the two it is.
 */
void process_session_cap_init(void);
unsigned process_session_cap(const esmtp_config *config, bool *from_limit);
void process_reload(esmtp_config *next, const char *path);

#endif
