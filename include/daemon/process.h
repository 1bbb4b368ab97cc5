/*
 * The process state shared by the front ends (the libmilter adapter and
 * the policy listener), the housekeeping thread and the signal thread:
 * the config that new sessions start with, the statistics, the milter
 * sessions the policy service can find, and how many milter sessions the
 * descriptors allow. main() owns the one process and passes it to each
 * part; nothing here knows libmilter or calls back into those parts.
 *
 * How the daemon reports what goes wrong, everywhere in milter/daemon:
 * a failure is logged once, by the part that decides what happens next
 * (main() at start, a listener for its own connections, the reload for a
 * config), with log_msg(); a helper that cannot decide returns false,
 * NULL or -1 with a GError (policy_server_open) for its caller to log.
 * socket_failure() words an errno for a socket path, as g_strerror()
 * does. At start a failure ends the daemon with a sysexits.h status;
 * later, mail keeps flowing and the log says what is missing.
 *
 * process_config_acquire() returns a reference the caller releases with
 * config_unref(); before any config is set it returns fresh defaults.
 * process_config_set() takes a reference of its own (NULL drops it).
 */
#ifndef ESMTP_PROCESS_H
#define ESMTP_PROCESS_H

#include <stdbool.h>
#include <glib.h>

#include "config.h"
#include "session_link.h"
#include "stats.h"

typedef struct {
	GMutex config_lock;	/* no message path takes it: a session takes
				   its config reference once, at connect */
	esmtp_config *config;
	stats counters;
	session_links *links;	/* NULL without the policy listener */
	unsigned fd_cap;	/* milter sessions the descriptors allow */
} process;

/* with_links: the policy listener runs, so sessions are kept findable */
void process_init(process *p, bool with_links);
/* Before any thread uses it: what process_init() and the config took. */
void process_clear(process *p);
esmtp_config *process_config_acquire(process *p);
void process_config_set(process *p, esmtp_config *config);
/*
 * Puts next in force (or, when next is NULL, logs that the reload of path
 * failed and keeps the current config), names the changed keys that need
 * a restart and counts the reload; true when next is now in force. It
 * does not take the caller's reference.
 */
bool process_reload(process *p, esmtp_config *next, const char *path);

/*
 * The descriptor budget, read once at start after the daemon raised its
 * open-files limit: PROCESS_FD_BASE for the listeners, the logs and the
 * state file, plus each listener's own connection cap (reserved, as
 * given), and what is left for milter sessions; logged in one line.
 */
#define PROCESS_FD_BASE 64
void process_fd_budget(process *p, unsigned policy_connections,
		       unsigned http_connections);
/*
 * The most milter sessions at once: [milter] max_sessions, or when that
 * is 0 (or more) what the descriptor budget leaves. *from_limit says
 * which of the two it is.
 */
unsigned process_session_cap(const process *p, const esmtp_config *config,
			     bool *from_limit);

#endif
