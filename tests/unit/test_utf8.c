/*
 * Client text in bounded fields (utf8_text.h) and the statistics' round
 * trip: whatever a client sends, what is stored, logged and written as
 * JSON is valid UTF-8, cut on character boundaries, and reads back.
 */
#include <string.h>
#include <glib.h>

#include "../fuzz/stats_roundtrip.h"
#include "report.h"
#include "session_log.h"
#include "stats.h"
#include "stats_export.h"
#include "stats_load.h"
#include "unit.h"
#include "utf8_text.h"

#define EURO "\xe2\x82\xac"

START_TEST(test_copy_cuts_on_boundary)
{
	static const struct {
		const char *in;
		size_t size;
		const char *out;
	} cases[] = {
		{"abc", 4, "abc"},
		{"abc", 3, "ab"},
		{"ab" EURO, 6, "ab" EURO},
		{"ab" EURO, 5, "ab"},		/* the euro sign whole or not */
		{"ab" EURO, 4, "ab"},
		{"ab" EURO "c", 6, "ab" EURO},
		{"a\xe2\x82" "b", 10, "a??b"},	/* half a character */
		{"ab\xe2\x82", 10, "ab??"},	/* half of one at the end */
		{"\xff\xfe", 10, "??"},
		{"\xed\xa0\x80", 10, "???"},	/* a surrogate is not UTF-8 */
		{"\xc0\xaf", 10, "??"},		/* nor an overlong form */
		{"\xf0\x9f\x98\x80", 4, ""},	/* four octets need five */
		{"\xf0\x9f\x98\x80", 5, "\xf0\x9f\x98\x80"},
		{"", 1, ""},
		{NULL, 4, ""},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char buf[16];

		memset(buf, 'x', sizeof buf);
		ck_assert_uint_eq(utf8_copy(buf, cases[i].size, cases[i].in),
				  strlen(cases[i].out));
		ck_assert_msg(strcmp(buf, cases[i].out) == 0, "case %zu: \"%s\"", i, buf);
		ck_assert(g_utf8_validate(buf, -1, NULL));
	}
}
END_TEST

START_TEST(test_valid_dup)
{
	g_autofree char *a = utf8_valid_dup("ok " EURO);
	g_autofree char *b = utf8_valid_dup("x\xe2\x82");
	g_autofree char *c = NULL;
	unsigned replaced = 0;

	ck_assert_str_eq(a, "ok " EURO);
	ck_assert_str_eq(b, "x??");
	c = utf8_valid_dup_len("a\0b\xff", 4, &replaced);
	ck_assert_str_eq(c, "a?b?");
	ck_assert_uint_eq(replaced, 2);
	ck_assert(utf8_is_valid(NULL) && utf8_is_valid(EURO) && !utf8_is_valid("\x80"));
	ck_assert_ptr_null(utf8_valid_dup(NULL));
}
END_TEST

START_TEST(test_boundary)
{
	ck_assert_uint_eq(utf8_boundary("ab" EURO "c", 3), 2);
	ck_assert_uint_eq(utf8_boundary("ab" EURO "c", 4), 2);
	ck_assert_uint_eq(utf8_boundary("ab" EURO "c", 5), 5);
	ck_assert_uint_eq(utf8_boundary("ab", 10), 2);
	ck_assert_uint_eq(utf8_boundary("ab", 2), 2);
}
END_TEST

/* A log value cut to its field keeps whole characters, quoted or not. */
START_TEST(test_log_value_cut)
{
	char long_plain[200], long_quoted[200], buf[40];
	const char *v;

	memset(long_plain, 0, sizeof long_plain);
	for (size_t i = 0; i + 3 < 150; i += 3)
		memcpy(long_plain + i, EURO, 3);
	for (size_t max = 8; max < sizeof buf; max++) {
		v = session_log_value(buf, max, long_plain);
		ck_assert_msg(g_utf8_validate(v, -1, NULL), "max %zu: not UTF-8", max);
		ck_assert_uint_lt(strlen(v), max);
	}
	g_snprintf(long_quoted, sizeof long_quoted, "a \"%s", long_plain);
	for (size_t max = 8; max < sizeof buf; max++) {
		v = session_log_value(buf, max, long_quoted);
		ck_assert_msg(g_utf8_validate(v, -1, NULL), "max %zu: not UTF-8", max);
		ck_assert_uint_lt(strlen(v), max);
		ck_assert(v[0] == '"' && v[strlen(v) - 1] == '"');
	}
}
END_TEST

