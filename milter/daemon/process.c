/*
 * Process state: the current config, swapped by reference under a mutex
 * that no message path takes (a session takes its reference once, at
 * connect), and the statistics block.
 */
#include "process.h"

#include <syslog.h>
#include <sys/resource.h>

#include "housekeeping.h"
#include "log.h"

static GMutex config_lock;
static esmtp_config *current_config;
static stats process_counters;
static session_links *links;
static unsigned fd_cap = 1000;

esmtp_config *
process_config_acquire(void)
{
	esmtp_config *c;

	g_mutex_lock(&config_lock);
	c = current_config != NULL ? config_ref(current_config) : NULL;
	g_mutex_unlock(&config_lock);
	if (c == NULL)
		c = config_new_defaults();
	return c;
}

void
process_config_set(esmtp_config *config)
{
	esmtp_config *old;

	g_mutex_lock(&config_lock);
	old = current_config;
	current_config = config != NULL ? config_ref(config) : NULL;
	g_mutex_unlock(&config_lock);
	config_unref(old);
}

stats *
process_stats(void)
{
	return &process_counters;
}

void
process_links_start(void)
{
	if (links == NULL)
		links = session_links_new();
}

session_links *
process_links(void)
{
	return links;
}

/* Descriptors kept for the listeners, the logs, the state file and the
   policy service's own connections. */
#define FD_RESERVE 64

void
process_session_cap_init(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	n = rl.rlim_cur == RLIM_INFINITY ? 1000000 : rl.rlim_cur;
	if (links != NULL)	/* the policy listener's connections */
		n = n > 2048 + FD_RESERVE ? n - 2048 : FD_RESERVE + 1;
	fd_cap = n > 2 * FD_RESERVE ? (unsigned)MIN(n - FD_RESERVE, 1000000)
				    : (unsigned)(n / 2);
}

unsigned
process_session_cap(const esmtp_config *config, bool *from_limit)
{
	*from_limit = config->max_sessions == 0 || config->max_sessions > fd_cap;
	return *from_limit ? fd_cap : config->max_sessions;
}

void
process_reload(esmtp_config *next, const char *path)
{
	esmtp_config *current;
	g_autofree char *changed = NULL;

	if (next == NULL) {
		log_msg(LOG_ERR, NULL,
			"reload of %s failed; the current config stays in force",
			path);
		stats_add(&process_counters.reloads[0], 1);
		return;
	}
	current = process_config_acquire();
	changed = config_restart_changes(current, next);
	config_unref(current);
	if (changed != NULL)
		log_msg(LOG_WARNING, NULL,
			"changed in %s, in force only after a restart: %s",
			path, changed);
	log_set_level(next->log_level);
	process_config_set(next);
	log_msg(LOG_INFO, NULL, "reloaded %s%s", path,
		next->dry_run ? " (dry_run: reject, tempfail and tag are logged instead)" : "");
	stats_add(&process_counters.reloads[1], 1);
	housekeeping_save(&process_counters);
}
