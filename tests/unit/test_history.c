/*
 * The statistics by hour and by day (stats_history.c): buckets filled by
 * sampling at given times, windows over them, clock steps, the JSON form
 * and its reading back (restarts, several sources, older files), and the
 * bounds.
 */
#include <string.h>
#include <json-glib/json-glib.h>

#include "stats.h"
#include "stats_export.h"
#include "stats_history.h"
#include "stats_load.h"
#include "unit.h"

#define HOUR 3600
#define DAY 86400
/* 2026-12-01 10:20:00 UTC */
#define T0 ((int64_t)1796119200 + 20 * 60)

static stats *
new_stats(void)
{
	stats *s = g_new0(stats, 1);

	stats_init(s);
	s->history = stats_history_new();
	return s;
}

static void
free_stats(stats *s)
{
	stats_history_free(s->history);
	stats_clear(s);
	g_free(s);
}

/* transactions (and size_overrun rejects) counted at now */
static void
traffic(stats *s, int64_t now, uint64_t transactions, uint64_t overruns)
{
	stats_add(&s->transactions, transactions);
	stats_add(&s->violations[RULE_SIZE_OVERRUN][ACTION_REJECT], overruns);
	stats_history_sample(s->history, s, now);
}

static uint64_t
window(stats *s, int64_t now, unsigned n, bool by_day, unsigned *held)
{
	stats *out = g_new0(stats, 1);
	uint64_t t;
	unsigned h;

	stats_init(out);
	h = stats_history_window(s->history, now, n, by_day, out, NULL);
	if (held)
		*held = h;
	t = stats_get(&out->transactions);
	stats_clear(out);
	g_free(out);
	return t;
}

START_TEST(test_hours_and_days)
{
	stats *s = new_stats();
	int64_t now = T0 + 26 * HOUR;	/* 12:20 the next day */
	unsigned held;
	uint64_t series[48];

	traffic(s, T0, 5, 1);
	traffic(s, T0 + HOUR, 3, 0);
	traffic(s, T0 + HOUR + 30 * 60, 2, 2);
	traffic(s, now, 7, 0);
	ck_assert_uint_eq(window(s, now, 1, false, &held), 7);
	ck_assert_uint_eq(held, 1);
	ck_assert_uint_eq(window(s, now, 24, false, &held), 7);
	ck_assert_uint_eq(window(s, now, 25, false, &held), 7);	/* 12:00 */
	ck_assert_uint_eq(held, 1);
	ck_assert_uint_eq(window(s, now, 26, false, &held), 12);	/* 11:00 */
	ck_assert_uint_eq(held, 2);
	ck_assert_uint_eq(window(s, now, 48, false, &held), 17);
	ck_assert_uint_eq(held, 3);
	ck_assert_uint_eq(window(s, now, 1, true, NULL), 7);
	ck_assert_uint_eq(window(s, now, 2, true, &held), 17);
	ck_assert_uint_eq(held, 2);
	ck_assert_uint_eq(window(s, now, 400, true, NULL), 17);
	/* the series, oldest first: 10:00 and 11:00 yesterday, now's hour */
	ck_assert(stats_history_series(s->history, "transactions", now, 48, false, series));
	ck_assert_uint_eq(series[47], 7);
	ck_assert_uint_eq(series[47 - 25], 5);
	ck_assert_uint_eq(series[47 - 26], 5);
	ck_assert_uint_eq(series[47 - 24], 0);
	ck_assert(stats_history_series(s->history, "violations/size_overrun", now, 48,
				       false, series));
	ck_assert_uint_eq(series[47 - 25], 2);
	ck_assert_uint_eq(series[47 - 26], 1);
	ck_assert(!stats_history_series(s->history, "no_such_family", now, 48, false,
					series));
	free_stats(s);
}
END_TEST

START_TEST(test_clock_steps)
{
	stats *s = new_stats();
	int64_t ten = T0 - 20 * 60;	/* 10:00 */

	traffic(s, ten + 50 * 60, 2, 0);
	/* NTP moves the clock back an hour: the counts stay in 10:00 */
	traffic(s, ten - 30 * 60, 3, 0);
	traffic(s, ten + 40 * 60, 4, 0);
	ck_assert_uint_eq(window(s, ten + 59 * 60, 1, false, NULL), 9);
	ck_assert_uint_eq(window(s, ten - 30 * 60, 1, false, NULL), 0);
	/* forward an hour: a new hour, none in between is made up */
	traffic(s, ten + 2 * HOUR + 5, 1, 0);
	ck_assert_uint_eq(window(s, ten + 2 * HOUR, 1, false, NULL), 1);
	ck_assert_uint_eq(window(s, ten + 2 * HOUR, 2, false, NULL), 1);
	ck_assert_uint_eq(window(s, ten + 2 * HOUR, 3, false, NULL), 10);
	/* stopped for three days: the new day has its own bucket, the
	   48 hours before it hold nothing, the days hold everything */
	traffic(s, ten + 3 * DAY, 6, 0);
	ck_assert_uint_eq(window(s, ten + 3 * DAY, 48, false, NULL), 6);
	ck_assert_uint_eq(window(s, ten + 3 * DAY, 7, true, NULL), 16);
	ck_assert_uint_eq(window(s, ten + 3 * DAY, 3, true, NULL), 6);
	/* a clock set right after running days ahead: taken as the time */
	traffic(s, ten + DAY, 5, 0);
	ck_assert_uint_eq(window(s, ten + DAY, 1, false, NULL), 5);
	ck_assert_uint_eq(window(s, ten + DAY, 2, true, NULL), 15);
	free_stats(s);
}
END_TEST

