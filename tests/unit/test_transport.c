/*
 * TLS and AUTH as the MTA reports them: the buckets, the session's
 * counters and log fields, and requiretls_without_tls, which fires only
 * where the MTA says the session is plaintext.
 */
#include <string.h>
#include <glib.h>

#include "session.h"
#include "transport.h"
#include "unit.h"

START_TEST(test_buckets)
{
	ck_assert_int_eq(tls_version_of("TLSv1.3", true), TLS_V1_3);
	ck_assert_int_eq(tls_version_of("tlsv1.2", true), TLS_V1_2);
	ck_assert_int_eq(tls_version_of("TLSv1.1", false), TLS_V1_1);
	ck_assert_int_eq(tls_version_of("TLSv1", true), TLS_V1);
	ck_assert_int_eq(tls_version_of("SSLv3", true), TLS_OTHER);
	ck_assert_int_eq(tls_version_of(NULL, true), TLS_PLAINTEXT);
	ck_assert_int_eq(tls_version_of("", true), TLS_PLAINTEXT);
	ck_assert_int_eq(tls_version_of(NULL, false), TLS_UNKNOWN);
	ck_assert_int_eq(cipher_strength_of(TLS_V1_3, "256"), CIPHER_256);
	ck_assert_int_eq(cipher_strength_of(TLS_V1_2, "128"), CIPHER_128);
	ck_assert_int_eq(cipher_strength_of(TLS_V1_2, "168"), CIPHER_128);
	ck_assert_int_eq(cipher_strength_of(TLS_V1, "56"), CIPHER_WEAK);
	ck_assert_int_eq(cipher_strength_of(TLS_V1_3, NULL), CIPHER_UNKNOWN);
	ck_assert_int_eq(cipher_strength_of(TLS_V1_3, "lots"), CIPHER_UNKNOWN);
	ck_assert_int_eq(cipher_strength_of(TLS_PLAINTEXT, NULL), CIPHER_NONE);
	ck_assert_int_eq(cipher_strength_of(TLS_UNKNOWN, "256"), CIPHER_UNKNOWN);
	ck_assert_int_eq(auth_mechanism_of("plain"), AUTH_PLAIN);
	ck_assert_int_eq(auth_mechanism_of("SCRAM-SHA-256"), AUTH_SCRAM_SHA_256);
	ck_assert_int_eq(auth_mechanism_of("XOAUTH2"), AUTH_XOAUTH2);
	ck_assert_int_eq(auth_mechanism_of("GSSAPI"), AUTH_OTHER);
	ck_assert_int_eq(auth_mechanism_of(""), AUTH_NONE);
	ck_assert_int_eq(auth_mechanism_of(NULL), AUTH_NONE);
	ck_assert_str_eq(tls_version_log_name(TLS_PLAINTEXT), "none");
	ck_assert_str_eq(tls_version_name(TLS_PLAINTEXT), "plaintext");
	ck_assert_str_eq(cipher_strength_name(CIPHER_WEAK), "lt128");
}
END_TEST

static GPtrArray *lines;

static void
capture(void *data, int priority, const char *qid, const char *line)
{
	(void)data;
	(void)priority;
	(void)qid;
	g_ptr_array_add(lines, g_strdup(line));
}

/* One transaction: MAIL with REQUIRETLS, in the given TLS state. */
static session_result
requiretls_session(stats *st, const char *helo_tls, bool asked,
		   const char *auth)
{
	esmtp_config *cfg = config_new_defaults();
	session_conn c;
	session_result res;
	char from[] = "<a@example.org>", rt[] = "REQUIRETLS";
	char *argv[] = {from, rt, NULL};
	session_macros m = {.protocol = "ESMTP", .auth_type = auth};

	g_array_set_size(cfg->trusted_networks, 0);
	cfg->exempt_authenticated = false;
	cfg->actions[RULE_REQUIRETLS_WITHOUT_TLS] = ACTION_REJECT;
	session_init(&c, cfg, st, capture, NULL);
	session_helo(&c, "mx.example");
	session_tls(&c, helo_tls, helo_tls != NULL ? "256" : NULL, asked);
	session_mail(&c, argv, &m, &res);
	session_abort(&c);
	session_close(&c);
	config_unref(cfg);
	return res;
}

