/*
 * The process state (see process.h): the current config, swapped by
 * reference under a mutex, the statistics block, the session links and
 * the descriptor budget.
 */
#include "process.h"

#include <syslog.h>
#include <sys/resource.h>

#include "log.h"
#include "stats_history.h"

void
process_init(process *p, bool with_links)
{
	g_mutex_init(&p->config_lock);
	p->config = NULL;
	stats_init(&p->counters);
	p->counters.history = stats_history_new();
	p->links = with_links ? session_links_new() : NULL;
	p->fd_cap = 1000;
}

void
process_clear(process *p)
{
	process_config_set(p, NULL);
	session_links_free(p->links);
	p->links = NULL;
	stats_history_free(p->counters.history);
	p->counters.history = NULL;
	stats_clear(&p->counters);
	g_mutex_clear(&p->config_lock);
}

esmtp_config *
process_config_acquire(process *p)
{
	esmtp_config *c;

	g_mutex_lock(&p->config_lock);
	c = p->config != NULL ? config_ref(p->config) : NULL;
	g_mutex_unlock(&p->config_lock);
	if (c == NULL)
		c = config_new_defaults();
	return c;
}

void
process_config_set(process *p, esmtp_config *config)
{
	esmtp_config *old;

	g_mutex_lock(&p->config_lock);
	old = p->config;
	p->config = config != NULL ? config_ref(config) : NULL;
	g_mutex_unlock(&p->config_lock);
	config_unref(old);
}

void
process_fd_budget(process *p, unsigned policy_connections,
		  unsigned http_connections)
{
	struct rlimit rl;
	rlim_t n, reserved = (rlim_t)PROCESS_FD_BASE + policy_connections
			     + http_connections;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	n = rl.rlim_cur == RLIM_INFINITY ? 1000000 : rl.rlim_cur;
	/* a limit too small for the reserve still leaves half to sessions */
	p->fd_cap = n > 2 * reserved ? (unsigned)MIN(n - reserved, 1000000)
				     : (unsigned)MAX(n / 2, 1);
	log_msg(LOG_INFO, NULL,
		"descriptors: %llu open files allowed; %u kept for the listeners, logs and state file, %u for policy connections, %u for statistics connections; %u left for milter sessions",
		(unsigned long long)n, PROCESS_FD_BASE, policy_connections,
		http_connections, p->fd_cap);
}

unsigned
process_session_cap(const process *p, const esmtp_config *config,
		    bool *from_limit)
{
	*from_limit = config->max_sessions == 0
		      || config->max_sessions > p->fd_cap;
	return *from_limit ? p->fd_cap : config->max_sessions;
}

bool
process_reload(process *p, esmtp_config *next, const char *path)
{
	esmtp_config *current;
	g_autofree char *changed = NULL;

	if (next == NULL) {
		log_msg(LOG_ERR, NULL,
			"reload of %s failed; the current config stays in force",
			path);
		stats_add(&p->counters.reloads[0], 1);
		return false;
	}
	current = process_config_acquire(p);
	changed = config_restart_changes(current, next);
	config_unref(current);
	if (changed != NULL)
		log_msg(LOG_WARNING, NULL,
			"changed in %s, in force only after a restart: %s",
			path, changed);
	log_set_level(next->log_level);
	process_config_set(p, next);
	log_msg(LOG_INFO, NULL, "reloaded %s%s", path,
		next->dry_run ? " (dry_run: reject, tempfail and tag are logged instead)" : "");
	stats_add(&p->counters.reloads[1], 1);
	return true;
}
