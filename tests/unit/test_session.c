/*
 * Every rule and action through the session core: the reply a client
 * gets, the log lines and the counters.
 */
#include <stdarg.h>
#include <string.h>
#include <syslog.h>
#include <glib.h>

#include "session.h"
#include "session_log.h"
#include "unit.h"

typedef struct {
	esmtp_config *cfg;
	stats st;
	GPtrArray *lines;
	session_conn conn;
	bool open;
} fixture;

static fixture fx;

static void
capture(void *data, int priority, const char *qid, const char *line)
{
	(void)data;
	g_ptr_array_add(fx.lines, g_strdup_printf("%s %s: %s",
			priority == LOG_NOTICE ? "notice" : priority == LOG_INFO
			? "info" : "other", qid[0] ? qid : "NOQUEUE", line));
}

static void
setup(void)
{
	net_addr a;

	fx.cfg = config_new_defaults();
	g_array_set_size(fx.cfg->trusted_networks, 0);
	fx.cfg->size_max = 1000;
	fx.cfg->overrun_percent = 10;
	fx.cfg->overrun_bytes = 100;
	stats_init(&fx.st);
	fx.lines = g_ptr_array_new_with_free_func(g_free);
	fx.open = false;
	net_addr_parse("192.0.2.7", &a);
	(void)a;
}

/* Starts the session: changes to fx.cfg must come before this. */
static void
start(const char *ip)
{
	net_addr a;

	session_init(&fx.conn, fx.cfg, &fx.st, capture, NULL);
	fx.open = true;
	ck_assert(net_addr_parse(ip, &a));
	session_connect(&fx.conn, "mx.example.net", &a, ip);
	session_helo(&fx.conn, "mx.example.net");
}

static void
teardown(void)
{
	if (fx.open)
		session_close(&fx.conn);
	config_unref(fx.cfg);
	g_ptr_array_unref(fx.lines);
	stats_clear(&fx.st);
}

static void
mail_v(const char *r, session_result *res, const char *from, va_list ap)
{
	char *argv[64];
	size_t n = 0;
	const char *p;
	session_macros m = {.protocol = r, .queue_id = "QID1"};

	argv[n++] = (char *)from;
	while ((p = va_arg(ap, const char *)) != NULL && n < 63)
		argv[n++] = (char *)p;
	argv[n] = NULL;
	session_mail(&fx.conn, argv, &m, res);
}

static void
mail(const char *r, session_result *res, const char *from, ...)
{
	va_list ap;

	va_start(ap, from);
	mail_v(r, res, from, ap);
	va_end(ap);
}

static void
rcpt(session_result *res, const char *to, ...)
{
	char *argv[64];
	size_t n = 0;
	const char *p;
	va_list ap;

	argv[n++] = (char *)to;
	va_start(ap, to);
	while ((p = va_arg(ap, const char *)) != NULL && n < 63)
		argv[n++] = (char *)p;
	va_end(ap);
	argv[n] = NULL;
	session_rcpt(&fx.conn, argv, "QID1", res);
}

static void
message(const char *header_value, const char *body, session_result *res)
{
	session_header(&fx.conn, "Subject", header_value);
	session_body(&fx.conn, (const unsigned char *)body, strlen(body));
	session_eom(&fx.conn, "QID1", res);
}

static const char *
find_line(const char *fragment)
{
	for (guint i = 0; i < fx.lines->len; i++)
		if (strstr(g_ptr_array_index(fx.lines, i), fragment) != NULL)
			return g_ptr_array_index(fx.lines, i);
	return NULL;
}

#define assert_logged(frag) \
	ck_assert_msg(find_line(frag) != NULL, "not logged: %s", frag)
#define assert_not_logged(frag) \
	ck_assert_msg(find_line(frag) == NULL, "logged: %s", frag)

static void
assert_reply(const session_result *res, const char *code, const char *enh,
	     rule_id rule)
{
	ck_assert_msg(res->stop, "no reply, expected %s %s", code, enh);
	ck_assert_str_eq(res->reply.code, code);
	ck_assert_str_eq(res->reply.enhanced, enh);
	ck_assert_str_eq(rule_token(res->rule), rule_token(rule));
	ck_assert_msg(strstr(res->text, rule_token(rule)) != NULL,
		      "text does not name the rule: %s", res->text);
}

/* ---- MAIL rules, one row each ----------------------------------------- */

#define P(...) {__VA_ARGS__, NULL}

