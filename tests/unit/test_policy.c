/*
 * The Postfix policy front end: the request reader (one row per edge
 * case), the policy service's replies and log lines in policy-only mode,
 * and the link that hands a milter session the greeting.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <glib.h>

#include "policy.h"
#include "session_link.h"
#include "unit.h"

/* ---- the request reader ---------------------------------------------------- */

static const char full[] =
	"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
	"client_address=192.0.2.1\nclient_port=4711\nclient_name=mx.example\n"
	"helo_name=mx.example\nsender=a@example.org\nrecipient=b@example.net\n"
	"recipient_count=0\ninstance=1a.2b.3c.0\nsize=12345\nqueue_id=\n"
	"ccert_subject=\nstress=\nserver_address=192.0.2.25\nserver_port=25\n\n";

START_TEST(parse_full)
{
	char *buf = g_strdup(full);
	size_t scan = 0, end = policy_request_end(buf, strlen(buf), &scan);
	policy_request r;

	ck_assert_uint_eq(end, strlen(full));
	ck_assert_int_eq(policy_request_parse(buf, end, &r), POLICY_OK);
	ck_assert_int_eq(r.state, POLICY_STATE_RCPT);
	ck_assert_str_eq(r.protocol_name, "ESMTP");
	ck_assert_str_eq(r.client_address, "192.0.2.1");
	ck_assert_uint_eq(r.port_value, 4711);
	ck_assert_uint_eq(r.size_value, 12345);
	ck_assert_str_eq(r.sender, "a@example.org");
	ck_assert_str_eq(r.instance, "1a.2b.3c.0");
	ck_assert_str_eq(r.queue_id, "");
	ck_assert_str_eq(r.sasl_username, "");	/* absent: "" */
	ck_assert_uint_eq(r.attributes, 17);
	g_free(buf);
}
END_TEST

/* A request in pieces: found once whole, each octet looked at once. */
START_TEST(end_in_pieces)
{
	const char *text = "request=smtpd_access_policy\r\nclient_address=x\r\n\r\nnext=1\n";
	size_t scan = 0, len;

	for (len = 0; len < strlen(text); len++) {
		size_t end = policy_request_end(text, len, &scan);

		if (end != 0) {
			ck_assert_uint_eq(end, strlen("request=smtpd_access_policy\r\nclient_address=x\r\n\r\n"));
			return;
		}
		ck_assert_uint_le(scan, len);
	}
	ck_abort_msg("the empty line was not found");
}
END_TEST

static const struct {
	const char *text;
	policy_status want;
} bad_requests[] = {
	{"protocol_state=RCPT\nclient_address=1.2.3.4\n\n", POLICY_NO_REQUEST},
	{"request=junk\nclient_address=1.2.3.4\n\n", POLICY_UNKNOWN_REQUEST},
	{"request=smtpd_access_policy\n\n", POLICY_NO_CLIENT},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nno equals sign\n\n", POLICY_BAD_LINE},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\n=value\n\n", POLICY_BAD_LINE},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nsize=12x\n\n", POLICY_BAD_NUMBER},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nsize=-1\n\n", POLICY_BAD_NUMBER},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nsize=99999999999999999999\n\n", POLICY_BAD_NUMBER},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nclient_port=65536\n\n", POLICY_BAD_NUMBER},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nserver_port=x25\n\n", POLICY_BAD_NUMBER},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nrequest=smtpd_access_policy\n\n", POLICY_DUPLICATE},
	{"request=smtpd_access_policy\nclient_address=1.2.3.4\nsize=1", POLICY_BAD_LINE},
	{"\n", POLICY_NO_REQUEST},
};

START_TEST(parse_bad)
{
	char *buf = g_strdup(bad_requests[_i].text);
	policy_request r;

	ck_assert_msg(policy_request_parse(buf, strlen(buf), &r) == bad_requests[_i].want,
		      "%s", bad_requests[_i].text);
	g_free(buf);
}
END_TEST

