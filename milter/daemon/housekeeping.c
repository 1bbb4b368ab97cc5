/*
 * Background duties on one thread: the state file every minute (the
 * environment variable ESMTP_MILTER_STATE_INTERVAL, in seconds, changes
 * that for tests) and a summary line every summary_interval seconds. The
 * listener runs on libmicrohttpd's own thread.
 */
#include "housekeeping.h"

#include <stdlib.h>
#include <syslog.h>

#include "log.h"
#include "process.h"
#include "stats_export.h"
#include "stats_http.h"
#include "stats_state.h"

static GThread *thread;
static GMutex lock;
static GCond wake;
static bool stopping;
static stats_http *listener;

void
housekeeping_restore(const esmtp_config *config, stats *s)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *moved = NULL;

	if (config->state_file[0] == '\0')
		return;
	if (stats_state_load(s, config->state_file, &moved, &error)) {
		log_msg(LOG_INFO, NULL, "statistics %s %s",
			g_file_test(config->state_file, G_FILE_TEST_EXISTS)
			? "restored from" : "start from zero: no state file yet at",
			config->state_file);
		return;
	}
	if (moved != NULL)
		log_msg(LOG_ERR, NULL,
			"state file %s unreadable (%s); kept aside as %s, counting from zero",
			config->state_file, error->message, moved);
	else
		log_msg(LOG_ERR, NULL,
			"state file %s not read (%s); left as it is, counting from zero",
			config->state_file, error->message);
}

void
housekeeping_save(stats *s)
{
	esmtp_config *config = process_config_acquire();
	g_autoptr(GError) error = NULL;

	if (config->state_file[0] != '\0'
	    && !stats_state_save(s, config->state_file, &error))
		log_msg(LOG_ERR, NULL, "cannot save statistics to %s: %s",
			config->state_file, error->message);
	config_unref(config);
}

static gint64
state_interval_us(void)
{
	const char *e = getenv("ESMTP_MILTER_STATE_INTERVAL");
	guint64 n;

	if (e != NULL && g_ascii_string_to_unsigned(e, 10, 1, 86400, &n, NULL))
		return (gint64)n * G_USEC_PER_SEC;
	return 60 * G_USEC_PER_SEC;
}

static gpointer
run(gpointer data)
{
	stats *s = data;
	gint64 now = g_get_monotonic_time();
	gint64 next_save = now + state_interval_us();
	gint64 next_summary = 0, summary_start = now;
	summary_totals prev;

	summary_read(s, &prev);
	g_mutex_lock(&lock);
	while (!stopping) {
		esmtp_config *config;
		gint64 wait_until = next_save;

		config = process_config_acquire();
		if (config->summary_interval > 0) {
			if (next_summary == 0)
				next_summary = now + (gint64)config->summary_interval
						     * G_USEC_PER_SEC;
			if (next_summary < wait_until)
				wait_until = next_summary;
		} else {
			next_summary = 0;
		}
		config_unref(config);
		g_cond_wait_until(&wake, &lock, wait_until);
		if (stopping)
			break;
		now = g_get_monotonic_time();
		g_mutex_unlock(&lock);
		if (now >= next_save) {
			housekeeping_save(s);
			next_save = now + state_interval_us();
		}
		if (next_summary != 0 && now >= next_summary) {
			summary_totals cur;
			char line[512];

			summary_read(s, &cur);
			summary_format(&cur, &prev, (unsigned)((now - summary_start)
					/ G_USEC_PER_SEC), line, sizeof line);
			log_msg(LOG_INFO, NULL, "%s", line);
			prev = cur;
			summary_start = now;
			next_summary = 0;
		}
		g_mutex_lock(&lock);
	}
	g_mutex_unlock(&lock);
	return NULL;
}

bool
housekeeping_start(const esmtp_config *config, stats *s)
{
	stopping = false;
	thread = g_thread_new("housekeeping", run, s);
	if (config->stats_listen[0] != '\0') {
		g_autoptr(GError) error = NULL;
		bool loopback = false;

		/* mail keeps flowing without the listener: say so loudly */
		listener = stats_http_start(config->stats_listen, s, &loopback,
					    &error);
		if (listener == NULL) {
			log_msg(LOG_ERR, NULL,
				"statistics listener: %s; filtering goes on without it",
				error->message);
			return false;
		}
		if (!loopback)
			log_msg(LOG_WARNING, NULL,
				"statistics listener on %s is not a loopback address: anyone who can reach it sees the statistics",
				config->stats_listen);
		log_msg(LOG_INFO, NULL,
			"statistics on http://%s/metrics and /stats.json",
			config->stats_listen);
	}
	return true;
}

void
housekeeping_stop(stats *s)
{
	if (thread != NULL) {
		g_mutex_lock(&lock);
		stopping = true;
		g_cond_signal(&wake);
		g_mutex_unlock(&lock);
		g_thread_join(thread);
		thread = NULL;
	}
	stats_http_stop(listener);
	listener = NULL;
	housekeeping_save(s);
}