static const struct {
	const char *protocol;
	const char *params[8];
	bool stop;
	const char *code, *enh;
	rule_id rule;
	const char *text;
} mail_cases[] = {
	{"ESMTP", P("SIZE=100", "BODY=8BITMIME"), false, NULL, NULL, 0, NULL},
	{"ESMTP", P("SIZE=abc"), true, "501", "5.5.4", RULE_SIZE_SYNTAX,
	 "SIZE=abc: not 1 to 20 digits"},
	{"ESMTP", P("SIZE="), true, "501", "5.5.4", RULE_PARAM_SYNTAX,
	 "empty value"},
	{"ESMTP", P("SIZE"), true, "501", "5.5.4", RULE_SIZE_SYNTAX,
	 "SIZE: not 1 to 20 digits"},
	{"ESMTP", P("SIZE=2000"), true, "552", "5.3.4", RULE_SIZE_LIMIT,
	 "declared SIZE 2000 exceeds the limit of 1000 (size_limit)"},
	{"ESMTP", P("SIZE=99999999999999999999"), true, "552", "5.3.4",
	 RULE_SIZE_LIMIT, "declared SIZE 18446744073709551615"},
	{"ESMTP", P("FOO=bar"), true, "555", "5.5.4", RULE_PARAM_UNREGISTERED,
	 "FOO is not a registered MAIL parameter"},
	{"ESMTP", P("XVERP"), false, NULL, NULL, 0, NULL},
	{"ESMTP", P("SIZE=1", "size=2"), true, "501", "5.5.4",
	 RULE_PARAM_DUPLICATE, "parameter size given more than once"},
	/* keywords are case-insensitive (RFC 5321 2.4), private ones too */
	{"ESMTP", P("XFOO=1", "xfoo=2"), true, "501", "5.5.4",
	 RULE_PARAM_DUPLICATE, "parameter xfoo given more than once"},
	{"ESMTP", P("NOTIFY=NEVER"), true, "555", "5.5.4", RULE_PARAM_MISPLACED,
	 "NOTIFY is not a MAIL parameter"},
	{"ESMTP", P("BODY=FOO"), true, "501", "5.5.4", RULE_PARAM_VALUE,
	 "BODY=FOO: not 7BIT"},
	{"ESMTP", P("RET=ALL"), true, "501", "5.5.4", RULE_PARAM_VALUE, NULL},
	{"ESMTP", P("SMTPUTF8=yes"), true, "501", "5.5.4", RULE_PARAM_VALUE,
	 "takes no value"},
	{"ESMTP", P("MT-PRIORITY=12"), true, "501", "5.5.2", RULE_PARAM_VALUE,
	 "RFC 6710"},
	{"ESMTP", P("ENVID=a+2b"), true, "501", "5.5.4", RULE_PARAM_VALUE, NULL},
	{"ESMTP", P("-X=1"), true, "501", "5.5.4", RULE_PARAM_SYNTAX,
	 "keyword must be"},
	{"ESMTP", P("ENVID=\xc3\xa9"), true, "501", "5.5.4", RULE_PARAM_SYNTAX,
	 "8-bit value without SMTPUTF8"},
	{"ESMTP", P("SMTPUTF8", "ENVID=\xc3\xa9"), true, "501", "5.5.4",
	 RULE_PARAM_VALUE, NULL},
	{"ESMTP", P("SMTPUTF8", "AUTH=j\xc3\xb6rg@example.net"), false, NULL,
	 NULL, 0, NULL},
	{"SMTP", P("SIZE=100"), false, NULL, NULL, 0, NULL},
	{"SMTP", P(NULL), false, NULL, NULL, 0, NULL},
	/* the first permanent failure is the one the client is told */
	{"ESMTP", P("FOO=1", "BODY=BAR"), true, "555", "5.5.4",
	 RULE_PARAM_UNREGISTERED, NULL},
};

START_TEST(test_mail_rules)
{
	session_result res;
	const char *const *p = mail_cases[_i].params;

	start("192.0.2.7");
	mail(mail_cases[_i].protocol, &res, "<a@example.net>", p[0], p[1], p[2],
	     p[3], NULL);
	if (!mail_cases[_i].stop) {
		ck_assert_msg(!res.stop, "rejected: %s", res.text);
		return;
	}
	assert_reply(&res, mail_cases[_i].code, mail_cases[_i].enh,
		     mail_cases[_i].rule);
	if (mail_cases[_i].text != NULL)
		ck_assert_msg(strstr(res.text, mail_cases[_i].text) != NULL,
			      "text: %s", res.text);
	assert_logged("verdict=reject");
	ck_assert_uint_eq(stats_get(&fx.st.verdicts[VERDICT_REJECT]), 1);
	ck_assert_uint_eq(stats_get(&fx.st.violations[mail_cases[_i].rule]
				    [ACTION_REJECT]), 1);
}
END_TEST

START_TEST(test_param_without_ehlo)
{
	session_result res;

	start("192.0.2.7");
	mail("SMTP", &res, "<a@example.net>", "SIZE=100", NULL);
	ck_assert(!res.stop);
	assert_logged("violation rule=param_without_ehlo action=log");
	session_abort(&fx.conn);
	assert_logged("greeting=helo");
	fx.cfg->actions[RULE_PARAM_WITHOUT_EHLO] = ACTION_REJECT;
	mail("SMTP", &res, "<a@example.net>", "SIZE=100", NULL);
	assert_reply(&res, "555", "5.5.4", RULE_PARAM_WITHOUT_EHLO);
	/* EHLO with parameters, and no {r} at all: never a guess */
	mail("ESMTP", &res, "<a@example.net>", "SIZE=100", NULL);
	ck_assert(!res.stop);
	session_helo(&fx.conn, "again.example");
	mail(NULL, &res, "<a@example.net>", "SIZE=100", NULL);
	ck_assert(!res.stop);
	ck_assert_int_eq(fx.conn.greeting, GREETING_UNKNOWN);
}
END_TEST

