/* Counting: histograms, the top-k table, JSON round trip, the report. */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "report.h"
#include "session.h"
#include "stats.h"
#include "stats_export.h"
#include "stats_load.h"
#include "unit.h"

static stats st;

static void
setup(void)
{
	stats_init(&st);
}

static void
teardown(void)
{
	stats_clear(&st);
}

START_TEST(test_histogram_buckets)
{
	stats_histogram *h = &st.size_ratio;	/* 0.5 0.9 1 1.1 1.5 2 5 10 */

	stats_observe(h, 0.2);
	stats_observe(h, 0.5);		/* bounds are inclusive (le) */
	stats_observe(h, 1.0);
	stats_observe(h, 1.05);
	stats_observe(h, 1000);
	ck_assert_uint_eq(stats_get(&h->buckets[0]), 2);
	ck_assert_uint_eq(stats_get(&h->buckets[2]), 1);
	ck_assert_uint_eq(stats_get(&h->buckets[3]), 1);
	ck_assert_uint_eq(stats_get(&h->buckets[h->nbounds]), 1);
	ck_assert_uint_eq(stats_get(&h->count), 5);
	ck_assert_uint_eq(stats_get(&h->sum_scaled), 200 + 500 + 1000 + 1050 + 1000000);
	stats_observe(h, -1);		/* below everything: first bucket, no sum */
	ck_assert_uint_eq(stats_get(&h->buckets[0]), 3);
}
END_TEST

START_TEST(test_top_k_exact_when_small)
{
	stats_top_entry e[STATS_TOP_K];
	unsigned n;

	stats_client_done(&st, "192.0.2.1", "a.example", 5, 0, NULL);
	stats_client_done(&st, "192.0.2.2", "b.example", 3, 2, NULL);
	stats_client_done(&st, "192.0.2.1", "a2.example", 1, 1, NULL);
	n = stats_top_snapshot(&st.top_transactions, e);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[0].address, "192.0.2.1");
	ck_assert_uint_eq(e[0].count, 6);
	ck_assert_str_eq(e[0].helo, "a2.example");	/* the last name */
	ck_assert_uint_eq(e[0].error, 0);
	n = stats_top_snapshot(&st.top_violations, e);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[0].address, "192.0.2.2");
	/* no transactions: no entry */
	stats_client_done(&st, "192.0.2.3", "c.example", 0, 0, NULL);
	ck_assert_uint_eq(stats_top_snapshot(&st.top_transactions, e), 2);
}
END_TEST

START_TEST(test_top_k_bounded)
{
	stats_top_entry e[STATS_TOP_K];
	unsigned n;

	/* a heavy hitter among 10000 one-off clients */
	for (int i = 0; i < 10000; i++) {
		char addr[32];

		snprintf(addr, sizeof addr, "10.0.%d.%d", i / 256, i % 256);
		stats_top_add(&st.top_transactions, addr, "x", 1, NULL);
		if (i % 10 == 0)
			stats_top_add(&st.top_transactions, "192.0.2.99", "big", 1, NULL);
	}
	n = stats_top_snapshot(&st.top_transactions, e);
	ck_assert_uint_eq(n, STATS_TOP_K);
	ck_assert_str_eq(e[0].address, "192.0.2.99");
	/* space-saving: count - error <= true count <= count */
	ck_assert_uint_ge(e[0].count, 1000);
	ck_assert_uint_le(e[0].count - e[0].error, 1000);
	/* a newcomer in a full table inherits the smallest count as its
	   possible overestimate */
	for (unsigned i = 1; i < n; i++)
		ck_assert_uint_eq(e[i].error, e[i].count - 1);
}
END_TEST

