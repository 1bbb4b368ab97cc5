/*
 * The rule table, one row per rule: every row complete, and every rule
 * fired by one case of its own through the session core, with every
 * action at reject. A rule added to the table without its row here
 * fails test_every_rule_has_a_case; this is the place for a new rule's
 * cases (README, THE SOURCE TREE: adding a rule).
 */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "session.h"
#include "unit.h"

/* ---- the table itself ----------------------------------------------- */

START_TEST(test_rule_table_complete)
{
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		const rule_def *d = &rule_table[r];
		rule_id back;

		ck_assert_msg(d->token != NULL, "rule %u has no row", r);
		ck_assert_msg(strspn(d->token, "abcdefghijklmnopqrstuvwxyz0123456789_")
			      == strlen(d->token), "%s: not a config key", d->token);
		ck_assert(rule_from_token(d->token, &back) && back == r);
		ck_assert_msg(d->stages != 0
			      && (d->stages & ~(unsigned)(STAGE_MAIL | STAGE_RCPT | STAGE_EOM)) == 0,
			      "%s: stages", d->token);
		ck_assert_int_lt(d->default_action, ACTION_COUNT);
		ck_assert_msg(d->reject.code != NULL && d->reject.code[0] == '5'
			      && d->reject.enhanced != NULL
			      && d->reject.enhanced[0] == '5', "%s: reject reply", d->token);
		ck_assert_msg(d->tempfail.code != NULL && d->tempfail.code[0] == '4'
			      && d->tempfail.enhanced != NULL
			      && d->tempfail.enhanced[0] == '4', "%s: tempfail reply", d->token);
		ck_assert_msg(d->reject_rcpt.code == NULL || d->reject_rcpt.code[0] == '5',
			      "%s: reject reply at RCPT", d->token);
		ck_assert_msg(d->description != NULL && d->text != NULL,
			      "%s: description and text", d->token);
		for (unsigned o = 0; o < r; o++)
			ck_assert_str_ne(rule_table[o].token, d->token);
	}
}
END_TEST

/* ---- each rule fired ------------------------------------------------ */

#define P(...) {__VA_ARGS__, NULL}

static const struct {
	rule_id rule;
	const char *protocol;		/* {r}: "ESMTP" or "SMTP" */
	const char *from;
	const char *mail[4];
	const char *rcpt[4];		/* after the recipient */
	size_t body_octets;		/* of 'a', after "Subject: x" */
	const char *body;		/* or this text */
	rule_stage stage;		/* where it fires */
	const char *code, *enhanced;
} cases[] = {
	{RULE_PARAM_SYNTAX, "ESMTP", "<a@example.net>", P("-X=1"), P(NULL), 0,
	 NULL, STAGE_MAIL, "501", "5.5.4"},
	{RULE_PARAM_UNREGISTERED, "ESMTP", "<a@example.net>", P("FOO=1"), P(NULL),
	 0, NULL, STAGE_MAIL, "555", "5.5.4"},
	{RULE_PARAM_PRIVATE, "ESMTP", "<a@example.net>", P("XFOO=1"), P(NULL), 0,
	 NULL, STAGE_MAIL, "555", "5.5.4"},
	{RULE_PARAM_DUPLICATE, "ESMTP", "<a@example.net>",
	 P("RET=FULL", "ret=HDRS"), P(NULL), 0, NULL, STAGE_MAIL, "501", "5.5.4"},
	{RULE_PARAM_MISPLACED, "ESMTP", "<a@example.net>", P(NULL), P("SIZE=10"),
	 0, NULL, STAGE_RCPT, "555", "5.5.4"},
	{RULE_PARAM_VALUE, "ESMTP", "<a@example.net>", P("BODY=FOO"), P(NULL), 0,
	 NULL, STAGE_MAIL, "501", "5.5.4"},
	{RULE_PARAM_WITHOUT_EHLO, "SMTP", "<a@example.net>", P("SIZE=10"),
	 P(NULL), 0, NULL, STAGE_MAIL, "555", "5.5.4"},
	{RULE_SIZE_SYNTAX, "ESMTP", "<a@example.net>", P("SIZE=abc"), P(NULL), 0,
	 NULL, STAGE_MAIL, "501", "5.5.4"},
	{RULE_SIZE_LIMIT, "ESMTP", "<a@example.net>", P("SIZE=2000"), P(NULL), 0,
	 NULL, STAGE_MAIL, "552", "5.3.4"},
	/* 10 declared: 10 + 1 + 100 octets tolerated, 314 sent */
	{RULE_SIZE_OVERRUN, "ESMTP", "<a@example.net>", P("SIZE=10"), P(NULL),
	 300, NULL, STAGE_EOM, "552", "5.3.4"},
	{RULE_SIZE_ACTUAL_LIMIT, "ESMTP", "<a@example.net>", P(NULL), P(NULL),
	 1200, NULL, STAGE_EOM, "552", "5.3.4"},
	{RULE_BODY_8BIT_UNDECLARED, "ESMTP", "<a@example.net>", P(NULL), P(NULL),
	 0, "Gr\xc3\xbc\xc3\x9f" "e\r\n", STAGE_EOM, "554", "5.6.0"},
	{RULE_UTF8_UNDECLARED, "ESMTP", "<j\xc3\xb6rg@example.net>", P(NULL),
	 P(NULL), 0, NULL, STAGE_MAIL, "550", "5.6.7"},
	/* the MTA was asked for {tls_version} and sent none: plaintext */
	{RULE_REQUIRETLS_WITHOUT_TLS, "ESMTP", "<a@example.net>",
	 P("REQUIRETLS"), P(NULL), 0, NULL, STAGE_MAIL, "530", "5.7.10"},
};