/* The writers make valid whatever reaches them, by whatever path. */
START_TEST(test_writers_make_valid)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GString) prom = g_string_new(NULL);
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	stats_json_string(b, "helo", "aaa\xe2");
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	ck_assert_str_eq(text, "{\"helo\":\"aaa?\"}");
	stats_prometheus_escape(prom, "a\"\xff");
	ck_assert_str_eq(prom->str, "a\\\"?");
}
END_TEST

/* The page from sources whose names are not UTF-8 (the command line's). */
START_TEST(test_page_of_bad_names)
{
	static const char *const names[] = {"http://a\xff/", "b\xe2\x82"};
	g_autoptr(GString) page = g_string_new(NULL);
	g_autoptr(JsonNode) doc = NULL;
	JsonNode *docs[2];
	stats st;

	stats_init(&st);
	doc = stats_to_json(&st);
	docs[0] = docs[1] = doc;
	ck_assert(report_html_many(docs, names, 2, false, page, NULL));
	ck_assert(g_utf8_validate(page->str, (gssize)page->len, NULL));
	ck_assert_ptr_nonnull(strstr(page->str, "http://a?/"));
	stats_clear(&st);
}
END_TEST

/* A crafted source puts no control sequence on the admin's terminal. */
START_TEST(test_report_text_printable)
{
	static const char doc_text[] =
		"{\"version\": 1, \"transactions\": 3, \"top_clients\": {\"by_transactions\": "
		"[{\"address\": \"192.0.2.1\\u001b]2;owned\\u0007\", "
		"\"helo\": \"\\u001b[31mred\\u009b\", \"count\": 3}]}}";
	static const char *const names[] = {"\x1b[2Jsource"};
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GString) out = g_string_new(NULL);
	JsonNode *doc;

	ck_assert(json_parser_load_from_data(parser, doc_text, -1, NULL));
	doc = json_parser_get_root(parser);
	ck_assert(report_text_many(&doc, names, 1, out, NULL));
	for (gsize i = 0; i < out->len; i++)
		ck_assert_msg((unsigned char)out->str[i] >= 0x20 || out->str[i] == '\n',
			      "control octet 0x%02x at %zu", (unsigned char)out->str[i], i);
	ck_assert_ptr_nonnull(strstr(out->str, "?[31mred?"));
}
END_TEST

/* The reproduction: 126 letters and a euro sign in a 128-octet field. */
START_TEST(test_top_client_greeting_cut)
{
	char helo[200];
	stats st;
	stats_top_entry e[STATS_TOP_K];
	g_autofree char *json = NULL;

	memset(helo, 'a', 126);
	memcpy(helo + 126, EURO, 4);
	stats_init(&st);
	stats_client_done(&st, "192.0.2.50", helo, 38, 0, NULL);
	ck_assert_uint_eq(stats_top_snapshot(&st.top_transactions, e), 1);
	ck_assert_uint_eq(strlen(e[0].helo), 126);
	json = stats_json_text(&st, false);
	ck_assert(g_utf8_validate(json, -1, NULL));
	stats_clear(&st);
}
END_TEST