START_TEST(test_json_round_trip)
{
	stats back;
	g_autofree char *a = NULL, *b = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) error = NULL;

	stats_add(&st.connections, 7);
	stats_add(&st.greetings[GREETING_HELO], 2);
	stats_add(&st.params[CMD_RCPT][STATS_PARAM_PRIVATE], 3);
	stats_add(&st.violations[RULE_SIZE_LIMIT][STATS_ACTION_EXEMPT], 4);
	stats_observe(&st.size_ratio, 1.05);
	stats_observe(&st.processing[STATS_STAGE_EOM], 0.002);
	stats_client_done(&st, "2001:db8::1", "v6.example", 9, 1, NULL);
	stats_mta_add(&st.mtas, &(stats_mta_entry){
		.name = "[2001:db8::25]:25", .connections = 3,
		.greetings = {0, 1, 2}, .transactions = 5, .violations = 1});
	stats_add(&st.would_refuse[RULE_UTF8_UNDECLARED], 3);
	stats_distinct_add(&st.would_refuse_clients[RULE_UTF8_UNDECLARED], "192.0.2.1");
	stats_distinct_add(&st.would_refuse_clients[RULE_UTF8_UNDECLARED], "192.0.2.2");
	node = stats_to_json(&st);
	stats_init(&back);
	ck_assert_msg(stats_from_json(&back, node, &error), "%s",
		      error ? error->message : "");
	back.start_time = st.start_time;
	a = stats_prometheus_text(&st);
	b = stats_prometheus_text(&back);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "esmtp_milter_would_refuse_total{rule=\"utf8_undeclared\"} 3\n"));
	ck_assert_uint_eq(stats_distinct_estimate(&back.would_refuse_clients[RULE_UTF8_UNDECLARED]), 2);
	stats_clear(&back);
}
END_TEST

START_TEST(test_json_rejects_bad)
{
	static const char *const bad[] = {
		"[1]", "{}", "{\"version\": 2}",
		"{\"version\": 1, \"transactions\": \"x\"}",
		"{\"version\": 1, \"greetings\": []}",
		"{\"version\": 1, \"transactions\": -1}",
		"{\"version\": 1, \"size_ratio\": {\"buckets\": 3}}",
		"{\"version\": 1, \"mtas\": {}}",
		"{\"version\": 1, \"would_refuse_clients\": {\"param_syntax\": \"zz\"}}",
		"{\"version\": 1, \"mtas\": [{\"mta\": \"\"}]}",
		"{\"version\": 1, \"mtas\": [{\"mta\": \"a\", \"connections\": -1}]}",
		"{\"version\": 1, \"mtas\": [{\"mta\": \"a\", \"greetings\": []}]}",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonParser) p = json_parser_new();
		g_autoptr(GError) error = NULL;
		stats s;

		ck_assert(json_parser_load_from_data(p, bad[i], -1, NULL));
		stats_init(&s);
		ck_assert_msg(!stats_from_json(&s, json_parser_get_root(p), &error),
			      "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(error);
		stats_clear(&s);
	}
}
END_TEST

/* A state file from before the profiles kept every greeting: its last one. */
START_TEST(test_old_profile_greeting)
{
	static const char old[] =
		"{\"version\": 1, \"top_clients\": {\"by_transactions\": ["
		"{\"address\": \"192.0.2.9\", \"helo\": \"a\", \"count\": 3, \"error\": 0,"
		" \"greeting\": \"ehlo\"},"
		"{\"address\": \"192.0.2.10\", \"helo\": \"b\", \"count\": 2, \"error\": 0,"
		" \"greetings\": [\"helo\", \"ehlo\", \"bogus\", 7]}]}}";
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) error = NULL;
	stats_top_entry e[STATS_TOP_K];

	ck_assert(json_parser_load_from_data(p, old, -1, NULL));
	ck_assert_msg(stats_from_json(&st, json_parser_get_root(p), &error), "%s",
		      error ? error->message : "");
	ck_assert_uint_eq(stats_top_snapshot(&st.top_transactions, e), 2);
	ck_assert_uint_eq(e[0].profile.greetings, STATS_GREETING_BIT(GREETING_EHLO));
	ck_assert_uint_eq(e[1].profile.greetings, STATS_GREETING_BIT(GREETING_HELO)
			  | STATS_GREETING_BIT(GREETING_EHLO));
}
END_TEST

/* Each family's array in struct stats holds exactly its label slots. */
START_TEST(test_family_sizes)
{
	for (size_t k = 0; k < stats_family_count; k++) {
		const stats_family *f = &stats_families[k];
		size_t each = f->kind == STATS_HISTOGRAM ? sizeof(stats_histogram)
			      : f->kind == STATS_GAUGE ? sizeof(atomic_int_fast64_t)
			      : sizeof(atomic_uint_fast64_t);
		size_t slots = (size_t)stats_dim_count(f->dims[0])
			       * stats_dim_count(f->dims[1]);

		ck_assert_msg(f->size == slots * each,
			      "%s: %zu octets for %zu slots of %zu", f->json,
			      f->size, slots, each);
		ck_assert_ptr_eq(stats_family_named(f->json), f);
	}
}
END_TEST