START_TEST(test_private_ignored_and_counted)
{
	session_result res;

	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "XVERP", NULL);
	ck_assert(!res.stop);
	assert_not_logged("violation");
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_PARAM_PRIVATE]
				    [ACTION_IGNORE]), 1);
	ck_assert_uint_eq(stats_get(&fx.st.params[CMD_MAIL][STATS_PARAM_PRIVATE]), 1);
	session_abort(&fx.conn);
	fx.cfg->actions[RULE_PARAM_PRIVATE] = ACTION_REJECT;
	mail("ESMTP", &res, "<a@example.net>", "XVERP", NULL);
	assert_reply(&res, "555", "5.5.4", RULE_PARAM_PRIVATE);
}
END_TEST

START_TEST(test_utf8_addresses)
{
	session_result res;

	fx.cfg->actions[RULE_UTF8_UNDECLARED] = ACTION_REJECT;
	start("192.0.2.7");
	mail("ESMTP", &res, "<j\xc3\xb6rg@example.net>", NULL);
	assert_reply(&res, "550", "5.6.7", RULE_UTF8_UNDECLARED);
	mail("ESMTP", &res, "<j\xc3\xb6rg@example.net>", "SMTPUTF8", NULL);
	ck_assert(!res.stop);
	mail("ESMTP", &res, "<a@example.net>", NULL);
	ck_assert(!res.stop);
	rcpt(&res, "<m\xc3\xbcller@example.org>", NULL);
	assert_reply(&res, "553", "5.6.7", RULE_UTF8_UNDECLARED);
	/* the reply text carries no raw 8-bit octet */
	for (const char *p = res.text; *p; p++)
		ck_assert((unsigned char)*p < 0x80);
	fx.cfg->actions[RULE_UTF8_UNDECLARED] = ACTION_TEMPFAIL;
	rcpt(&res, "<m\xc3\xbcller@example.org>", NULL);
	assert_reply(&res, "451", "4.6.7", RULE_UTF8_UNDECLARED);
}
END_TEST

START_TEST(test_orcpt_utf8)
{
	session_result res;

	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SMTPUTF8", NULL);
	rcpt(&res, "<j\xc3\xb6rg@example.org>", "ORCPT=utf-8;j\xc3\xb6rg@example.org", NULL);
	ck_assert_msg(!res.stop, "%s", res.text);
	rcpt(&res, "<b@example.org>", "ORCPT=rfc822;j\xc3\xb6rg@example.org", NULL);
	assert_reply(&res, "501", "5.5.4", RULE_PARAM_VALUE);
	session_abort(&fx.conn);
	/* without SMTPUTF8 the 8-bit value is a syntax error */
	mail("ESMTP", &res, "<a@example.net>", NULL);
	rcpt(&res, "<b@example.org>", "ORCPT=utf-8;j\xc3\xb6rg@example.org", NULL);
	assert_reply(&res, "501", "5.5.4", RULE_PARAM_SYNTAX);
}
END_TEST

START_TEST(test_rcpt_rules)
{
	session_result res;

	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", NULL);
	rcpt(&res, "<b@example.org>", "NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;b@example.org", NULL);
	ck_assert(!res.stop);
	rcpt(&res, "<b@example.org>", "SIZE=10", NULL);
	assert_reply(&res, "555", "5.5.4", RULE_PARAM_MISPLACED);
	rcpt(&res, "<b@example.org>", "NOTIFY=NEVER,DELAY", NULL);
	assert_reply(&res, "501", "5.5.4", RULE_PARAM_VALUE);
	rcpt(&res, "<b@example.org>", "NOTIFY=NEVER", "notify=NEVER", NULL);
	assert_reply(&res, "501", "5.5.4", RULE_PARAM_DUPLICATE);
	rcpt(&res, "<b@example.org>", "FOO", NULL);
	assert_reply(&res, "555", "5.5.4", RULE_PARAM_UNREGISTERED);
	ck_assert_str_eq(res.text, "FOO is not a registered RCPT parameter (param_unregistered)");
	session_abort(&fx.conn);
	assert_logged("rcpts=1 rcpts_rejected=4");
	assert_logged("verdict=abort");
	ck_assert_uint_eq(stats_get(&fx.st.params[CMD_RCPT][registry_index(
		registry_lookup("NOTIFY", 6))]), 4);
}
END_TEST

START_TEST(test_recipient_domain_limit)
{
	session_result res;
	domain_limit dl = {g_strdup("lists.example.net"), 500};

	g_array_append_val(fx.cfg->to_limits, dl);
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=800", NULL);
	ck_assert(!res.stop);
	rcpt(&res, "<l@lists.example.net>", NULL);
	assert_reply(&res, "552", "5.3.4", RULE_SIZE_LIMIT);
	ck_assert_str_eq(res.text, "declared SIZE 800 exceeds the limit of 500 for this recipient (size_limit)");
	rcpt(&res, "<b@example.org>", NULL);
	ck_assert(!res.stop);
	message("x", "body\r\n", &res);
	ck_assert(!res.stop);
	assert_logged("rcpts=1 rcpts_rejected=1");
	assert_logged("verdict=accept");
}
END_TEST