/* POLICY_ATTRIBUTES_MAX attributes in all, plus extra */
static GString *
many_attributes(int extra)
{
	GString *s = g_string_new("request=smtpd_access_policy\nclient_address=1.2.3.4\n");

	for (int i = 0; i < POLICY_ATTRIBUTES_MAX - 2 + extra; i++)
		g_string_append_printf(s, "x%d=y\n", i);
	g_string_append_c(s, '\n');
	return s;
}

START_TEST(parse_limits)
{
	GString *s = many_attributes(0);
	char nul[] = "request=smtpd_access_policy\nclient_address=1\0.2\n\n";
	policy_request r;

	ck_assert_int_eq(policy_request_parse(s->str, s->len, &r), POLICY_OK);
	g_string_free(s, TRUE);
	s = many_attributes(1);
	ck_assert_int_eq(policy_request_parse(s->str, s->len, &r), POLICY_TOO_MANY);
	ck_assert_int_eq(policy_request_parse(nul, sizeof nul - 1, &r), POLICY_NUL);
	/* 8-bit values are values */
	g_string_assign(s, "request=smtpd_access_policy\nclient_address=1.2.3.4\nsender=j\xc3\xb6rg@example.org\n\n");
	ck_assert_int_eq(policy_request_parse(s->str, s->len, &r), POLICY_OK);
	ck_assert_str_eq(r.sender, "j\xc3\xb6rg@example.org");
	ck_assert_int_eq(r.state, POLICY_STATE_OTHER);
	g_string_free(s, TRUE);
}
END_TEST

/* ---- the engine, policy-only ------------------------------------------------- */

typedef struct {
	esmtp_config *cfg;
	stats st;
	GPtrArray *lines;
	policy_service *pe;
	session_links *links;
	char reply[POLICY_REPLY_MAX];
} pfixture;

static pfixture px;

static void
capture(void *data, int priority, const char *qid, const char *line)
{
	(void)data;
	(void)priority;
	g_ptr_array_add(px.lines, g_strdup_printf("%s: %s", qid[0] ? qid : "NOQUEUE", line));
}

static void
psetup(void)
{
	px.cfg = config_new_defaults();
	g_array_set_size(px.cfg->trusted_networks, 0);
	px.cfg->size_max = 100000;
	px.cfg->overrun_percent = 10;
	px.cfg->overrun_bytes = 100;
	px.cfg->actions[RULE_PARAM_WITHOUT_EHLO] = ACTION_REJECT;
	stats_init(&px.st);
	px.lines = g_ptr_array_new_with_free_func(g_free);
	px.links = session_links_new();
	px.pe = policy_service_new(&px.st, px.links, capture, NULL);
}

static void
pteardown(void)
{
	policy_service_free(px.pe);
	session_links_free(px.links);
	config_unref(px.cfg);
	g_ptr_array_unref(px.lines);
	stats_clear(&px.st);
}

/* A request from "name=value" pairs over the defaults; the reply. */
static const char *
ask(gint64 now, ...)
{
	GHashTable *attrs = g_hash_table_new(g_str_hash, g_str_equal);
	GString *text = g_string_new(NULL);
	GHashTableIter it;
	gpointer k, v;
	policy_request r;
	va_list ap;
	const char *name;

	g_hash_table_insert(attrs, "request", "smtpd_access_policy");
	g_hash_table_insert(attrs, "protocol_state", "RCPT");
	g_hash_table_insert(attrs, "protocol_name", "ESMTP");
	g_hash_table_insert(attrs, "client_address", "192.0.2.1");
	g_hash_table_insert(attrs, "client_port", "4711");
	g_hash_table_insert(attrs, "client_name", "mx.example");
	g_hash_table_insert(attrs, "helo_name", "mx.example");
	g_hash_table_insert(attrs, "sender", "a@example.org");
	g_hash_table_insert(attrs, "recipient", "b@example.net");
	g_hash_table_insert(attrs, "instance", "i1");
	va_start(ap, now);
	while ((name = va_arg(ap, const char *)) != NULL)
		g_hash_table_insert(attrs, (char *)name, va_arg(ap, char *));
	va_end(ap);
	g_hash_table_iter_init(&it, attrs);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_string_append_printf(text, "%s=%s\n", (char *)k, (char *)v);
	g_string_append_c(text, '\n');
	ck_assert_int_eq(policy_request_parse(text->str, text->len, &r), POLICY_OK);
	policy_service_answer(px.pe, px.cfg, &r, now, px.reply, sizeof px.reply);
	g_string_free(text, TRUE);
	g_hash_table_destroy(attrs);
	return px.reply;
}

