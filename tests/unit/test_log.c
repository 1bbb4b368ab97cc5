/*
 * The log grammar (esmtp-milter(8) LOGS, README LOGS): whatever the
 * client sends in HELO, its name, the MAIL and RCPT addresses and the
 * parameters, a key=value parser reads back exactly the fields the
 * daemon wrote, and verdict= is the last one.
 */
#include <string.h>
#include <syslog.h>
#include <glib.h>

#include "session.h"
#include "session_log.h"
#include "unit.h"

static GPtrArray *lines;

static void
capture(void *data, int priority, const char *qid, const char *line)
{
	(void)data;
	(void)priority;
	(void)qid;
	g_ptr_array_add(lines, g_strdup(line));
}

/* The grammar's reader: pairs split by one space, quoted values with \" and \\. */
static GPtrArray *
parse_fields(const char *line)
{
	GPtrArray *kv = g_ptr_array_new_with_free_func(g_free);
	const char *p = line;

	while (*p != '\0') {
		const char *eq = strchr(p, '=');
		GString *v = g_string_new(NULL);

		ck_assert_msg(eq != NULL, "no '=' in the rest: %s", p);
		g_ptr_array_add(kv, g_strndup(p, (gsize)(eq - p)));
		p = eq + 1;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				ck_assert_msg(*p != '\0', "unterminated quote: %s", line);
				if (*p == '\\')
					p++;
				g_string_append_c(v, *p);
			}
			p++;
		} else {
			while (*p != '\0' && *p != ' ')
				g_string_append_c(v, *p++);
		}
		g_ptr_array_add(kv, g_string_free(v, FALSE));
		ck_assert_msg(*p == '\0' || *p == ' ', "no space after a value: %s", p);
		if (*p == ' ')
			p++;
	}
	return kv;
}

static const char *
field(GPtrArray *kv, const char *key, unsigned *count)
{
	const char *found = NULL;

	*count = 0;
	for (guint i = 0; i + 1 < kv->len; i += 2)
		if (strcmp(g_ptr_array_index(kv, i), key) == 0) {
			found = g_ptr_array_index(kv, i + 1);
			(*count)++;
		}
	return found;
}

/* A transaction whose client text tries to forge fields. */
START_TEST(test_forged_fields)
{
	esmtp_config *cfg = config_new_defaults();
	stats st;
	session_conn c;
	session_result res;
	net_addr a;
	char from[] = "<a\"b\\c verdict=accept@example.org>";
	char body[] = "BODY=8\"BIT", size[] = "SIZE=1 0";
	char rcpt[] = "<x verdict=accept@example.net>";
	char *mail_argv[] = {from, body, NULL}, *rcpt_argv[] = {rcpt, NULL};
	char *bad_size[] = {from, size, NULL};
	session_macros m = {.protocol = "ESMTP", .queue_id = "Q 1"};
	GPtrArray *kv;
	unsigned n;
	const char *line;

	g_array_set_size(cfg->trusted_networks, 0);
	cfg->actions[RULE_PARAM_VALUE] = ACTION_LOG;
	lines = g_ptr_array_new_with_free_func(g_free);
	stats_init(&st);
	session_init(&c, cfg, &st, capture, NULL);
	ck_assert(net_addr_parse("192.0.2.7", &a));
	session_connect(&c, "evil name=x", &a, "192.0.2.7");
	session_helo(&c, "ev il verdict=accept \"x\" \x01 \xff j\xc3\xb6rg");
	session_mail(&c, mail_argv, &m, &res);
	session_rcpt(&c, rcpt_argv, NULL, &res);
	session_abort(&c);
	/* the SIZE syntax rule's reason quotes the client's token */
	session_mail(&c, bad_size, &m, &res);
	ck_assert(res.stop);
	session_close(&c);

	for (guint i = 0; i < lines->len; i++) {
		line = g_ptr_array_index(lines, i);
		kv = parse_fields(g_str_has_prefix(line, "violation ")
				  ? line + strlen("violation ") : line);
		ck_assert_str_eq(field(kv, "client", &n), "evil name=x[192.0.2.7]");
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(field(kv, "from", &n), "<a\"b\\c verdict=accept@example.org>");
		ck_assert_uint_eq(n, 1);
		if (strstr(line, " verdict=") != NULL && !g_str_has_prefix(line, "violation ")) {
			field(kv, "verdict", &n);
			ck_assert_uint_eq(n, 1);
			/* the verdict is the last field */
			ck_assert_str_eq(g_ptr_array_index(kv, kv->len - 2), "verdict");
			ck_assert_str_eq(field(kv, "helo", &n),
					 "ev il verdict=accept \"x\" ? ? j\xc3\xb6rg");
		}
		if (strstr(line, "rule=param_value") != NULL) {
			ck_assert_str_eq(field(kv, "rcpt", &n) ? field(kv, "rcpt", &n) : "", "");
			ck_assert_str_eq(field(kv, "reason", &n),
					 "BODY=8\"BIT: not 7BIT, 8BITMIME or BINARYMIME (RFC 6152, RFC 3030) (param_value)");
		}
		g_ptr_array_unref(kv);
	}
	line = g_ptr_array_index(lines, 1);
	kv = parse_fields(line);
	ck_assert_str_eq(field(kv, "params", &n), "BODY=8\"BIT");
	ck_assert_str_eq(field(kv, "verdict", &n), "abort");
	g_ptr_array_unref(kv);
	g_ptr_array_unref(lines);
	stats_clear(&st);
	config_unref(cfg);
}
END_TEST