/*
 * A limit that MAIL already judged is not judged again at each RCPT:
 * only a recipient's own limit fires there.
 */
START_TEST(test_mail_limit_fires_once)
{
	session_result res;

	fx.cfg->actions[RULE_SIZE_LIMIT] = ACTION_LOG;
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=2000", NULL);
	ck_assert(!res.stop);
	rcpt(&res, "<b@example.org>", NULL);
	rcpt(&res, "<c@example.org>", NULL);
	ck_assert(!res.stop);
	assert_logged("violation rule=size_limit action=log stage=mail");
	assert_not_logged("stage=rcpt");
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_SIZE_LIMIT][ACTION_LOG]), 1);
}
END_TEST

START_TEST(test_client_and_sender_limits)
{
	session_result res;
	client_limit cl;
	domain_limit dl = {g_strdup("example.org"), 300};

	net_addr_parse_cidr("2001:db8::/32", &cl.net);
	cl.limit = 400;
	g_array_append_val(fx.cfg->client_limits, cl);
	g_array_append_val(fx.cfg->from_limits, dl);
	start("2001:db8::25");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=450", NULL);
	assert_reply(&res, "552", "5.3.4", RULE_SIZE_LIMIT);
	ck_assert_ptr_nonnull(strstr(res.text, "limit of 400 for this client"));
	mail("ESMTP", &res, "<a@example.org>", "SIZE=350", NULL);
	assert_reply(&res, "552", "5.3.4", RULE_SIZE_LIMIT);
	ck_assert_ptr_nonnull(strstr(res.text, "limit of 300 for this sender"));
	mail("ESMTP", &res, "<a@example.org>", "SIZE=300", NULL);
	ck_assert(!res.stop);
}
END_TEST

START_TEST(test_end_of_message)
{
	session_result res;
	char body[1200];

	memset(body, 'a', sizeof body - 1);
	body[sizeof body - 1] = '\0';
	start("192.0.2.7");
	/* declared 100: tolerance 100 + 10 + 100 = 210 octets */
	mail("ESMTP", &res, "<a@example.net>", "SIZE=100", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	body[190] = '\0';	/* "Subject: x\r\n\r\n" is 14 octets: 204 */
	message("x", body, &res);
	ck_assert_msg(!res.stop, "%s", res.text);
	assert_logged("size_declared=100 size_actual=204 tls=unknown auth=none violations=none verdict=accept");

	mail("ESMTP", &res, "<a@example.net>", "SIZE=100", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	body[190] = 'a';
	body[200] = '\0';
	message("x", body, &res);
	assert_reply(&res, "552", "5.3.4", RULE_SIZE_OVERRUN);
	ck_assert_str_eq(res.text, "message size 214 exceeds the declared SIZE 100 (size_overrun)");

	/* no SIZE, real size over the limit */
	mail("ESMTP", &res, "<a@example.net>", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	body[200] = 'a';
	message("x", body, &res);
	assert_reply(&res, "552", "5.3.4", RULE_SIZE_ACTUAL_LIMIT);
	ck_assert_ptr_nonnull(strstr(res.text, "message size 1213 exceeds the limit of 1000"));
	ck_assert_uint_eq(stats_get(&fx.st.messages), 3);
	ck_assert_uint_eq(stats_get(&fx.st.octets), 204 + 214 + 1213);
}
END_TEST

START_TEST(test_eight_bit)
{
	session_result res;

	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	message("x", "caf\xc3\xa9\r\n", &res);
	ck_assert(!res.stop);	/* default action: log */
	assert_logged("violation rule=body_8bit_undeclared action=log stage=eom");
	assert_logged("notice QID1: client=");

	fx.cfg->actions[RULE_BODY_8BIT_UNDECLARED] = ACTION_REJECT;
	mail("ESMTP", &res, "<a@example.net>", "BODY=8BITMIME", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	message("x", "caf\xc3\xa9\r\n", &res);
	ck_assert(!res.stop);
	/* BINARYMIME (RFC 3030) covers 8-bit octets as 8BITMIME does */
	mail("ESMTP", &res, "<a@example.net>", "BODY=BINARYMIME", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	message("x", "caf\xc3\xa9\r\n", &res);
	ck_assert_msg(!res.stop, "BODY=BINARYMIME refused: %s", res.text);
	mail("ESMTP", &res, "<a@example.net>", "BODY=7BIT", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	message("x", "caf\xc3\xa9\r\n", &res);
	assert_reply(&res, "554", "5.6.0", RULE_BODY_8BIT_UNDECLARED);
	/* 8-bit in the header needs SMTPUTF8, BODY=8BITMIME is not enough */
	mail("ESMTP", &res, "<a@example.net>", "BODY=8BITMIME", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	message("caf\xc3\xa9", "plain\r\n", &res);
	assert_reply(&res, "554", "5.6.0", RULE_BODY_8BIT_UNDECLARED);
	ck_assert_ptr_nonnull(strstr(res.text, "header without SMTPUTF8"));
	mail("ESMTP", &res, "<a@example.net>", "BODY=8BITMIME", "SMTPUTF8", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	message("caf\xc3\xa9", "caf\xc3\xa9\r\n", &res);
	ck_assert(!res.stop);
}
END_TEST

START_TEST(test_actions)
{
	session_result res;

	fx.cfg->actions[RULE_SIZE_SYNTAX] = ACTION_TEMPFAIL;
	fx.cfg->actions[RULE_SIZE_OVERRUN] = ACTION_TAG;
	fx.cfg->actions[RULE_PARAM_UNREGISTERED] = ACTION_LOG;
	fx.cfg->actions[RULE_PARAM_VALUE] = ACTION_IGNORE;
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=x", NULL);
	assert_reply(&res, "455", "4.5.0", RULE_SIZE_SYNTAX);
	assert_logged("verdict=tempfail");

	mail("ESMTP", &res, "<a@example.net>", "SIZE=1", "FOO", "BODY=BAR", NULL);
	ck_assert(!res.stop);
	assert_logged("violation rule=param_unregistered action=log");
	assert_not_logged("rule=param_value");
	rcpt(&res, "<b@example.org>", NULL);
	message("x", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789", &res);
	ck_assert(!res.stop);
	ck_assert_str_eq(res.tag_header, "param_unregistered, size_overrun"
			 + strlen("param_unregistered, "));
	assert_logged("violations=param_unregistered:log,size_overrun:tag verdict=accept");
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_PARAM_VALUE][ACTION_IGNORE]), 1);
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_SIZE_OVERRUN][ACTION_TAG]), 1);
}
END_TEST

START_TEST(test_tempfail_loses_to_reject)
{
	session_result res;

	fx.cfg->actions[RULE_PARAM_UNREGISTERED] = ACTION_TEMPFAIL;
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "FOO", "BODY=BAR", NULL);
	assert_reply(&res, "501", "5.5.4", RULE_PARAM_VALUE);
}
END_TEST

START_TEST(test_exempt_network)
{
	session_result res;
	net_addr n;

	net_addr_parse_cidr("192.0.2.0/24", &n);
	g_array_append_val(fx.cfg->trusted_networks, n);
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=5000", NULL);
	ck_assert(!res.stop);
	assert_logged("violation rule=size_limit action=log stage=mail client=mx.example.net[192.0.2.7] from=<a@example.net> exempt=network");
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_SIZE_LIMIT][STATS_ACTION_EXEMPT]), 1);
	session_abort(&fx.conn);
	assert_logged("exempt=network verdict=abort");
}
END_TEST