static const char *
last_line(void)
{
	return px.lines->len > 0 ? g_ptr_array_index(px.lines, px.lines->len - 1) : "";
}

START_TEST(engine_honest)
{
	ck_assert_str_eq(ask(1, "size", "500", NULL), "action=DUNNO\n\n");
	ck_assert_str_eq(ask(1, "protocol_state", "END-OF-MESSAGE", "size", "520",
			     "queue_id", "QID", "recipient_count", "1", NULL),
			 "action=DUNNO\n\n");
	ck_assert_str_eq(last_line(), "QID: client=mx.example[192.0.2.1] greeting=ehlo helo=mx.example "
			 "from=<a@example.org> params=SIZE rcpts=1 size_declared=500 size_actual=520 "
			 "tls=none auth=none violations=none via=policy verdict=accept");
	ck_assert_uint_eq(stats_get(&px.st.greetings[GREETING_EHLO]), 1);
	ck_assert_uint_eq(stats_get(&px.st.connections), 1);
	ck_assert_int_eq(atomic_load(&px.st.active_connections), 0);
	ck_assert_uint_eq(stats_get(&px.st.policy_requests[POLICY_STATE_RCPT]), 1);
	ck_assert_uint_eq(stats_get(&px.st.policy_requests[POLICY_STATE_EOM]), 1);
	ck_assert_uint_eq(stats_get(&px.st.params[CMD_MAIL][registry_index(registry_with_effect(EFFECT_SIZE))]), 1);
	/* a second transaction of the same session: the session counted once */
	ask(2, "instance", "i2", NULL);
	ck_assert_uint_eq(stats_get(&px.st.connections), 1);
	ck_assert_uint_eq(stats_get(&px.st.transactions), 2);
	ck_assert_uint_eq(policy_service_sessions(px.pe), 1);
}
END_TEST

START_TEST(engine_size_after_helo)
{
	ck_assert_str_eq(ask(1, "protocol_name", "SMTP", "size", "100", NULL),
			 "action=555 5.5.4 ESMTP parameters after HELO instead of EHLO (param_without_ehlo)\n\n");
	/* every later RCPT of the transaction gets the same, counted once */
	ck_assert_str_eq(ask(1, "protocol_name", "SMTP", "size", "100", "recipient", "c@example.net", NULL),
			 "action=555 5.5.4 ESMTP parameters after HELO instead of EHLO (param_without_ehlo)\n\n");
	ck_assert_uint_eq(stats_get(&px.st.violations[RULE_PARAM_WITHOUT_EHLO][ACTION_REJECT]), 1);
	ck_assert_uint_eq(stats_get(&px.st.greetings[GREETING_HELO]), 1);
	/* without SIZE, nothing to judge */
	ck_assert_str_eq(ask(1, "protocol_name", "SMTP", "client_port", "4712", NULL), "action=DUNNO\n\n");
}
END_TEST

START_TEST(engine_size_rules)
{
	domain_limit dl = {g_strdup("lists.example.net"), 500};

	g_array_append_val(px.cfg->to_limits, dl);
	ck_assert_str_eq(ask(1, "size", "1000", "recipient", "x@lists.example.net", NULL),
			 "action=552 5.3.4 declared SIZE 1000 exceeds the limit of 500 for this recipient (size_limit)\n\n");
	ck_assert_str_eq(ask(1, "size", "1000", NULL), "action=DUNNO\n\n");
	/* the client's real size, at END-OF-MESSAGE: the declaration was a lie */
	ck_assert_str_eq(ask(1, "protocol_state", "END-OF-MESSAGE", "size", "5000",
			     "recipient_count", "1", NULL),
			 "action=552 5.3.4 message size 5000 exceeds the declared SIZE 1000 (size_overrun)\n\n");
	ck_assert(strstr(last_line(), "rcpts=1 rcpts_rejected=1 size_declared=1000 size_actual=5000 "
			 "tls=none auth=none violations=size_limit:reject,size_overrun:reject via=policy verdict=reject") != NULL);
	/* tempfail is a 4xx action */
	px.cfg->actions[RULE_SIZE_ACTUAL_LIMIT] = ACTION_TEMPFAIL;
	ck_assert_str_eq(ask(1, "instance", "i2", "protocol_state", "END-OF-MESSAGE", "size", "200000",
			     "recipient_count", "1", NULL),
			 "action=452 4.3.1 message size 200000 exceeds the limit of 100000 (size_actual_limit)\n\n");
	ck_assert(strstr(last_line(), "size_declared=none size_actual=200000") != NULL);
}
END_TEST