START_TEST(test_value_and_text)
{
	char buf[64];

	ck_assert_str_eq(session_log_value(buf, sizeof buf, "plain"), "plain");
	ck_assert_str_eq(session_log_value(buf, sizeof buf, ""), "\"\"");
	ck_assert_str_eq(session_log_value(buf, sizeof buf, "a b"), "\"a b\"");
	ck_assert_str_eq(session_log_value(buf, sizeof buf, "a=b"), "\"a=b\"");
	ck_assert_str_eq(session_log_value(buf, sizeof buf, "a\"b\\c"), "\"a\\\"b\\\\c\"");
	/* valid UTF-8 stays, the rest becomes "?", cut on a character */
	session_sanitize_text(buf, sizeof buf, "j\xc3\xb6rg\x01\xc3(\xc2\x85");
	ck_assert_str_eq(buf, "j\xc3\xb6rg?\?(?");
	session_sanitize_text(buf, sizeof buf, "a\x7f" "b\x1b[0m");	/* DEL, ESC */
	ck_assert_str_eq(buf, "a?b?[0m");
	session_sanitize_text(buf, 8, "aaaa\xc3\xb6\xc3\xb6");
	ck_assert_str_eq(buf, "aaaa...");
	session_sanitize_text(buf, 8, "aaaa\xc3\xb6");
	ck_assert_str_eq(buf, "aaaa\xc3\xb6");
}
END_TEST

/* The bounds, exactly: a value that just fits, one octet more, and the
   last C1 control. */
START_TEST(test_bounds_exact)
{
	char buf[16], small[8];

	/* 7 octets fit in 8 as they are, 8 do not */
	session_sanitize_text(small, sizeof small, "abcdefg");
	ck_assert_str_eq(small, "abcdefg");
	session_sanitize_text(small, sizeof small, "abcdefgh");
	ck_assert_uint_lt(strlen(small), sizeof small);
	ck_assert_str_eq(small, "abcd...");
	session_sanitize_str(small, sizeof small, "abcdefg");
	ck_assert_str_eq(small, "abcdefg");
	session_sanitize_str(small, sizeof small, "abcdefgh");
	ck_assert_str_eq(small, "abcd...");
	ck_assert_str_eq(session_log_value(small, sizeof small, "abcdefg"), "abcdefg");
	ck_assert_str_eq(session_log_value(small, sizeof small, "abcdefgh"), "abcd...");
	/* U+0080 to U+009F are controls, U+00A0 is not */
	session_sanitize_text(buf, sizeof buf, "a\xc2\x9f" "b\xc2\xa0" "c");
	ck_assert_str_eq(buf, "a?b\xc2\xa0" "c");
}
END_TEST

/* rcpt_params= names each RCPT keyword once, in the order first seen. */
START_TEST(test_rcpt_params)
{
	esmtp_config *cfg = config_new_defaults();
	session_conn c;
	session_result res;
	char from[] = "<a@example.org>", r1[] = "<b@example.net>", r2[] = "<c@example.net>";
	char n1[] = "NOTIFY=SUCCESS", n2[] = "notify=never", o[] = "ORCPT=rfc822;b@example.net";
	char *mail_argv[] = {from, NULL};
	char *rcpt1[] = {r1, n1, o, NULL}, *rcpt2[] = {r2, n2, NULL};
	session_macros m = {.protocol = "ESMTP"};

	lines = g_ptr_array_new_with_free_func(g_free);
	session_init(&c, cfg, NULL, capture, NULL);
	session_mail(&c, mail_argv, &m, &res);
	session_rcpt(&c, rcpt1, NULL, &res);
	session_rcpt(&c, rcpt2, NULL, &res);
	session_abort(&c);
	session_close(&c);
	ck_assert_uint_eq(lines->len, 1);
	ck_assert_msg(strstr(g_ptr_array_index(lines, 0),
			     " rcpts=2 rcpt_params=NOTIFY,ORCPT size_declared=none ") != NULL,
		      "%s", (char *)g_ptr_array_index(lines, 0));
	g_ptr_array_unref(lines);
	config_unref(cfg);
}
END_TEST