/* MAIL with one parameter, one RCPT, "Subject: x" and the body. */
static void
sized_transaction(const char *param, const char *body, session_result *res)
{
	mail("ESMTP", res, "<a@example.net>", param, NULL);
	rcpt(res, "<b@example.org>", NULL);
	message("x", body, res);
}

/* Exemption turns tag into log too: no X-ESMTP-Policy header. */
START_TEST(test_exempt_network_tag)
{
	session_result res;
	net_addr n;
	char body[501];

	memset(body, 'a', sizeof body - 1);
	body[sizeof body - 1] = '\0';
	net_addr_parse_cidr("198.51.100.0/24", &n);
	g_array_append_val(fx.cfg->trusted_networks, n);
	fx.cfg->actions[RULE_SIZE_OVERRUN] = ACTION_TAG;
	fx.cfg->overrun_percent = 0;
	fx.cfg->overrun_bytes = 0;
	start("198.51.100.9");
	sized_transaction("SIZE=10", body, &res);
	ck_assert(!res.stop);
	ck_assert_str_eq(res.tag_header, "");
	assert_logged("violation rule=size_overrun action=log stage=eom client=mx.example.net[198.51.100.9] from=<a@example.net> exempt=network");
	assert_logged("violations=size_overrun:log exempt=network verdict=accept");
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_SIZE_OVERRUN][STATS_ACTION_EXEMPT]), 1);
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_SIZE_OVERRUN][ACTION_TAG]), 0);

	/* the same client outside the trusted network is tagged */
	session_close(&fx.conn);
	g_array_set_size(fx.cfg->trusted_networks, 0);
	start("198.51.100.9");
	sized_transaction("SIZE=10", body, &res);
	ck_assert(!res.stop);
	ck_assert_str_eq(res.tag_header, "size_overrun");
}
END_TEST

START_TEST(test_exempt_auth)
{
	session_result res;
	session_macros m = {.protocol = "ESMTPA", .auth_type = "PLAIN"};
	char *argv[] = {"<a@example.net>", "SIZE=5000", NULL};

	start("192.0.2.7");
	session_mail(&fx.conn, argv, &m, &res);
	ck_assert(!res.stop);
	assert_logged("exempt=auth");
	ck_assert_int_eq(fx.conn.greeting, GREETING_EHLO);
	session_abort(&fx.conn);
	fx.cfg->exempt_authenticated = false;
	session_mail(&fx.conn, argv, &m, &res);
	assert_reply(&res, "552", "5.3.4", RULE_SIZE_LIMIT);
}
END_TEST