START_TEST(engine_repeat_and_abort)
{
	ask(1, "size", "10", NULL);
	/* the same RCPT again (two restriction lists): counted once */
	ask(1, "size", "10", NULL);
	ck_assert_uint_eq(stats_get(&px.st.transactions), 1);
	/* the same address once more after Postfix accepted it: a new RCPT */
	ask(1, "size", "10", "recipient_count", "1", NULL);
	/* a new instance: the first transaction never reached its end */
	ask(1, "instance", "i2", NULL);
	ck_assert(g_str_has_suffix(last_line(), "rcpts=2 size_declared=10 size_actual=unknown "
				   "tls=none auth=none violations=none via=policy verdict=abort"));
	ck_assert_uint_eq(stats_get(&px.st.verdicts[VERDICT_ABORT]), 1);
}
END_TEST

START_TEST(engine_tag_and_exempt)
{
	px.cfg->actions[RULE_SIZE_LIMIT] = ACTION_TAG;
	ck_assert_str_eq(ask(1, "size", "200000", NULL),
			 "action=PREPEND X-ESMTP-Policy: size_limit\n\n");
	/* named once per transaction */
	ck_assert_str_eq(ask(1, "size", "200000", "recipient", "c@example.net", "recipient_count", "1", NULL),
			 "action=DUNNO\n\n");
	/* an authenticated session is exempt: logged, not refused */
	px.cfg->actions[RULE_SIZE_LIMIT] = ACTION_REJECT;
	ck_assert_str_eq(ask(1, "client_port", "5000", "size", "200000", "sasl_method", "PLAIN",
			     "sasl_username", "alice", NULL), "action=DUNNO\n\n");
	ck_assert_uint_eq(stats_get(&px.st.violations[RULE_SIZE_LIMIT][STATS_ACTION_EXEMPT]), 1);
}
END_TEST

/* Postfix's encryption_protocol and sasl_method: TLS and AUTH as the milter sees them. */
START_TEST(engine_tls_and_auth)
{
	ask(1, "encryption_protocol", "TLSv1.3", "encryption_keysize", "256",
	    "sasl_method", "PLAIN", "sasl_username", "alice", NULL);
	ask(1, "protocol_state", "END-OF-MESSAGE", "size", "10", "recipient_count", "1",
	    "encryption_protocol", "TLSv1.3", "encryption_keysize", "256",
	    "sasl_method", "PLAIN", "sasl_username", "alice", NULL);
	ck_assert(strstr(last_line(), " tls=TLSv1.3 auth=PLAIN ") != NULL);
	ck_assert_uint_eq(stats_get(&px.st.tls_transactions[TLS_V1_3]), 1);
	ck_assert_uint_eq(stats_get(&px.st.cipher_transactions[CIPHER_256]), 1);
	ck_assert_uint_eq(stats_get(&px.st.auth_transactions[AUTH_PLAIN]), 1);
	/* an empty encryption_protocol is plaintext: Postfix always sends it */
	ask(1, "client_port", "9", NULL);
	ask(1, "client_port", "9", "protocol_state", "END-OF-MESSAGE", "size", "10",
	    "recipient_count", "1", NULL);
	ck_assert(strstr(last_line(), " tls=none auth=none ") != NULL);
}
END_TEST