/* The table per MTA end: names as the MTAs give them, bounded, "other". */
START_TEST(test_mta_table)
{
	stats_mta_entry e[STATS_MTA_MAX];
	session_conn c;
	net_addr a;
	unsigned n;
	g_autofree char *text = NULL;

	memset(&c, 0, sizeof c);
	ck_assert(net_addr_parse("192.0.2.10", &a));
	session_mta(&c, NULL, &a, 25);
	ck_assert_str_eq(c.mta, "192.0.2.10:25");
	ck_assert(net_addr_parse("2001:db8::25", &a));
	session_mta(&c, NULL, &a, 587);
	ck_assert_str_eq(c.mta, "[2001:db8::25]:587");
	session_mta(&c, NULL, &a, 0);
	ck_assert_str_eq(c.mta, "2001:db8::25");
	session_mta(&c, NULL, NULL, 25);
	ck_assert_str_eq(c.mta, "");

	/* STATS_MTA_MAX - 1 named rows, then everything else in "other" */
	for (unsigned i = 0; i < STATS_MTA_MAX + 8; i++) {
		stats_mta_entry one = {.connections = 1, .transactions = 2,
				       .greetings = {[GREETING_EHLO] = 1}};

		snprintf(one.name, sizeof one.name, "192.0.2.%u:25", i + 1);
		stats_mta_add(&st.mtas, &one);
	}
	stats_mta_add(&st.mtas, &(stats_mta_entry){.name = "192.0.2.1:25",
						   .connections = 1,
						   .greetings = {[GREETING_HELO] = 1}});
	n = stats_mta_snapshot(&st.mtas, e);
	ck_assert_uint_eq(n, STATS_MTA_MAX);
	ck_assert_str_eq(e[0].name, "192.0.2.10:25");	/* sorted by name */
	ck_assert_str_eq(e[n - 1].name, STATS_MTA_OTHER);
	ck_assert_uint_eq(e[n - 1].connections, 9);
	ck_assert_uint_eq(e[n - 1].transactions, 18);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(e[i].name, "192.0.2.1:25") == 0)
			ck_assert(e[i].connections == 2
				  && e[i].greetings[GREETING_HELO] == 1
				  && e[i].greetings[GREETING_EHLO] == 1);
	/* the counts add up */
	stats_mta_add(&st.mtas, &(stats_mta_entry){.name = "192.0.2.2:25",
						   .violations = 2});
	stats_mta_add(&st.mtas, &(stats_mta_entry){.name = "192.0.2.2:25",
						   .violations = 3});
	n = stats_mta_snapshot(&st.mtas, e);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(e[i].name, "192.0.2.2:25") == 0)
			ck_assert_uint_eq(e[i].violations, 5);
	text = stats_prometheus_text(&st);
	ck_assert_ptr_nonnull(strstr(text,
		"esmtp_milter_mta_greetings_total{mta=\"192.0.2.1:25\",greeting=\"helo\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"esmtp_milter_mta_connections_total{mta=\"other\"} 9\n"));
}
END_TEST

/* Two sources: each instance's violations include the exempt ones; the
   honesty rows end with the last bound. */
START_TEST(test_report_instances)
{
	static const char *const names[] = {"mx1", "mx2"};
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *want = NULL;
	JsonNode *docs[2];

	stats_add(&st.violations[RULE_SIZE_LIMIT][STATS_ACTION_EXEMPT], 4);
	stats_add(&st.violations[RULE_SIZE_LIMIT][ACTION_REJECT], 1);
	docs[0] = stats_to_json(&st);
	docs[1] = stats_to_json(&st);
	ck_assert(report_text_many(docs, names, 2, out, NULL));
	want = g_strdup_printf("  %-40s %8s %12s %8s %10s\n", "mx1", "0", "0", "0", "5");
	ck_assert_msg(strstr(out->str, want) != NULL, "%s", out->str);
	ck_assert_ptr_nonnull(strstr(out->str, "\n  over 10 "));
	ck_assert_ptr_nonnull(strstr(out->str, "\n  over 5 up to 10 "));
	json_node_unref(docs[0]);
	json_node_unref(docs[1]);
}
END_TEST