START_TEST(test_dry_run)
{
	session_result res;

	fx.cfg->dry_run = true;
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=abc", "FOO", NULL);
	ck_assert(!res.stop);
	assert_logged("rule=size_syntax action=log");
	assert_logged("rule=param_unregistered action=log");
	/* ignore stays ignore: a private parameter is counted, not logged */
	mail("ESMTP", &res, "<a@example.net>", "XFOO=1", NULL);
	ck_assert(!res.stop);
	assert_not_logged("rule=param_private");
	ck_assert_uint_eq(stats_get(&fx.st.violations[RULE_PARAM_PRIVATE][ACTION_IGNORE]), 1);
}
END_TEST

/*
 * Postfix adds Date: and Message-Id: to mail from clients on its own
 * addresses and shows them to the filter after the client's fields; the
 * client's size leaves them out. The queue id is known only at the end.
 */
static const struct {
	const char *name;
	const char *version;	/* macro v */
	const char *client;
	const char *daemon_addr;
	const char *fields[4];	/* name, value pairs after the client's */
	bool added;		/* the fields after the client's are not counted */
} added_cases[] = {
	{"date and message-id", "Postfix 3.7.11", "127.0.0.1", "127.0.0.1",
	 {"Date", " Wed,  2 Dec 2026 01:49:38 +0000 (UTC)",
	  "Message-Id", " <20261202014938.4F1C2A3@mx.example.org>"}, true},
	{"two-digit day, long queue id", "Postfix 3.7.11", "::1", NULL,
	 {"Message-Id", " <4Q7xYz1Lk3zB9@mx.example.org>",
	  "Date", " Sat, 12 Dec 2026 21:05:00 -0500 (EST)"}, true},
	{"client on the address it reached", "Postfix 3.7.11", "192.0.2.7",
	 "192.0.2.7", {"Date", " Wed,  2 Dec 2026 01:49:38 +0000 (UTC)"}, true},
	{"remote client", "Postfix 3.7.11", "192.0.2.7", "198.51.100.1",
	 {"Date", " Wed,  2 Dec 2026 01:49:38 +0000 (UTC)"}, false},
	{"not Postfix", "8.17.1.9", "127.0.0.1", "127.0.0.1",
	 {"Date", " Wed,  2 Dec 2026 01:49:38 +0000 (UTC)"}, false},
	{"MTA unknown", NULL, "127.0.0.1", NULL,
	 {"Date", " Wed,  2 Dec 2026 01:49:38 +0000 (UTC)"}, false},
	{"a client's date", "Postfix 3.7.11", "127.0.0.1", NULL,
	 {"Date", " Wed, 2 Dec 2026 01:49:38 +0000"}, false},
	{"a client's date with a zone comment", "Postfix 3.7.11", "127.0.0.1",
	 NULL, {"Date", " Wed, 2 Dec 2026 01:49:38 +0000 (UTC)"}, false},
	{"another queue id", "Postfix 3.7.11", "127.0.0.1", NULL,
	 {"Message-Id", " <20261202014938.ABCDEF@mx.example.org>"}, false},
	{"a client field after them", "Postfix 3.7.11", "127.0.0.1", NULL,
	 {"Date", " Wed,  2 Dec 2026 01:49:38 +0000 (UTC)",
	  "X-Mailer", " cron"}, false},
	{"only the trailing one", "Postfix 3.7.11", "127.0.0.1", NULL,
	 {"Message-Id", " <20261202014938.4F1C2A3@mx.example.org>",
	  "X-Mailer", " cron"}, false},
};

START_TEST(test_postfix_added_headers)
{
	session_result res;
	session_macros m = {.protocol = NULL};
	char *argv[] = {"<a@example.net>", NULL};
	char *rargv[] = {"<b@example.org>", NULL};
	unsigned total = 14 + 7;	/* "Subject: x\r\n" CRLF "hello\r\n" */
	char want[64];
	net_addr a, d;

	session_init(&fx.conn, fx.cfg, &fx.st, capture, NULL);
	fx.open = true;
	fx.conn.header_leading_space = true;
	ck_assert(net_addr_parse(added_cases[_i].client, &a));
	session_connect(&fx.conn, "client.example", &a, added_cases[_i].client);
	ck_assert(added_cases[_i].daemon_addr == NULL
		  || net_addr_parse(added_cases[_i].daemon_addr, &d));
	session_mta(&fx.conn, added_cases[_i].version,
		    added_cases[_i].daemon_addr != NULL ? &d : NULL, 25);
	session_helo(&fx.conn, "client.example");
	session_mail(&fx.conn, argv, &m, &res);
	session_rcpt(&fx.conn, rargv, NULL, &res);
	session_header(&fx.conn, "Subject", " x");
	for (unsigned i = 0; i < 4 && added_cases[_i].fields[i] != NULL; i += 2) {
		session_header(&fx.conn, added_cases[_i].fields[i],
			       added_cases[_i].fields[i + 1]);
		total += (unsigned)(strlen(added_cases[_i].fields[i])
				    + strlen(added_cases[_i].fields[i + 1]) + 3);
	}
	session_body(&fx.conn, (const unsigned char *)"hello\r\n", 7);
	session_eom(&fx.conn, _i == 1 ? "4Q7xYz1Lk3zB9" : "4F1C2A3", &res);
	g_snprintf(want, sizeof want, "size_actual=%u ",
		   added_cases[_i].added ? 14 + 7 : total);
	ck_assert_msg(strstr(g_ptr_array_index(fx.lines, fx.lines->len - 1),
			     want) != NULL, "%s: %s not in %s",
		      added_cases[_i].name, want,
		      (char *)g_ptr_array_index(fx.lines, fx.lines->len - 1));
}
END_TEST