START_TEST(engine_utf8_unseen)
{
	/* the policy service cannot tell whether SMTPUTF8 was declared */
	px.cfg->actions[RULE_UTF8_UNDECLARED] = ACTION_REJECT;
	ck_assert_str_eq(ask(1, "sender", "j\xc3\xb6rg@example.org", NULL), "action=DUNNO\n\n");
	ck_assert_uint_eq(stats_get(&px.st.violations[RULE_UTF8_UNDECLARED][ACTION_REJECT]), 0);
}
END_TEST

START_TEST(engine_expire_and_refuse)
{
	ask(1, NULL);
	ask(1, "client_port", "2", NULL);
	ck_assert_uint_eq(policy_service_sessions(px.pe), 2);
	ask(500, "client_port", "2", NULL);
	policy_service_expire(px.pe, 1 + POLICY_SESSION_IDLE + 1);
	ck_assert_uint_eq(policy_service_sessions(px.pe), 1);
	/* the expired session's open transaction is logged */
	ck_assert(g_str_has_suffix(last_line(), "verdict=abort"));
	policy_service_refuse(px.pe, POLICY_TOO_LONG, px.reply, sizeof px.reply);
	ck_assert_str_eq(px.reply, "action=DEFER bad policy request: no empty line within 65536 octets\n\n");
	ck_assert_uint_eq(stats_get(&px.st.policy_requests[STATS_POLICY_BAD]), 1);
}
END_TEST

START_TEST(engine_bounded)
{
	char port[16];

	for (int i = 0; i < POLICY_SESSIONS_MAX + 10; i++) {
		snprintf(port, sizeof port, "%d", i % 65536);
		ask(1, "client_port", port, "client_address", i < 65536 ? "192.0.2.1" : "192.0.2.2", NULL);
	}
	ck_assert_uint_eq(policy_service_sessions(px.pe), POLICY_SESSIONS_MAX);
}
END_TEST

/* ---- both attached: the link -------------------------------------------------- */

START_TEST(link_tells_the_milter)
{
	net_addr a;
	session_conn c;
	session_result res;
	session_link *l;
	char from[] = "<a@example.org>", body[] = "BODY=7BIT", rcpt[] = "<b@example.net>";
	char *mail_argv[] = {from, body, NULL}, *rcpt_argv[] = {rcpt, NULL};

	ck_assert(net_addr_parse("192.0.2.1", &a));
	l = session_link_add(px.links, &(session_endpoints){.client = a, .client_port = 4711});
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(session_link_count(px.links), 1);
	/* the milter session: MAIL with a parameter, greeting unknown */
	session_init(&c, px.cfg, &px.st, capture, NULL);
	session_connect(&c, "mx.example", &a, "192.0.2.1");
	session_helo(&c, "mx.example");
	session_mail(&c, mail_argv, NULL, &res);
	ck_assert(!res.stop);
	/* Postfix asks the policy service at RCPT, before the milter */
	ck_assert_str_eq(ask(1, "protocol_name", "SMTP", NULL), "action=DUNNO\n\n");
	ck_assert_uint_eq(policy_service_sessions(px.pe), 0);
	ck_assert_int_eq(session_link_greeting(l), GREETING_HELO);
	session_learn_greeting(&c, session_link_greeting(l));
	session_rcpt(&c, rcpt_argv, NULL, &res);
	ck_assert(res.stop);
	ck_assert_str_eq(res.reply.code, "555");
	/* a RCPT with parameters of its own: the rule counted once for it */
	{
		char notify[] = "NOTIFY=NEVER", *argv2[] = {rcpt, notify, NULL};

		session_rcpt(&c, argv2, NULL, &res);
		ck_assert(res.stop);
		ck_assert_uint_eq(stats_get(&px.st.violations[RULE_PARAM_WITHOUT_EHLO][ACTION_REJECT]), 2);
	}
	/* a new greeting (EHLO after STARTTLS, say): HELO is forgotten and
	   the session counts the greeting it ends with */
	session_helo(&c, "mx.example");
	session_link_forget(l);
	ck_assert_int_eq(session_link_greeting(l), GREETING_UNKNOWN);
	ck_assert_str_eq(ask(1, "protocol_name", "ESMTP", "instance", "i2", NULL), "action=DUNNO\n\n");
	session_learn_greeting(&c, session_link_greeting(l));
	session_link_remove(l);
	session_close(&c);
	ck_assert_uint_eq(session_link_count(px.links), 0);
	/* counted once, by the milter session */
	ck_assert_uint_eq(stats_get(&px.st.connections), 1);
	ck_assert_uint_eq(stats_get(&px.st.greetings[GREETING_EHLO]), 1);
	ck_assert_uint_eq(stats_get(&px.st.greetings[GREETING_HELO]), 0);
	/* gone: the next request is policy-only */
	ask(1, NULL);
	ck_assert_uint_eq(policy_service_sessions(px.pe), 1);
}
END_TEST