/* A session counted under its MTA end at its close, with its greeting. */
START_TEST(test_mta_session)
{
	esmtp_config *cfg = config_new_defaults();
	stats_mta_entry e[STATS_MTA_MAX];
	char from[] = "<a@example.org>";
	char *argv[] = {from, NULL};
	session_macros m = {.protocol = "SMTP"};
	session_result res;
	session_conn c;
	net_addr a, mta;

	ck_assert(net_addr_parse("192.0.2.5", &a));
	ck_assert(net_addr_parse("198.51.100.25", &mta));
	session_init(&c, cfg, &st, NULL, NULL);
	session_connect(&c, "client.example", &a, "192.0.2.5");
	session_mta(&c, NULL, &mta, 25);
	session_mail(&c, argv, &m, &res);
	session_close(&c);
	ck_assert_uint_eq(stats_mta_snapshot(&st.mtas, e), 1);
	ck_assert_str_eq(e[0].name, "198.51.100.25:25");
	ck_assert_uint_eq(e[0].connections, 1);
	ck_assert_uint_eq(e[0].transactions, 1);
	ck_assert_uint_eq(e[0].greetings[GREETING_HELO], 1);
	ck_assert_uint_eq(e[0].greetings[GREETING_EHLO], 0);
	config_unref(cfg);
}
END_TEST

/* The report's section per MTA: only where there are two or more. */
START_TEST(test_report_mtas)
{
	static const char *const name = "x";
	g_autoptr(GString) one = g_string_new(NULL), two = g_string_new(NULL);
	g_autoptr(JsonNode) a = NULL, b = NULL;

	stats_mta_add(&st.mtas, &(stats_mta_entry){.name = "192.0.2.10:25",
		.connections = 4, .greetings = {[GREETING_HELO] = 1,
						[GREETING_EHLO] = 3},
		.transactions = 4, .violations = 2});
	a = stats_to_json(&st);
	ck_assert(report_text_many(&a, &name, 1, one, NULL));
	ck_assert_ptr_null(strstr(one->str, "By MTA address"));
	stats_mta_add(&st.mtas, &(stats_mta_entry){.name = "192.0.2.11:25",
		.connections = 4, .greetings = {[GREETING_EHLO] = 4}});
	b = stats_to_json(&st);
	ck_assert(report_text_many(&b, &name, 1, two, NULL));
	ck_assert_ptr_nonnull(strstr(two->str, "By MTA address"));
	ck_assert_ptr_nonnull(strstr(two->str,
		"  192.0.2.10:25 HELO                              1   25.0%\n"));
	ck_assert_ptr_nonnull(strstr(two->str,
		"  192.0.2.10:25 violations                        2\n"));
	ck_assert_ptr_nonnull(strstr(two->str,
		"  192.0.2.11:25                                   4   50.0%\n"));
}
END_TEST

/* The page: a table row per MTA, each figure in its own column. */
START_TEST(test_page_mtas)
{
	static const char *const name = "x";
	g_autoptr(GString) page = g_string_new(NULL);
	g_autoptr(JsonNode) doc = NULL;
	const char *mtas;

	stats_mta_add(&st.mtas, &(stats_mta_entry){.name = "192.0.2.10:25",
		.connections = 4, .greetings = {[GREETING_HELO] = 1, [GREETING_EHLO] = 3},
		.transactions = 5, .violations = 2});
	stats_mta_add(&st.mtas, &(stats_mta_entry){.name = "192.0.2.11:25",
		.connections = 2, .greetings = {[GREETING_EHLO] = 2}, .transactions = 7});
	stats_add(&st.violations[RULE_SIZE_LIMIT][ACTION_REJECT], 3);
	doc = stats_to_json(&st);
	ck_assert(report_html_many(&doc, &name, 1, true, page, NULL));
	mtas = strstr(page->str, "<section id=\"mtas\">");
	ck_assert_ptr_nonnull(mtas);
	ck_assert_ptr_nonnull(strstr(mtas, "<tr><td>192.0.2.10:25</td><td class=\"count\" "
				     "data-count=\"4\">4</td><td class=\"count\" data-count=\"1\">1</td>"
				     "<td class=\"share\">25.0%</td><td class=\"count\" data-count=\"5\">5</td>"
				     "<td class=\"count\" data-count=\"2\">2</td></tr>"));
	ck_assert_ptr_null(strstr(mtas, "<svg"));
	/* whose figures and when: the version and the snapshot's time */
	ck_assert_ptr_nonnull(strstr(page->str, "esmtp-milter " ESMTP_MILTER_VERSION " on "));
	ck_assert_ptr_nonnull(strstr(page->str, ", snapshot of <time datetime=\""));
	/* no label carries the text report's column padding */
	ck_assert_ptr_nonnull(strstr(page->str, "data-label=\"size_limit reject\""));
	ck_assert_ptr_null(strstr(page->str, "  "));
}
END_TEST