START_TEST(test_rule_fires)
{
	esmtp_config *cfg = config_new_defaults();
	session_macros m = {.protocol = cases[_i].protocol, .queue_id = "QID1"};
	char *mail_argv[6] = {(char *)cases[_i].from}, *rcpt_argv[6] = {"<b@example.org>"};
	session_result res;
	session_conn conn;
	stats st;
	net_addr a;
	char *body = g_malloc0(cases[_i].body_octets + 1);
	rule_stage fired = 0;

	g_array_set_size(cfg->trusted_networks, 0);
	cfg->size_max = 1000;
	cfg->overrun_percent = 10;
	cfg->overrun_bytes = 100;
	for (unsigned r = 0; r < RULE_COUNT; r++)
		cfg->actions[r] = ACTION_REJECT;
	for (size_t k = 0; cases[_i].mail[k] != NULL; k++)
		mail_argv[k + 1] = (char *)cases[_i].mail[k];
	for (size_t k = 0; cases[_i].rcpt[k] != NULL; k++)
		rcpt_argv[k + 1] = (char *)cases[_i].rcpt[k];
	memset(body, 'a', cases[_i].body_octets);
	stats_init(&st);
	session_init(&conn, cfg, &st, NULL, NULL);
	ck_assert(net_addr_parse("192.0.2.7", &a));
	session_connect(&conn, "mx.example.net", &a, "192.0.2.7");
	session_helo(&conn, "mx.example.net");
	session_tls(&conn, NULL, NULL, true);

	session_mail(&conn, mail_argv, &m, &res);
	if (res.stop) {
		fired = STAGE_MAIL;
	} else {
		session_rcpt(&conn, rcpt_argv, "QID1", &res);
		if (res.stop) {
			fired = STAGE_RCPT;
		} else {
			const char *text = cases[_i].body != NULL ? cases[_i].body : body;

			session_header(&conn, "Subject", "x");
			session_body(&conn, (const unsigned char *)text, strlen(text));
			session_eom(&conn, "QID1", &res);
			if (res.stop)
				fired = STAGE_EOM;
		}
	}
	ck_assert_msg(fired == cases[_i].stage, "%s: fired at stage %d, not %d (%s)",
		      rule_token(cases[_i].rule), fired, cases[_i].stage,
		      res.stop ? res.text : "no reply");
	ck_assert_str_eq(rule_token(res.rule), rule_token(cases[_i].rule));
	ck_assert_str_eq(res.reply.code, cases[_i].code);
	ck_assert_str_eq(res.reply.enhanced, cases[_i].enhanced);
	ck_assert_uint_eq(stats_get(&st.violations[cases[_i].rule][ACTION_REJECT]), 1);
	session_close(&conn);
	stats_clear(&st);
	config_unref(cfg);
	g_free(body);
}
END_TEST

/*
 * What reject would have refused: a rule at log counts each transaction
 * once (param_without_ehlo fires at MAIL and at each RCPT here), a rule at
 * ignore or at reject does not, an exempt session does not, and under
 * dry_run every rule but the ignored ones counts.
 */
static void
would_refuse_runs(esmtp_config *cfg, stats *st, const char *ip, int transactions)
{
	char from[] = "<a@example.net>", size[] = "SIZE=10", xp[] = "XFOO=1";
	char r1[] = "<b@example.org>", r2[] = "<c@example.org>", notify[] = "NOTIFY=NEVER";
	char *margv[] = {from, size, xp, NULL};
	char *r1v[] = {r1, notify, NULL}, *r2v[] = {r2, notify, NULL};
	session_macros m = {.protocol = "SMTP", .queue_id = "Q"};
	session_result res;
	session_conn c;
	net_addr a;

	ck_assert(net_addr_parse(ip, &a));
	session_init(&c, cfg, st, NULL, NULL);
	session_connect(&c, "client.example", &a, ip);
	for (int t = 0; t < transactions; t++) {
		session_mail(&c, margv, &m, &res);
		session_rcpt(&c, r1v, "Q", &res);
		session_rcpt(&c, r2v, "Q", &res);
		session_abort(&c);
	}
	session_close(&c);
}