START_TEST(link_same_port_twice)
{
	net_addr a;
	session_link *l1, *l2;
	session_endpoints e = {.client_port = 25}, e26 = {.client_port = 26};

	ck_assert(net_addr_parse("2001:db8::1", &a));
	e.client = e26.client = a;
	l1 = session_link_add(px.links, &e);
	l2 = session_link_add(px.links, &e);
	ck_assert(session_link_tell(px.links, &e, GREETING_EHLO));
	ck_assert_int_eq(session_link_greeting(l1), GREETING_EHLO);
	ck_assert_int_eq(session_link_greeting(l2), GREETING_EHLO);
	/* a request without protocol_name tells nothing */
	ck_assert(session_link_tell(px.links, &e, GREETING_UNKNOWN));
	ck_assert_int_eq(session_link_greeting(l1), GREETING_EHLO);
	session_link_remove(l1);
	ck_assert(session_link_tell(px.links, &e, GREETING_HELO));
	ck_assert_int_eq(session_link_greeting(l2), GREETING_HELO);
	session_link_remove(l2);
	ck_assert(!session_link_tell(px.links, &e, GREETING_HELO));
	ck_assert(!session_link_tell(px.links, &e26, GREETING_HELO));
	ck_assert_ptr_null(session_link_add(NULL, &e));
	/* the same client address from two source ports: two sessions */
	l1 = session_link_add(px.links, &e);
	l2 = session_link_add(px.links, &e26);
	ck_assert(session_link_tell(px.links, &e, GREETING_HELO));
	ck_assert(session_link_tell(px.links, &e26, GREETING_EHLO));
	ck_assert_int_eq(session_link_greeting(l1), GREETING_HELO);
	ck_assert_int_eq(session_link_greeting(l2), GREETING_EHLO);
	session_link_remove(l1);
	session_link_remove(l2);
}
END_TEST

/*
 * One client address and source port talking to two MTAs at once (two
 * Postfix instances sharing the daemon): only the session of the MTA
 * named in the request is told; an MTA address unknown on either side
 * leaves the client's address and port to decide.
 */
