/*
 * The core under threads, for ThreadSanitizer (make check): milter
 * sessions on four threads, the policy service on its own telling them
 * greetings through the session links, a reload thread swapping the
 * config the sessions start with, and a reader exporting the counters
 * and the top-clients tables, all at once. Any data race ends it with
 * ThreadSanitizer's report; the counters must add up at the end.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "policy.h"
#include "session.h"
#include "session_link.h"
#include "stats_export.h"
#include "stats_history.h"

#define WORKERS 4
#define ITERATIONS 1500

static stats st;
static session_links *links;
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static esmtp_config *current;
static atomic_int done;

static esmtp_config *
acquire(void)
{
	esmtp_config *c;

	pthread_mutex_lock(&current_lock);
	c = config_ref(current);
	pthread_mutex_unlock(&current_lock);
	return c;
}

static void
set_current(esmtp_config *next)
{
	esmtp_config *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = config_ref(next);
	pthread_mutex_unlock(&current_lock);
	config_unref(old);
}

/* workers 0 and 2, 1 and 3 share client ports: the links chain */
static unsigned
port_of(unsigned worker, unsigned i)
{
	return 10000 + (worker % 2) * ITERATIONS + i;
}

static void *
worker(void *arg)
{
	unsigned w = (unsigned)(size_t)arg;
	char from[] = "<a@example.net>", size[] = "SIZE=100", body[] = "BODY=8BITMIME";
	char rcpt[] = "<b@example.org>", addr_text[32];
	char *mail_argv[] = {from, size, body, NULL}, *rcpt_argv[] = {rcpt, NULL};
	session_macros m = {.queue_id = "Q"};

	for (unsigned i = 0; i < ITERATIONS; i++) {
		esmtp_config *cfg = acquire();
		session_conn c;
		session_result res;
		session_link *l;
		net_addr a;

		snprintf(addr_text, sizeof addr_text, "192.0.2.%u", i % 200 + 1);
		net_addr_parse(addr_text, &a);
		session_init(&c, cfg, &st, NULL, NULL);
		config_unref(cfg);
		session_connect(&c, "mx.example", &a, addr_text);
		l = session_link_add(links, &(session_endpoints){.client = a,
				     .client_port = port_of(w, i)});
		session_helo(&c, "mx.example");
		session_mail(&c, mail_argv, &m, &res);
		session_learn_greeting(&c, session_link_greeting(l));
		session_rcpt(&c, rcpt_argv, "Q", &res);
		session_header(&c, "Subject", " hi");
		session_body(&c, (const unsigned char *)"hello\r\n", 7);
		session_learn_greeting(&c, session_link_greeting(l));
		session_eom(&c, "Q", &res);
		session_link_remove(l);
		session_close(&c);
	}
	return NULL;
}

/* Requests for the workers' sessions (some open, some gone) and others. */
static void *
policy_thread(void *arg)
{
	policy_service *pe = policy_service_new(&st, links, NULL, NULL);
	char text[512], reply[POLICY_REPLY_MAX];

	(void)arg;
	for (unsigned i = 0; i < 2 * ITERATIONS; i++) {
		esmtp_config *cfg = acquire();
		policy_request r;
		int n = snprintf(text, sizeof text,
			"request=smtpd_access_policy\nprotocol_state=%s\n"
			"protocol_name=%s\nclient_address=192.0.2.%u\n"
			"client_port=%u\nsender=a@example.net\nrecipient=b@example.org\n"
			"instance=%u\nsize=100\nrecipient_count=1\n\n",
			i % 2 ? "END-OF-MESSAGE" : "RCPT", i % 3 ? "ESMTP" : "SMTP",
			(i / 2) % 200 + 1, port_of(i % WORKERS, i / 2), i / 2);

		if (policy_request_parse(text, (size_t)n, &r) == POLICY_OK)
			policy_service_answer(pe, cfg, &r, 1, reply, sizeof reply);
		config_unref(cfg);
	}
	policy_service_free(pe);
	return NULL;
}

static void *
reload_thread(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 300 && !done; i++) {
		esmtp_config *next = config_new_defaults();

		next->size_max = 1000 + i;
		next->actions[RULE_PARAM_WITHOUT_EHLO] = i % 2 ? ACTION_REJECT : ACTION_LOG;
		set_current(next);
		config_unref(next);
		usleep(500);
	}
	return NULL;
}

static void *
reader(void *arg)
{
	stats_top_entry top[STATS_TOP_K];

	(void)arg;
	while (!done) {
		g_free(stats_prometheus_text(&st));
		g_free(stats_json_text(&st, true));
		stats_top_snapshot(&st.top_transactions, top);
		session_link_count(links);
	}
	return NULL;
}

int
main(void)
{
	pthread_t w[WORKERS], p, r, rd;
	uint64_t verdicts = 0, greetings = 0;

	stats_init(&st);
	/* the reader's JSON samples the history while the workers count */
	st.history = stats_history_new();
	links = session_links_new();
	current = config_new_defaults();
	/* GLib's and json-glib's one-time set-up, before any thread */
	g_free(stats_prometheus_text(&st));
	g_free(stats_json_text(&st, true));

	pthread_create(&rd, NULL, reader, NULL);
	pthread_create(&r, NULL, reload_thread, NULL);
	pthread_create(&p, NULL, policy_thread, NULL);
	for (size_t i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	for (size_t i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(p, NULL);
	done = 1;
	pthread_join(r, NULL);
	pthread_join(rd, NULL);

	for (unsigned v = 0; v < VERDICT_COUNT; v++)
		verdicts += stats_get(&st.verdicts[v]);
	for (unsigned g = 0; g < GREETING_COUNT; g++)
		greetings += stats_get(&st.greetings[g]);
	printf("stress: %" G_GUINT64_FORMAT " sessions, %" G_GUINT64_FORMAT
	       " transactions, %" G_GUINT64_FORMAT " policy requests\n",
	       stats_get(&st.connections), stats_get(&st.transactions),
	       stats_get(&st.policy_requests[POLICY_STATE_RCPT])
	       + stats_get(&st.policy_requests[POLICY_STATE_EOM]));
	/* every transaction in the history once, whatever the samples met */
	{
		stats *sum = g_new0(stats, 1);
		int64_t now = g_get_real_time() / G_USEC_PER_SEC;

		stats_init(sum);
		stats_history_sample(st.history, &st, now);
		stats_history_window(st.history, now, 2, false, sum, NULL);
		if (stats_get(&sum->transactions) != stats_get(&st.transactions)) {
			fprintf(stderr, "stress: the history holds %" G_GUINT64_FORMAT
				" transactions of %" G_GUINT64_FORMAT "\n",
				stats_get(&sum->transactions), stats_get(&st.transactions));
			return 1;
		}
		stats_clear(sum);
		g_free(sum);
	}
	if (verdicts != stats_get(&st.transactions)
	    || greetings != stats_get(&st.connections)
	    || stats_get(&st.connections) < WORKERS * ITERATIONS
	    || atomic_load(&st.active_connections) != 0
	    || session_link_count(links) != 0) {
		fprintf(stderr, "stress: the counters do not add up\n");
		return 1;
	}
	session_links_free(links);
	config_unref(current);
	stats_history_free(st.history);
	stats_clear(&st);
	return 0;
}