START_TEST(test_log_line)
{
	session_result res;

	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=60", "body=8bitmime", "RET=hdrs", "ENVID=x", NULL);
	rcpt(&res, "<b@example.org>", NULL);
	rcpt(&res, "<c@example.org>", NULL);
	message("hello", "hello world\r\n", &res);
	assert_logged("info QID1: client=mx.example.net[192.0.2.7] greeting=ehlo helo=mx.example.net from=<a@example.net> params=\"SIZE,BODY=8BITMIME,RET=HDRS,ENVID\" rcpts=2 size_declared=60 size_actual=31 tls=unknown auth=none violations=none verdict=accept");
	ck_assert_uint_eq(stats_get(&fx.st.transactions), 1);
	ck_assert_uint_eq(stats_get(&fx.st.body_types[BODY_8BITMIME]), 1);
	ck_assert_uint_eq(stats_get(&fx.st.size_declared[1]), 1);
}
END_TEST

START_TEST(test_sanitized_text)
{
	session_result res;
	char big[2000];

	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "BODY=%s\x01%n", NULL);
	ck_assert(res.stop);
	for (const char *p = res.text; *p; p++)
		ck_assert(*p >= 0x20 && *p < 0x7f);
	memset(big, 'B', sizeof big - 1);
	big[0] = 'X';
	big[1] = '=';
	big[sizeof big - 1] = '\0';
	fx.cfg->actions[RULE_PARAM_PRIVATE] = ACTION_REJECT;
	mail("ESMTP", &res, "<a@example.net>", big, NULL);
	ck_assert(res.stop);
	ck_assert_uint_lt(strlen(res.text), SESSION_TEXT_MAX);
	for (guint i = 0; i < fx.lines->len; i++)
		ck_assert_uint_lt(strlen(g_ptr_array_index(fx.lines, i)), 1100);
}
END_TEST