START_TEST(link_two_mtas)
{
	session_endpoints mx1 = {.client_port = 40000, .server_port = 25};
	session_endpoints mx2 = {.client_port = 40000, .server_port = 25};
	session_endpoints mx1_port2 = {.client_port = 40000, .server_port = 2525};
	session_endpoints anon = {.client_port = 40000};
	session_link *l1, *l2, *l3;

	ck_assert(net_addr_parse("192.0.2.7", &mx1.client));
	mx2.client = mx1_port2.client = anon.client = mx1.client;
	ck_assert(net_addr_parse("198.51.100.1", &mx1.server));
	ck_assert(net_addr_parse("198.51.100.2", &mx2.server));
	mx1_port2.server = mx1.server;
	l1 = session_link_add(px.links, &mx1);
	l2 = session_link_add(px.links, &mx2);
	l3 = session_link_add(px.links, &mx1_port2);
	ck_assert(session_link_tell(px.links, &mx1, GREETING_HELO));
	ck_assert(session_link_tell(px.links, &mx2, GREETING_EHLO));
	ck_assert_int_eq(session_link_greeting(l1), GREETING_HELO);
	ck_assert_int_eq(session_link_greeting(l2), GREETING_EHLO);
	ck_assert_int_eq(session_link_greeting(l3), GREETING_UNKNOWN);
	ck_assert(session_link_tell(px.links, &mx1_port2, GREETING_EHLO));
	ck_assert_int_eq(session_link_greeting(l1), GREETING_HELO);
	ck_assert_int_eq(session_link_greeting(l3), GREETING_EHLO);
	/* the request names the MTA's address but not its port: that
	   address's sessions, whatever their port */
	{
		session_endpoints mx1_noport = {.client_port = 40000};

		mx1_noport.client = mx1.client;
		mx1_noport.server = mx1.server;
		ck_assert(session_link_tell(px.links, &mx1_noport, GREETING_HELO));
		ck_assert_int_eq(session_link_greeting(l1), GREETING_HELO);
		ck_assert_int_eq(session_link_greeting(l3), GREETING_HELO);
		ck_assert_int_eq(session_link_greeting(l2), GREETING_EHLO);
	}
	/* the request does not name the MTA: every session of the client */
	ck_assert(session_link_tell(px.links, &anon, GREETING_HELO));
	ck_assert_int_eq(session_link_greeting(l2), GREETING_HELO);
	session_link_remove(l1);
	session_link_remove(l3);
	/* an MTA no open session belongs to */
	mx1.server_port = 26;
	ck_assert(!session_link_tell(px.links, &mx1, GREETING_EHLO));
	session_link_remove(l2);
	/* a session whose MTA gave no address: told by any request */
	l1 = session_link_add(px.links, &anon);
	ck_assert(session_link_tell(px.links, &mx2, GREETING_EHLO));
	ck_assert_int_eq(session_link_greeting(l1), GREETING_EHLO);
	session_link_remove(l1);
	ck_assert_uint_eq(session_link_count(px.links), 0);
}
END_TEST

/* HELO known at MAIL (Sendmail's {r}): judged there, not again at RCPT. */
START_TEST(late_greeting_only_when_late)
{
	net_addr a;
	session_conn c;
	session_result res;
	char from[] = "<a@example.org>", body[] = "BODY=7BIT", rcpt[] = "<b@example.net>";
	char *mail_argv[] = {from, body, NULL}, *rcpt_argv[] = {rcpt, NULL};
	session_macros m = {.protocol = "SMTP"};

	px.cfg->actions[RULE_PARAM_WITHOUT_EHLO] = ACTION_LOG;
	ck_assert(net_addr_parse("192.0.2.1", &a));
	session_init(&c, px.cfg, &px.st, capture, NULL);
	session_connect(&c, "mx.example", &a, "192.0.2.1");
	session_mail(&c, mail_argv, &m, &res);
	session_learn_greeting(&c, GREETING_HELO);
	session_rcpt(&c, rcpt_argv, NULL, &res);
	session_eom_sized(&c, "Q", 10, &res);
	ck_assert_uint_eq(stats_get(&px.st.violations[RULE_PARAM_WITHOUT_EHLO][ACTION_LOG]), 1);
	session_close(&c);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *t = tcase_create("request");

	tcase_add_test(t, parse_full);
	tcase_add_test(t, end_in_pieces);
	tcase_add_loop_test(t, parse_bad, 0, G_N_ELEMENTS(bad_requests));
	tcase_add_test(t, parse_limits);
	suite_add_tcase(s, t);
	t = tcase_create("engine");
	tcase_add_checked_fixture(t, psetup, pteardown);
	tcase_add_test(t, engine_honest);
	tcase_add_test(t, engine_size_after_helo);
	tcase_add_test(t, engine_size_rules);
	tcase_add_test(t, engine_repeat_and_abort);
	tcase_add_test(t, engine_tag_and_exempt);
	tcase_add_test(t, engine_utf8_unseen);
	tcase_add_test(t, engine_tls_and_auth);
	tcase_add_test(t, engine_expire_and_refuse);
	tcase_add_test(t, engine_bounded);
	tcase_add_test(t, link_tells_the_milter);
	tcase_add_test(t, link_same_port_twice);
	tcase_add_test(t, link_two_mtas);
	tcase_add_test(t, late_greeting_only_when_late);
	suite_add_tcase(s, t);
	return s;
}