/* A parameter with an empty keyword ("=x") after others, on MAIL and
 * on RCPT: listed as "?", and the walk over the list ends (it once
 * looped for ever on the empty needle). CK_FORK's timeout fails a hang. */
START_TEST(test_empty_keyword)
{
	esmtp_config *cfg = config_new_defaults();
	session_conn c;
	session_result res;
	char from[] = "<a@example.org>", r1[] = "<b@example.net>", r2[] = "<c@example.net>";
	char size[] = "SIZE=100", n1[] = "NOTIFY=NEVER", e1[] = "=x", e2[] = "=x";
	char *mail_argv[] = {from, size, e1, NULL};
	char *rcpt1[] = {r1, n1, NULL}, *rcpt2[] = {r2, e2, NULL};
	session_macros m = {.protocol = "ESMTP"};
	GPtrArray *kv;
	unsigned count;

	lines = g_ptr_array_new_with_free_func(g_free);
	for (unsigned r = 0; r < RULE_COUNT; r++)
		cfg->actions[r] = ACTION_LOG;
	session_init(&c, cfg, NULL, capture, NULL);
	session_mail(&c, mail_argv, &m, &res);
	session_rcpt(&c, rcpt1, NULL, &res);
	session_rcpt(&c, rcpt2, NULL, &res);
	session_abort(&c);
	session_close(&c);
	ck_assert_uint_ge(lines->len, 1);
	kv = parse_fields(g_ptr_array_index(lines, lines->len - 1));
	ck_assert_str_eq(field(kv, "params", &count), "SIZE,?");
	ck_assert_str_eq(field(kv, "rcpt_params", &count), "NOTIFY,?");
	ck_assert_str_eq(field(kv, "rcpts", &count), "2");
	g_ptr_array_unref(kv);
	g_ptr_array_unref(lines);
	config_unref(cfg);
}
END_TEST

/* The longest values there can be: every line still ends in its last field. */
START_TEST(test_bounded)
{
	esmtp_config *cfg = config_new_defaults();
	session_conn c;
	session_result res;
	char big[600], quotes[600], sz[] = "SIZE=x";
	char notify[] = "NOTIFY=NEVER", orcpt[] = "ORCPT=rfc822;a@b";
	char x1[] = "X-PRIVATE-PARAMETER-ONE", x2[] = "X-PRIVATE-PARAMETER-TWO";
	char x3[] = "X-PRIVATE-PARAMETER-THREE", x4[] = "X-PRIVATE-PARAMETER-FOUR";
	char *argv[] = {quotes, sz, NULL};
	char *rargv[] = {quotes, notify, orcpt, x1, x2, x3, x4, NULL};
	session_macros m = {.protocol = "ESMTP",
			    .queue_id = "QUEUEID_OF_SIXTY_THREE_OCTETS_QUEUEID_OF_SIXTY_THREE_OCTETS_Q"};

	memset(big, 'h', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memset(quotes, '"', sizeof quotes - 1);
	quotes[sizeof quotes - 1] = '\0';
	lines = g_ptr_array_new_with_free_func(g_free);
	g_array_set_size(cfg->trusted_networks, 0);
	for (unsigned r = 0; r < RULE_COUNT; r++)
		cfg->actions[r] = ACTION_TEMPFAIL;
	session_init(&c, cfg, NULL, capture, NULL);
	session_connect(&c, big, NULL, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	session_helo(&c, big);
	session_mail(&c, argv, &m, &res);
	session_rcpt(&c, rargv, NULL, &res);
	session_close(&c);
	ck_assert_uint_ge(lines->len, 2);
	for (guint i = 0; i < lines->len; i++) {
		const char *line = g_ptr_array_index(lines, i);
		/* the queue id and ": " come before it in the daemon's line */
		ck_assert_uint_le(strlen(line) + strlen(m.queue_id) + 2, 1023);
		g_ptr_array_unref(parse_fields(g_str_has_prefix(line, "violation ")
					       ? line + 10 : line));
		if (!g_str_has_prefix(line, "violation ")) {
			GPtrArray *kv = parse_fields(line);

			ck_assert_msg(strcmp(g_ptr_array_index(kv, kv->len - 2), "verdict") == 0,
				      "%s", line);
			g_ptr_array_unref(kv);
		}
	}
	g_ptr_array_unref(lines);
	config_unref(cfg);
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *t = tcase_create("grammar");

	tcase_add_test(t, test_forged_fields);
	tcase_add_test(t, test_value_and_text);
	tcase_add_test(t, test_bounds_exact);
	tcase_add_test(t, test_bounded);
	tcase_add_test(t, test_rcpt_params);
	tcase_add_test(t, test_empty_keyword);
	suite_add_tcase(s, t);
	return s;
}