static JsonNode *
saved(stats *s)
{
	return stats_to_json(s);
}

START_TEST(test_restart_keeps_history)
{
	stats *a = new_stats(), *b = new_stats();
	JsonNode *doc;
	GError *error = NULL;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	traffic(a, now - 3 * HOUR, 4, 0);
	traffic(a, now - 2 * DAY, 0, 0);	/* an older day, clock back */
	traffic(a, now - HOUR, 6, 1);
	doc = saved(a);
	{
		/* only the columns something was counted in, a count each */
		JsonObject *h = json_object_get_object_member(json_node_get_object(doc),
							      "history");
		JsonArray *cols = json_object_get_array_member(h, "columns");
		JsonArray *hours = json_object_get_array_member(h, "hours");

		ck_assert_uint_eq(json_array_get_length(cols), 2);
		ck_assert_str_eq(json_array_get_string_element(cols, 0), "transactions");
		ck_assert_str_eq(json_array_get_string_element(cols, 1),
				 "violations/size_overrun/reject");
		ck_assert_uint_eq(json_array_get_length(json_array_get_array_element(hours, 0)), 3);
	}
	ck_assert(stats_from_json(b, doc, &error));
	/* the restored totals are not counted again at the next sample */
	stats_history_sample(b->history, b, now);
	ck_assert_uint_eq(window(b, now, 24, false, NULL), window(a, now, 24, false, NULL));
	ck_assert_uint_eq(window(b, now, 24, false, NULL), 10);
	ck_assert_uint_eq(window(b, now, 7, true, NULL), 10);
	/* new traffic after the restart counts once */
	traffic(b, now, 5, 0);
	ck_assert_uint_eq(window(b, now, 24, false, NULL), 15);
	json_node_unref(doc);
	free_stats(a);
	free_stats(b);
}
END_TEST

START_TEST(test_sources_merge_by_hour)
{
	stats *a = new_stats(), *b = new_stats(), *m = new_stats();
	JsonNode *a_doc, *b_doc, *da, *db;
	GError *error = NULL;
	int64_t now = T0 + 5 * DAY;

	traffic(a, now - HOUR, 3, 0);
	traffic(a, now, 4, 0);
	/* b stopped days ago: its old hours, in the slots of a's (49 and
	   48 hours before a's), must not push a's out */
	traffic(b, now - 49 * HOUR, 10, 0);
	traffic(b, now - 48 * HOUR, 20, 0);
	a_doc = saved(a);
	b_doc = saved(b);
	da = json_object_get_member(json_node_get_object(a_doc), "history");
	db = json_object_get_member(json_node_get_object(b_doc), "history");
	ck_assert(stats_history_load(m->history, da, &error));
	ck_assert(stats_history_load(m->history, db, &error));
	ck_assert_uint_eq(window(m, now, 2, false, NULL), 7);
	ck_assert_uint_eq(window(m, now, 1, true, NULL), 7);
	ck_assert_uint_eq(window(m, now, 4, true, NULL), 37);
	/* and in the other order */
	{
		stats *m2 = new_stats();

		ck_assert(stats_history_load(m2->history, db, &error));
		ck_assert(stats_history_load(m2->history, da, &error));
		ck_assert_uint_eq(window(m2, now, 2, false, NULL), 7);
		ck_assert_uint_eq(window(m2, now, 4, true, NULL), 37);
		free_stats(m2);
	}
	/* the same source twice sums, as two daemons in the same hour do */
	ck_assert(stats_history_load(m->history, da, &error));
	ck_assert_uint_eq(window(m, now, 2, false, NULL), 14);
	json_node_unref(a_doc);
	json_node_unref(b_doc);
	free_stats(a);
	free_stats(b);
	free_stats(m);
}
END_TEST