/* Whatever the client sends, the verdict stays on the line. */
START_TEST(test_long_fields_keep_the_verdict)
{
	session_result res;
	char name[600], from[600];
	net_addr a;

	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	memset(from, 'f', sizeof from - 1);
	from[0] = '<';
	from[sizeof from - 2] = '>';
	from[sizeof from - 1] = '\0';
	session_init(&fx.conn, fx.cfg, &fx.st, capture, NULL);
	fx.open = true;
	net_addr_parse("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", &a);
	session_connect(&fx.conn, name, &a, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	session_helo(&fx.conn, name);
	mail("ESMTP", &res, from, "SIZE=1", "BODY=8BITMIME", "RET=FULL",
	     "ENVID=x", "AUTH=<>", "MT-PRIORITY=1", "XAAAAAAAAAAAAAAAAAAAAAAAAA",
	     "XBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "XCCCCCCCCCCCCCCCCCCCCCCCCCCC",
	     "XDDDDDDDDDDDDDDDDDDDDDDDDDDD", "XEEEEEEEEEEEEEEEEEEEEEEEEEEEEE",
	     NULL);
	rcpt(&res, from, "ORCPT=rfc822;b@example.org", NULL);
	session_abort(&fx.conn);
	assert_logged("verdict=abort");
	for (guint i = 0; i < fx.lines->len; i++)
		ck_assert_uint_lt(strlen(g_ptr_array_index(fx.lines, i)), 1000);
}
END_TEST

START_TEST(test_many_params)
{
	session_result res;
	char **argv = g_new0(char *, 5003);

	start("192.0.2.7");
	argv[0] = "<a@example.net>";
	for (int i = 1; i <= 5000; i++)
		argv[i] = g_strdup_printf("X%d=%d", i % 100, i);
	argv[5001] = "SIZE=10";
	session_mail(&fx.conn, argv, NULL, &res);
	/* the duplicate private keywords are found among the first ones */
	assert_reply(&res, "501", "5.5.4", RULE_PARAM_DUPLICATE);
	ck_assert_uint_eq(stats_get(&fx.st.params[CMD_MAIL][STATS_PARAM_PRIVATE]), 5000);
	/* one notice per rule and command, not one per parameter */
	ck_assert_uint_le(fx.lines->len, 4);
	for (int i = 1; i <= 5000; i++)
		g_free(argv[i]);
	g_free(argv);
}
END_TEST

START_TEST(test_out_of_order)
{
	session_result res;
	char *empty[] = {NULL};

	session_init(&fx.conn, fx.cfg, &fx.st, capture, NULL);
	fx.open = true;
	/* no connect, no MAIL: RCPT, body and end of message still work */
	rcpt(&res, "<b@example.org>", NULL);
	ck_assert(!res.stop);
	session_body(&fx.conn, (const unsigned char *)"x", 1);
	session_eom(&fx.conn, NULL, &res);
	ck_assert(!res.stop);
	assert_logged("client=unknown[unknown]");
	session_eom(&fx.conn, NULL, &res);
	session_abort(&fx.conn);
	session_abort(&fx.conn);
	session_mail(&fx.conn, empty, NULL, &res);
	session_mail(&fx.conn, NULL, NULL, &res);
	session_rcpt(&fx.conn, NULL, NULL, &res);
	session_header(&fx.conn, NULL, NULL);
	session_unknown(&fx.conn, NULL);
	session_unknown(&fx.conn, "XFOO bar");
	session_helo(&fx.conn, NULL);
	session_connect(&fx.conn, NULL, NULL, NULL);
	ck_assert(!res.stop);
	ck_assert_uint_eq(stats_get(&fx.st.unknown_commands[UNKNOWN_CMD_PRIVATE]), 1);
	ck_assert_uint_eq(stats_get(&fx.st.unknown_commands[UNKNOWN_CMD_UNREGISTERED]), 1);
}
END_TEST

START_TEST(test_close_logs_pending)
{
	session_result res;

	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", NULL);
	rcpt(&res, "<b@example.org>", "BOGUS", NULL);
	session_close(&fx.conn);
	fx.open = false;
	/* every recipient refused by the filter: the verdict is reject */
	assert_logged("rcpts=0 rcpts_rejected=1");
	assert_logged("verdict=reject");
	ck_assert_int_eq(stats_get((atomic_uint_fast64_t *)&fx.st.active_connections), 0);
	ck_assert_uint_eq(stats_get(&fx.st.greetings[GREETING_EHLO]), 1);
	session_close(&fx.conn);	/* a second close is harmless */
}
END_TEST

START_TEST(test_client_without_name)
{
	session_result res;
	net_addr a;

	session_init(&fx.conn, fx.cfg, &fx.st, capture, NULL);
	fx.open = true;
	net_addr_parse("192.0.2.9", &a);
	session_connect(&fx.conn, "[192.0.2.9]", &a, "192.0.2.9");
	mail("ESMTP", &res, "<a@example.net>", NULL);
	session_abort(&fx.conn);
	assert_logged("client=unknown[192.0.2.9]");
}
END_TEST

START_TEST(test_log_level_quiet)
{
	session_result res;

	fx.cfg->log_level = LOG_WARNING;
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=abc", NULL);
	ck_assert(res.stop);
	mail("ESMTP", &res, "<a@example.net>", NULL);
	session_abort(&fx.conn);
	ck_assert_uint_eq(fx.lines->len, 0);
	ck_assert_uint_eq(stats_get(&fx.st.verdicts[VERDICT_REJECT]), 1);
	ck_assert_uint_eq(stats_get(&fx.st.verdicts[VERDICT_ABORT]), 1);
	fx.cfg->log_level = LOG_NOTICE;
	session_close(&fx.conn);
	fx.open = false;
	start("192.0.2.7");
	mail("ESMTP", &res, "<a@example.net>", "SIZE=abc", NULL);
	mail("ESMTP", &res, "<a@example.net>", NULL);
	session_abort(&fx.conn);
	/* the violation and its transaction at notice; the clean one not */
	ck_assert_uint_eq(fx.lines->len, 2);
}
END_TEST

START_TEST(test_sanitize)
{
	char buf[8];

	session_sanitize(buf, sizeof buf, "ab\r\ncd", 6);
	ck_assert_str_eq(buf, "ab??cd");
	session_sanitize(buf, sizeof buf, "abcdefghij", 10);
	ck_assert_str_eq(buf, "abcd...");
	session_sanitize(buf, sizeof buf, NULL, 3);
	ck_assert_str_eq(buf, "");
}
END_TEST

Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_mail_rules, 0, G_N_ELEMENTS(mail_cases));
	tcase_add_test(tc, test_param_without_ehlo);
	tcase_add_test(tc, test_private_ignored_and_counted);
	tcase_add_test(tc, test_utf8_addresses);
	tcase_add_test(tc, test_orcpt_utf8);
	tcase_add_test(tc, test_rcpt_rules);
	tcase_add_test(tc, test_recipient_domain_limit);
	tcase_add_test(tc, test_mail_limit_fires_once);
	tcase_add_test(tc, test_client_and_sender_limits);
	tcase_add_test(tc, test_end_of_message);
	tcase_add_test(tc, test_eight_bit);
	tcase_add_test(tc, test_actions);
	tcase_add_test(tc, test_tempfail_loses_to_reject);
	tcase_add_test(tc, test_exempt_network);
	tcase_add_test(tc, test_exempt_network_tag);
	tcase_add_test(tc, test_exempt_auth);
	tcase_add_test(tc, test_dry_run);
	tcase_add_loop_test(tc, test_postfix_added_headers, 0,
			    G_N_ELEMENTS(added_cases));
	tcase_add_test(tc, test_log_line);
	tcase_add_test(tc, test_sanitized_text);
	tcase_add_test(tc, test_long_fields_keep_the_verdict);
	tcase_add_test(tc, test_many_params);
	tcase_add_test(tc, test_out_of_order);
	tcase_add_test(tc, test_close_logs_pending);
	tcase_add_test(tc, test_client_without_name);
	tcase_add_test(tc, test_log_level_quiet);
	tcase_add_test(tc, test_sanitize);
	suite_add_tcase(s, tc);
	return s;
}