START_TEST(test_requiretls_and_counters)
{
	stats st;
	session_result res;

	lines = g_ptr_array_new_with_free_func(g_free);
	stats_init(&st);
	/* plaintext, as the MTA says: refused with RFC 3207/5248's code */
	res = requiretls_session(&st, NULL, true, NULL);
	ck_assert(res.stop);
	ck_assert_str_eq(res.reply.code, "530");
	ck_assert_str_eq(res.reply.enhanced, "5.7.10");
	ck_assert_str_eq(res.text, "REQUIRETLS in a session without TLS (requiretls_without_tls)");
	/* under TLS: nothing to say */
	res = requiretls_session(&st, "TLSv1.3", true, "PLAIN");
	ck_assert(!res.stop);
	ck_assert(strstr(g_ptr_array_index(lines, lines->len - 1),
			 " tls=TLSv1.3 auth=PLAIN ") != NULL);
	/* the MTA does not say: never guessed */
	res = requiretls_session(&st, NULL, false, NULL);
	ck_assert(!res.stop);
	ck_assert(strstr(g_ptr_array_index(lines, lines->len - 1),
			 " tls=unknown auth=none ") != NULL);
	ck_assert_uint_eq(stats_get(&st.violations[RULE_REQUIRETLS_WITHOUT_TLS][ACTION_REJECT]), 1);
	ck_assert_uint_eq(stats_get(&st.tls_sessions[TLS_PLAINTEXT]), 1);
	ck_assert_uint_eq(stats_get(&st.tls_sessions[TLS_V1_3]), 1);
	ck_assert_uint_eq(stats_get(&st.tls_sessions[TLS_UNKNOWN]), 1);
	ck_assert_uint_eq(stats_get(&st.tls_transactions[TLS_V1_3]), 1);
	ck_assert_uint_eq(stats_get(&st.cipher_transactions[CIPHER_256]), 1);
	ck_assert_uint_eq(stats_get(&st.cipher_transactions[CIPHER_NONE]), 1);
	ck_assert_uint_eq(stats_get(&st.auth_transactions[AUTH_PLAIN]), 1);
	ck_assert_uint_eq(stats_get(&st.auth_transactions[AUTH_NONE]), 0);
	stats_clear(&st);
	g_ptr_array_unref(lines);
}
END_TEST

/* STARTTLS, then a HELO callback without the macros: still TLS. */
START_TEST(test_tls_is_kept)
{
	esmtp_config *cfg = config_new_defaults();
	session_conn c;

	session_init(&c, cfg, NULL, NULL, NULL);
	session_tls(&c, NULL, NULL, true);
	ck_assert_int_eq(c.tls, TLS_PLAINTEXT);
	session_tls(&c, "TLSv1.2", "128", true);
	ck_assert_int_eq(c.tls, TLS_V1_2);
	ck_assert_int_eq(c.cipher, CIPHER_128);
	session_tls(&c, NULL, NULL, true);
	ck_assert_int_eq(c.tls, TLS_V1_2);
	session_tls(&c, NULL, NULL, false);
	ck_assert_int_eq(c.tls, TLS_V1_2);
	session_close(&c);
	config_unref(cfg);
}
END_TEST

Suite *
transport_suite(void)
{
	Suite *s = suite_create("transport");
	TCase *t = tcase_create("tls and auth");

	tcase_add_test(t, test_buckets);
	tcase_add_test(t, test_requiretls_and_counters);
	tcase_add_test(t, test_tls_is_kept);
	suite_add_tcase(s, t);
	return s;
}