START_TEST(test_older_files_and_bad_history)
{
	static const char *bad[] = {
		"{\"columns\": [\"transactions\"], \"hours\": [[3601, 1]]}",
		"{\"columns\": [\"transactions\"], \"hours\": [[3600]]}",
		"{\"columns\": [\"transactions\"], \"days\": [[86400, 5, 1]]}",
		"{\"columns\": [\"transactions\"], \"days\": [[86400, -1]]}",
		"{\"columns\": [\"transactions\"], \"days\": [[86400, \"1\"]]}",
		"{\"columns\": [\"transactions\"], \"days\": {}}",
		"{\"hours\": []}",
		"[]",
	};

	stats *s = new_stats();
	GError *error = NULL;
	stats_load_outcome out = {0};
	const char *old = "{\"version\": 1, \"start_time\": 1, \"transactions\": 9}";
	const char *unknown = "{\"version\": 1, \"history\": {\"columns\": "
		"[\"a_family/of/the_future\", \"transactions\"], "
		"\"hours\": [[7200, 5, 2]], \"days\": [[86400, 0, 2]]}}";

	/* a file from before the history loads, with none */
	ck_assert(stats_load_text(s, old, strlen(old), &out, &error));
	ck_assert_uint_eq(out.lost->len, 0);
	ck_assert_uint_eq(stats_get(&s->transactions), 9);
	stats_load_outcome_clear(&out);
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		JsonNode *n = json_from_string(bad[i], NULL);

		ck_assert_msg(!stats_history_load(s->history, n, &error), "%s", bad[i]);
		g_clear_error(&error);
		json_node_unref(n);
	}
	/* a column this version does not know is left out, the rest read */
	ck_assert(stats_load_text(s, unknown, strlen(unknown), &out, &error));
	ck_assert_uint_eq(window(s, 7200, 1, false, NULL), 2);
	ck_assert_uint_eq(window(s, 86400, 1, true, NULL), 2);
	stats_load_outcome_clear(&out);
	free_stats(s);
}
END_TEST

/* Every bucket held, every column a site can make nonzero (each rule at
   one action, and exempt) with the counts of a busy site. */
START_TEST(test_bounds)
{
	stats *s = new_stats(), *out = new_stats();
	char *text;
	int64_t now = T0 + 400 * (int64_t)DAY;

	/* a sample a day for 400 days, then one an hour for 48 hours */
	for (int64_t i = -399; i <= 47; i++) {
		int64_t t = i < -1 ? now + i * (int64_t)DAY : now - (47 - i) * HOUR;

		stats_add(&s->connections, 90000);
		for (unsigned g = 0; g < GREETING_COUNT; g++)
			stats_add(&s->greetings[g], 30000);
		stats_add(&s->transactions, 120000);
		stats_add(&s->messages, 110000);
		for (unsigned c = 0; c < CMD_COUNT; c++)
			for (unsigned k = 0; k < STATS_PARAM_SLOTS; k++)
				stats_add(&s->params[c][k], 50000 + k);
		for (unsigned b = 0; b < BODY_COUNT; b++)
			stats_add(&s->body_types[b], 30000);
		stats_add(&s->size_declared[0], 40000);
		stats_add(&s->size_declared[1], 80000);
		for (unsigned k = 0; k <= s->size_ratio.nbounds; k++)
			stats_add(&s->size_ratio.buckets[k], 9000);
		stats_add(&s->size_ratio.count, 99000);
		for (unsigned r = 0; r < RULE_COUNT; r++) {
			stats_add(&s->violations[r][rule_table[r].default_action], 3000);
			stats_add(&s->violations[r][STATS_ACTION_EXEMPT], 300);
			stats_add(&s->would_refuse[r], 3000);
		}
		for (unsigned v = 0; v < VERDICT_COUNT; v++)
			stats_add(&s->verdicts[v], 30000);
		for (unsigned p = 0; p <= STATS_POLICY_BAD; p++)
			stats_add(&s->policy_requests[p], 60000);
		stats_history_sample(s->history, s, t);
	}
	/* full: every hour and every day the rings keep */
	ck_assert_uint_eq(stats_history_window(s->history, now, STATS_HISTORY_HOURS, false,
					       out, NULL), STATS_HISTORY_HOURS);
	ck_assert_uint_eq(stats_history_window(s->history, now, STATS_HISTORY_DAYS, true,
					       out, NULL), STATS_HISTORY_DAYS);
	text = stats_json_text(s, false);
	/* about 310 KiB and 640 KiB here */
	ck_assert_msg(strlen(text) < 1024 * 1024, "state file %zu octets", strlen(text));
	ck_assert_msg(stats_history_bytes(s->history) < 2 * 1024 * 1024,
		      "history %zu octets", stats_history_bytes(s->history));
	g_free(text);
	free_stats(s);
	free_stats(out);
}
END_TEST

Suite *
history_suite(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_hours_and_days);
	tcase_add_test(tc, test_clock_steps);
	tcase_add_test(tc, test_restart_keeps_history);
	tcase_add_test(tc, test_sources_merge_by_hour);
	tcase_add_test(tc, test_older_files_and_bad_history);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}