static void
would_refuse_run(esmtp_config *cfg, stats *st, const char *ip)
{
	would_refuse_runs(cfg, st, ip, 2);
}

START_TEST(test_would_refuse)
{
	esmtp_config *cfg = config_new_defaults();
	stats st;
	net_addr net;

	stats_init(&st);
	g_array_set_size(cfg->trusted_networks, 0);
	cfg->actions[RULE_PARAM_WITHOUT_EHLO] = ACTION_LOG;
	cfg->actions[RULE_PARAM_PRIVATE] = ACTION_IGNORE;
	would_refuse_run(cfg, &st, "192.0.2.7");
	would_refuse_run(cfg, &st, "192.0.2.8");
	ck_assert_uint_eq(stats_get(&st.would_refuse[RULE_PARAM_WITHOUT_EHLO]), 4);
	ck_assert_uint_eq(stats_get(&st.would_refuse[RULE_PARAM_PRIVATE]), 0);
	ck_assert_uint_eq(stats_distinct_estimate(&st.would_refuse_clients[RULE_PARAM_WITHOUT_EHLO]), 2);
	/* a client refused once is a client too */
	would_refuse_runs(cfg, &st, "192.0.2.20", 1);
	ck_assert_uint_eq(stats_get(&st.would_refuse[RULE_PARAM_WITHOUT_EHLO]), 5);
	ck_assert_uint_eq(stats_distinct_estimate(&st.would_refuse_clients[RULE_PARAM_WITHOUT_EHLO]), 3);
	/* exempt: not counted */
	ck_assert(net_addr_parse_cidr("198.51.100.0/24", &net));
	g_array_append_val(cfg->trusted_networks, net);
	would_refuse_run(cfg, &st, "198.51.100.1");
	ck_assert_uint_eq(stats_get(&st.would_refuse[RULE_PARAM_WITHOUT_EHLO]), 5);
	/* dry_run: a rule at reject counts too, one at ignore does not */
	cfg->dry_run = true;
	cfg->actions[RULE_PARAM_WITHOUT_EHLO] = ACTION_REJECT;
	would_refuse_run(cfg, &st, "192.0.2.9");
	ck_assert_uint_eq(stats_get(&st.would_refuse[RULE_PARAM_WITHOUT_EHLO]), 7);
	ck_assert_uint_eq(stats_get(&st.would_refuse[RULE_PARAM_PRIVATE]), 0);
	stats_clear(&st);
	config_unref(cfg);
}
END_TEST

/* The distinct-clients sketch: exact for a few, within 15% for many, and
   a merge of two halves is the whole. */
START_TEST(test_distinct_estimate)
{
	stats a, b;
	uint8_t regs[STATS_DISTINCT_REGISTERS];
	uint64_t est;

	stats_init(&a);
	stats_init(&b);
	for (int rep = 0; rep < 3; rep++)
		for (int i = 0; i < 5; i++) {
			char ip[32];

			snprintf(ip, sizeof ip, "192.0.2.%d", i);
			stats_distinct_add(&a.would_refuse_clients[0], ip);
		}
	ck_assert_uint_eq(stats_distinct_estimate(&a.would_refuse_clients[0]), 5);
	for (int i = 0; i < 20000; i++) {
		char ip[32];

		snprintf(ip, sizeof ip, "10.%d.%d.%d", i / 65536, i / 256 % 256, i % 256);
		stats_distinct_add(i % 2 ? &a.would_refuse_clients[1]
				   : &b.would_refuse_clients[1], ip);
	}
	for (unsigned i = 0; i < STATS_DISTINCT_REGISTERS; i++)
		regs[i] = atomic_load(&b.would_refuse_clients[1].reg[i]);
	stats_distinct_merge(&a.would_refuse_clients[1], regs);
	est = stats_distinct_estimate(&a.would_refuse_clients[1]);
	ck_assert_msg(est > 17000 && est < 23000, "estimated %" G_GUINT64_FORMAT, est);
	stats_clear(&a);
	stats_clear(&b);
}
END_TEST

START_TEST(test_every_rule_has_a_case)
{
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		bool found = false;

		for (size_t k = 0; k < G_N_ELEMENTS(cases); k++)
			found = found || cases[k].rule == r;
		ck_assert_msg(found, "%s has no case in tests/unit/test_rules.c",
			      rule_token(r));
	}
}
END_TEST

Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_rule_table_complete);
	tcase_add_loop_test(tc, test_rule_fires, 0, G_N_ELEMENTS(cases));
	tcase_add_test(tc, test_every_rule_has_a_case);
	tcase_add_test(tc, test_would_refuse);
	tcase_add_test(tc, test_distinct_estimate);
	suite_add_tcase(s, tc);
	return s;
}
