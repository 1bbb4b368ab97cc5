/*
 * make bench: what the history adds to a save of the state file. The
 * golden report's state (tests/stats/state.json) is saved as the daemon
 * saves it, without a history and with one holding every hour and every
 * day the rings keep, each with the columns a busy site makes nonzero;
 * the two in turn, ROUNDS times each, and the median of each.
 *
 * usage: save_bench STATE.json WORKDIR ROUNDS; prints one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "stats.h"
#include "stats_export.h"
#include "stats_history.h"
#include "stats_load.h"
#include "stats_state.h"

/* A busy site's hour: every greeting, ten MAIL keywords and three RCPT
   ones, six rules firing (at their action, some exempt), every verdict,
   BODY type and SIZE bucket, policy requests at RCPT and end of data. */
static void
fill(stats *s, int64_t now)
{
	for (int64_t i = -399; i <= 47; i++) {
		int64_t t = i < -1 ? now + i * 86400 : now - (47 - i) * 3600;

		stats_add(&s->connections, 9000);
		stats_add(&s->transactions, 12000);
		stats_add(&s->messages, 11000);
		for (unsigned g = 0; g < GREETING_COUNT; g++)
			stats_add(&s->greetings[g], 3000);
		for (unsigned k = 0; k < 10; k++)
			stats_add(&s->params[CMD_MAIL][k], 500 + k);
		for (unsigned k = 0; k < 3; k++)
			stats_add(&s->params[CMD_RCPT][k], 50 + k);
		for (unsigned r = 0; r < 6; r++) {
			stats_add(&s->violations[r][rule_table[r].default_action], 300);
			stats_add(&s->violations[r][STATS_ACTION_EXEMPT], 3);
			stats_add(&s->would_refuse[r], 30);
		}
		for (unsigned v = 0; v < VERDICT_COUNT; v++)
			stats_add(&s->verdicts[v], 3000);
		for (unsigned b = 0; b < BODY_COUNT; b++)
			stats_add(&s->body_types[b], 3000);
		for (unsigned k = 0; k <= s->size_ratio.nbounds; k++)
			stats_add(&s->size_ratio.buckets[k], 900);
		stats_add(&s->size_ratio.count, 9900);
		stats_add(&s->size_declared[1], 9000);
		stats_add(&s->policy_requests[POLICY_STATE_RCPT], 9000);
		stats_add(&s->policy_requests[POLICY_STATE_EOM], 9000);
		stats_history_sample(s->history, s, t);
	}
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	g_autofree char *text = NULL;
	g_autofree char *plain_path = NULL, *hist_path = NULL;
	stats *plain = g_new0(stats, 1), *hist = g_new0(stats, 1);
	stats_load_outcome out = {0}, out2 = {0};
	unsigned rounds;
	double *a, *b;
	gsize len;
	GStatBuf st_a, st_b;

	if (argc != 4 || !g_file_get_contents(argv[1], &text, &len, NULL)) {
		fprintf(stderr, "usage: save_bench STATE.json WORKDIR ROUNDS\n");
		return 2;
	}
	rounds = (unsigned)atoi(argv[3]);
	rounds = rounds ? rounds : 1;
	stats_init(plain);
	stats_init(hist);
	hist->history = stats_history_new();
	if (!stats_load_text(plain, text, len, &out, NULL) ||
	    !stats_load_text(hist, text, len, &out2, NULL))
		return 1;
	fill(hist, g_get_real_time() / G_USEC_PER_SEC);
	plain_path = g_build_filename(argv[2], "plain.json", NULL);
	hist_path = g_build_filename(argv[2], "history.json", NULL);
	a = g_new(double, rounds);
	b = g_new(double, rounds);
	for (unsigned i = 0; i < rounds; i++) {
		gint64 t0 = g_get_monotonic_time();

		if (!stats_state_save(plain, plain_path, NULL))
			return 1;
		a[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
		t0 = g_get_monotonic_time();
		if (!stats_state_save(hist, hist_path, NULL))
			return 1;
		b[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
	}
	if (g_stat(plain_path, &st_a) != 0 || g_stat(hist_path, &st_b) != 0)
		return 1;
	printf("{\"without_ms\": %.3f, \"with_ms\": %.3f, \"without_octets\": %lld, "
	       "\"with_octets\": %lld, \"history_memory\": %zu}\n",
	       median(a, rounds), median(b, rounds), (long long)st_a.st_size,
	       (long long)st_b.st_size, stats_history_bytes(hist->history));
	stats_load_outcome_clear(&out);
	stats_load_outcome_clear(&out2);
	return 0;
}