START_TEST(test_prometheus_escaping)
{
	g_autofree char *text = NULL;

	stats_add(&st.verdicts[VERDICT_ACCEPT], 3);
	text = stats_prometheus_text(&st);
	ck_assert_ptr_nonnull(strstr(text, "esmtp_milter_verdicts_total{verdict=\"accept\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE esmtp_milter_processing_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(text, "esmtp_milter_processing_seconds_bucket{stage=\"rcpt\",le=\"+Inf\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "esmtp_milter_parameters_total{command=\"mail\",keyword=\"MT-PRIORITY\"} 0\n"));
	/* no sample for a slot no label names (the registry's unused rows) */
	ck_assert_ptr_null(strstr(text, "=\"\""));
}
END_TEST

START_TEST(test_label_escape)
{
	g_autoptr(GString) out = g_string_new(NULL);

	stats_prometheus_escape(out, "a\\b\"c\nd");
	ck_assert_str_eq(out->str, "a\\\\b\\\"c\\nd");
}
END_TEST

START_TEST(test_human_units)
{
	char b[32];

	report_human_count(999, b, sizeof b);
	ck_assert_str_eq(b, "999");
	report_human_count(12345, b, sizeof b);
	ck_assert_str_eq(b, "12.3k");
	report_human_count(999999, b, sizeof b);
	ck_assert_str_eq(b, "1.0M");
	report_human_count(4500000000ULL, b, sizeof b);
	ck_assert_str_eq(b, "4.5G");
	report_human_octets(512, b, sizeof b);
	ck_assert_str_eq(b, "512 B");
	report_human_octets(4718592, b, sizeof b);
	ck_assert_str_eq(b, "4.5 MiB");
	report_human_octets(1048575, b, sizeof b);
	ck_assert_str_eq(b, "1.0 MiB");
}
END_TEST

START_TEST(test_summary_line)
{
	summary_totals prev = {0}, now;
	char line[512];

	stats_add(&st.transactions, 10);
	stats_add(&st.verdicts[VERDICT_REJECT], 2);
	stats_add(&st.violations[RULE_SIZE_LIMIT][ACTION_REJECT], 2);
	stats_add(&st.violations[RULE_PARAM_PRIVATE][ACTION_IGNORE], 1);
	summary_read(&st, &now);
	prev.transactions = 4;
	summary_format(&now, &prev, 3600, line, sizeof line);
	ck_assert_str_eq(line, "summary interval=3600s connections=0 transactions=6 messages=0 rejected=2 tempfailed=0 violations=3 total_transactions=10 total_violations=3");
}
END_TEST

/* A client's ESMTP profile: summed over its sessions, kept through JSON. */
START_TEST(test_client_profile)
{
	esmtp_config *cfg = config_new_defaults();
	stats back;
	stats_top_entry e[STATS_TOP_K];
	char *text;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	net_addr a;

	cfg->overrun_bytes = 0;
	cfg->overrun_percent = 0;
	cfg->actions[RULE_PARAM_WITHOUT_EHLO] = ACTION_LOG;
	ck_assert(net_addr_parse("192.0.2.5", &a));
	for (int i = 0; i < 2; i++) {
		session_conn c;
		session_result res;
		char from[] = "<a@example.org>", size[] = "SIZE=10", body[] = "BODY=7BIT";
		char rcpt[] = "<b@example.net>", notify[] = "NOTIFY=NEVER";
		/* BODY in the first session only: the keywords are joined */
		char *margv[] = {from, size, i == 0 ? body : NULL, NULL};
		char *rargv[] = {rcpt, notify, NULL};
		session_macros m = {.protocol = i == 0 ? "ESMTP" : "SMTP"};

		session_init(&c, cfg, &st, NULL, NULL);
		session_connect(&c, "mx.example", &a, "192.0.2.5");
		session_helo(&c, "mx.example");
		/* two transactions in the first session: the counts add up */
		for (int t = 0; t < (i == 0 ? 2 : 1); t++) {
			session_mail(&c, margv, &m, &res);
			session_rcpt(&c, rargv, NULL, &res);
			session_eom_sized(&c, "Q", i == 0 ? 10 : 250, &res);
		}
		session_close(&c);
	}
	/* the violations table holds the sessions with violations */
	ck_assert_uint_eq(stats_top_snapshot(&st.top_violations, e), 1);
	ck_assert_uint_eq(e[0].profile.size_declared, 1);
	/* the transactions table all of them */
	ck_assert_uint_eq(stats_top_snapshot(&st.top_transactions, e), 1);
	ck_assert_str_eq(e[0].address, "192.0.2.5");
	/* EHLO in the first session, HELO in the second: both kept */
	ck_assert_uint_eq(e[0].profile.greetings, STATS_GREETING_BIT(GREETING_HELO)
			  | STATS_GREETING_BIT(GREETING_EHLO));
	ck_assert_uint_eq(e[0].profile.size_declared, 3);
	ck_assert_uint_eq(e[0].profile.size_overruns, 1);
	ck_assert_uint_eq(e[0].profile.size_overrun_max, 240);
	ck_assert_uint_eq(e[0].profile.violations[RULE_SIZE_OVERRUN], 1);
	ck_assert_uint_eq(e[0].profile.violations[RULE_PARAM_WITHOUT_EHLO], 2);
	ck_assert_uint_eq(e[0].profile.keywords,
			  (1u << registry_index(registry_lookup("SIZE", 4)))
			  | (1u << registry_index(registry_lookup("BODY", 4)))
			  | (1u << registry_index(registry_lookup("NOTIFY", 6))));
	/* through the state file's JSON and back */
	text = stats_json_text(&st, true);
	ck_assert(strstr(text, "\"keywords\"") != NULL);
	ck_assert(json_parser_load_from_data(parser, text, -1, &error));
	stats_init(&back);
	ck_assert(stats_from_json(&back, json_parser_get_root(parser), &error));
	ck_assert_uint_eq(stats_top_snapshot(&back.top_transactions, e), 1);
	ck_assert_uint_eq(e[0].profile.greetings, STATS_GREETING_BIT(GREETING_HELO)
			  | STATS_GREETING_BIT(GREETING_EHLO));
	ck_assert_uint_eq(e[0].profile.size_overrun_max, 240);
	ck_assert_uint_eq(e[0].profile.violations[RULE_PARAM_WITHOUT_EHLO], 2);
	ck_assert_uint_eq(__builtin_popcount(e[0].profile.keywords), 3);
	stats_clear(&back);
	g_free(text);
	config_unref(cfg);
}
END_TEST

Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("counting");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_histogram_buckets);
	tcase_add_test(tc, test_top_k_exact_when_small);
	tcase_add_test(tc, test_top_k_bounded);
	tcase_add_test(tc, test_json_round_trip);
	tcase_add_test(tc, test_json_rejects_bad);
	tcase_add_test(tc, test_prometheus_escaping);
	tcase_add_test(tc, test_mta_table);
	tcase_add_test(tc, test_family_sizes);
	tcase_add_test(tc, test_label_escape);
	tcase_add_test(tc, test_old_profile_greeting);
	tcase_add_test(tc, test_report_mtas);
	tcase_add_test(tc, test_page_mtas);
	tcase_add_test(tc, test_mta_session);
	tcase_add_test(tc, test_report_instances);
	tcase_add_test(tc, test_human_units);
	tcase_add_test(tc, test_summary_line);
	tcase_add_test(tc, test_client_profile);
	suite_add_tcase(s, tc);
	return s;
}
