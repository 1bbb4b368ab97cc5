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
#include "stats_history.h"
#include "stats_state.h"

struct housekeeping {
	process *proc;
	GThread *thread;
	GMutex lock;
	GCond wake;
	bool stopping;
	stats_http *listener;
};

void
housekeeping_restore(const esmtp_config *config, stats *s)
{
	g_autoptr(GError) error = NULL;
	stats_state_outcome out;
	bool read;

	if (config->state_file[0] == '\0')
		return;
	read = stats_state_load(s, config->state_file, &out, &error);
	if (read && out.read.lost->len == 0 && out.read.replaced == 0)
		log_msg(LOG_INFO, NULL, "statistics %s %s",
			g_file_test(config->state_file, G_FILE_TEST_EXISTS)
			? "restored from" : "start from zero: no state file yet at",
			config->state_file);
	else if (read) {
		g_autofree char *lost = NULL;

		g_ptr_array_add(out.read.lost, NULL);
		lost = g_strjoinv(",", (char **)out.read.lost->pdata);
		g_ptr_array_remove_index(out.read.lost, out.read.lost->len - 1);
		log_msg(LOG_ERR, NULL,
			"state file %s partly unreadable: %u octets not UTF-8 read as \"?\", "
			"lost=%s (these start from zero); every other counter restored; "
			"the file as read kept as %s",
			config->state_file, out.read.replaced,
			out.read.lost->len > 0 ? lost : "none",
			out.moved_to != NULL ? out.moved_to : "(could not copy it)");
	} else if (out.moved_to != NULL)
		log_msg(LOG_ERR, NULL,
			"state file %s unreadable (%s); kept aside as %s, every counter lost, counting from zero",
			config->state_file, error->message, out.moved_to);
	else
		log_msg(LOG_ERR, NULL,
			"state file %s not read (%s); left as it is, counting from zero",
			config->state_file, error->message);
	stats_state_outcome_clear(&out);
}

void
housekeeping_save(housekeeping *h)
{
	esmtp_config *config = process_config_acquire(h->proc);
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();

	/* the history's minute: with a state file or without one */
	stats_history_sample(h->proc->counters.history, &h->proc->counters,
			     g_get_real_time() / G_USEC_PER_SEC);
	if (config->state_file[0] != '\0'
	    && !stats_state_save(&h->proc->counters, config->state_file, &error))
		log_msg(LOG_ERR, NULL, "cannot save statistics to %s: %s",
			config->state_file, error->message);
	/* the write waits for the disk (fsync): say so when that is slow,
	   since a stop waits for it too */
	else if (g_get_monotonic_time() - start > G_USEC_PER_SEC)
		log_msg(LOG_NOTICE, NULL, "statistics saved to %s in %.1f s (the disk was slow to sync it)",
			config->state_file,
			(double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
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
	housekeeping *h = data;
	stats *s = &h->proc->counters;
	gint64 now = g_get_monotonic_time();
	gint64 next_save = now + state_interval_us();
	gint64 next_summary = 0, summary_start = now;
	summary_totals prev;

	summary_read(s, &prev);
	g_mutex_lock(&h->lock);
	while (!h->stopping) {
		esmtp_config *config;
		gint64 wait_until = next_save;

		config = process_config_acquire(h->proc);
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
		g_cond_wait_until(&h->wake, &h->lock, wait_until);
		if (h->stopping)
			break;
		now = g_get_monotonic_time();
		g_mutex_unlock(&h->lock);
		if (now >= next_save) {
			housekeeping_save(h);
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
		g_mutex_lock(&h->lock);
	}
	g_mutex_unlock(&h->lock);
	return NULL;
}

/* mail keeps flowing without the listener: say so loudly */
static bool
listen_for_stats(housekeeping *h, const esmtp_config *config, web_config *web)
{
	g_autoptr(GError) error = NULL;
	bool loopback = false;
	bool guarded = web != NULL && (g_hash_table_size(web->users) > 0
				       || web->client_auth >= WEB_REQUIRE_ANY_CLIENT_CERT);

	h->listener = stats_http_start(config->stats_listen, &h->proc->counters,
				       web, &loopback, &error);
	if (h->listener == NULL) {
		log_msg(LOG_ERR, NULL,
			"statistics listener: %s; filtering goes on without it",
			error->message);
		return false;
	}
	if (!loopback && !guarded)
		log_msg(LOG_WARNING, NULL,
			"statistics listener on %s is not a loopback address: anyone who can reach it sees the statistics",
			config->stats_listen);
	log_msg(LOG_INFO, NULL, "statistics on %s://%s/metrics and /stats.json%s%s",
		web != NULL && web->tls ? "https" : "http", config->stats_listen,
		web != NULL && g_hash_table_size(web->users) > 0
		? ", basic authentication" : "",
		web != NULL && web->client_auth >= WEB_REQUIRE_ANY_CLIENT_CERT
		? ", client certificates" : "");
	return true;
}

housekeeping *
housekeeping_start(process *p, const esmtp_config *config, web_config *web,
		   bool *listening)
{
	housekeeping *h = g_new0(housekeeping, 1);

	h->proc = p;
	g_mutex_init(&h->lock);
	g_cond_init(&h->wake);
	h->thread = g_thread_try_new("housekeeping", run, h, NULL);
	if (h->thread == NULL) {
		g_free(h);
		return NULL;
	}
	*listening = config->stats_listen[0] != '\0'
		     && listen_for_stats(h, config, web);
	return h;
}

void
housekeeping_stop(housekeeping *h)
{
	if (h == NULL)
		return;
	g_mutex_lock(&h->lock);
	h->stopping = true;
	g_cond_signal(&h->wake);
	g_mutex_unlock(&h->lock);
	g_thread_join(h->thread);
	stats_http_stop(h->listener);
	housekeeping_save(h);
	g_mutex_clear(&h->lock);
	g_cond_clear(&h->wake);
	g_free(h);
}