/* A state file an older daemon broke: every counter but the bad octet. */
START_TEST(test_load_repairs_and_keeps)
{
	static const char broken[] =
		"{\"version\": 1, \"transactions\": 38, \"top_clients\": "
		"{\"by_transactions\": [{\"address\": \"192.0.2.50\", "
		"\"helo\": \"aaa\xe2\", \"count\": 38}]}}";
	static const char partly[] =
		"{\"version\": 1, \"transactions\": 38, \"greetings\": 7, "
		"\"mtas\": [{\"mta\": \"a:25\", \"connections\": 2}, {\"mta\": \"\"}]}";
	stats st;
	stats_load_outcome out = {0};
	stats_top_entry e[STATS_TOP_K];
	stats_mta_entry m[STATS_MTA_MAX];
	g_autoptr(GError) error = NULL;

	stats_init(&st);
	ck_assert(stats_load_text(&st, broken, strlen(broken), &out, &error));
	ck_assert_uint_eq(stats_get(&st.transactions), 38);
	ck_assert_uint_eq(out.replaced, 1);
	ck_assert_uint_eq(out.lost->len, 0);
	ck_assert_uint_eq(stats_top_snapshot(&st.top_transactions, e), 1);
	ck_assert_str_eq(e[0].helo, "aaa?");
	stats_load_outcome_clear(&out);
	stats_clear(&st);

	stats_init(&st);
	ck_assert(stats_load_text(&st, partly, strlen(partly), &out, &error));
	ck_assert_uint_eq(stats_get(&st.transactions), 38);
	ck_assert_uint_eq(out.lost->len, 2);
	ck_assert_str_eq(g_ptr_array_index(out.lost, 0), "greetings");
	ck_assert_str_eq(g_ptr_array_index(out.lost, 1), "mtas");
	/* the good row of a bad list is kept */
	ck_assert_uint_eq(stats_mta_snapshot(&st.mtas, m), 1);
	ck_assert_uint_eq(m[0].connections, 2);
	stats_load_outcome_clear(&out);
	stats_clear(&st);

	stats_init(&st);
	ck_assert(!stats_load_text(&st, "{\"version\": 1", 13, &out, &error));
	ck_assert_ptr_nonnull(strstr(error->message, "not JSON"));
	stats_load_outcome_clear(&out);
	stats_clear(&st);
}
END_TEST

/*
 * The round trip as a property: sequences of sessions of random octets,
 * the lengths of their fields drawn around every bound (stats_roundtrip.h,
 * where the fuzz target fuzz_stats runs the same check on libFuzzer's
 * inputs). A fixed seed, so that a failure repeats.
 */
START_TEST(test_round_trip_property)
{
	static const unsigned bounds[] = {0, 1, 55, 56, 57, 63, 64, 65, 126,
					  127, 128, 129, 255, 256, 257, 319, 320, 321};
	g_autoptr(GRand) rand = g_rand_new_with_seed(20261206);

	for (unsigned round = 0; round < 300; round++) {
		GByteArray *in = g_byte_array_new();
		unsigned sessions = (unsigned)g_rand_int_range(rand, 1, 6);
		const char *why;

		for (unsigned s = 0; s < sessions; s++) {
			guint8 flags = (guint8)g_rand_int(rand);

			g_byte_array_append(in, &flags, 1);
			for (unsigned f = 0; f < 8; f++) {
				unsigned len = bounds[g_rand_int_range(rand, 0, G_N_ELEMENTS(bounds))];
				guint8 hdr[2] = {(guint8)(len >> 8), (guint8)len};
				bool ascii = g_rand_int_range(rand, 0, 3) == 0;

				g_byte_array_append(in, hdr, 2);
				for (unsigned k = 0; k < len; k++) {
					/* a mix of ASCII, UTF-8 lead and continuation
					   octets, and anything at all */
					static const guint8 some[] = {'a', '.', ' ', '=', '<', '>', '@',
								      0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0,
								      0x9f, 0xed, 0xa0, 0xff, 0x1b, 0x7f};
					guint8 o = ascii ? (guint8)g_rand_int_range(rand, 0x21, 0x7f)
						 : g_rand_boolean(rand)
						 ? some[g_rand_int_range(rand, 0, G_N_ELEMENTS(some))]
						 : (guint8)g_rand_int_range(rand, 1, 256);

					g_byte_array_append(in, &o, 1);
				}
			}
		}
		why = stats_roundtrip_check(in->data, in->len);
		ck_assert_msg(why == NULL, "round %u: %s", round, why);
		g_byte_array_unref(in);
	}
}
END_TEST

Suite *
utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("client text");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_copy_cuts_on_boundary);
	tcase_add_test(tc, test_valid_dup);
	tcase_add_test(tc, test_boundary);
	tcase_add_test(tc, test_log_value_cut);
	tcase_add_test(tc, test_writers_make_valid);
	tcase_add_test(tc, test_page_of_bad_names);
	tcase_add_test(tc, test_report_text_printable);
	tcase_add_test(tc, test_top_client_greeting_cut);
	tcase_add_test(tc, test_load_repairs_and_keeps);
	tcase_add_test(tc, test_round_trip_property);
	suite_add_tcase(s, tc);
	return s;
}
