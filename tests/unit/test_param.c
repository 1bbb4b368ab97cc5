/* RFC 5321 4.1.2 esmtp-param syntax, one row per case. */
#include <string.h>

#include <glib.h>

#include "esmtp_param.h"
#include "unit.h"

static const struct {
	const char *raw;
	esmtp_param_status want;
	const char *keyword;
	const char *value;	/* NULL: no "=" */
} cases[] = {
	{"SIZE=100", PARAM_OK, "SIZE", "100"},
	{"size=100", PARAM_OK, "size", "100"},
	{"SMTPUTF8", PARAM_OK, "SMTPUTF8", NULL},
	{"MT-PRIORITY=3", PARAM_OK, "MT-PRIORITY", "3"},
	{"X-FOO=bar", PARAM_OK, "X-FOO", "bar"},
	{"9X=1", PARAM_OK, "9X", "1"},
	{"", PARAM_EMPTY, NULL, NULL},
	{"-FOO=1", PARAM_BAD_KEYWORD, NULL, NULL},
	{"FO_O=1", PARAM_BAD_KEYWORD, NULL, NULL},
	{"=1", PARAM_BAD_KEYWORD, NULL, NULL},
	{"F\xc3\xa9=1", PARAM_BAD_KEYWORD, NULL, NULL},
	{"SIZE=", PARAM_EMPTY_VALUE, NULL, NULL},
	{"SIZE=1 2", PARAM_BAD_VALUE, NULL, NULL},
	{"ENVID=a=b", PARAM_BAD_VALUE, NULL, NULL},
	{"XVERP=+=", PARAM_OK, "XVERP", "+="},	/* Postfix's own */
	{"XVERP=+ =", PARAM_BAD_VALUE, NULL, NULL},
	{"ENVID=a\tb", PARAM_BAD_VALUE, NULL, NULL},
	{"ENVID=a\x7f", PARAM_BAD_VALUE, NULL, NULL},
	{"ENVID=\x01", PARAM_BAD_VALUE, NULL, NULL},
	{"ENVID=~!<>", PARAM_OK, "ENVID", "~!<>"},
	{"ORCPT=rfc822;\xc3\xa9@x", PARAM_OK, "ORCPT", "rfc822;\xc3\xa9@x"},
	{"ORCPT=rfc822;\xe9@x", PARAM_BAD_UTF8_VALUE, NULL, NULL},
	{"ORCPT=\xff", PARAM_BAD_UTF8_VALUE, NULL, NULL},
};

START_TEST(test_parse_table)
{
	esmtp_param p;
	esmtp_param_status st = esmtp_param_parse(cases[_i].raw, &p);

	ck_assert_msg(st == cases[_i].want, "%s: got %s", cases[_i].raw,
		      esmtp_param_status_text(st));
	if (st != PARAM_OK)
		return;
	ck_assert_uint_eq(p.keyword_len, strlen(cases[_i].keyword));
	ck_assert(strncmp(p.keyword, cases[_i].keyword, p.keyword_len) == 0);
	if (cases[_i].value == NULL) {
		ck_assert_ptr_null(p.value);
	} else {
		ck_assert_uint_eq(p.value_len, strlen(cases[_i].value));
		ck_assert(memcmp(p.value, cases[_i].value, p.value_len) == 0);
	}
}
END_TEST

START_TEST(test_null_and_long)
{
	esmtp_param p;
	char *big = g_malloc(200001);

	ck_assert_int_eq(esmtp_param_parse(NULL, &p), PARAM_EMPTY);
	memset(big, 'A', 200000);
	big[200000] = '\0';
	ck_assert_int_eq(esmtp_param_parse(big, &p), PARAM_OK);
	big[100000] = '=';
	ck_assert_int_eq(esmtp_param_parse(big, &p), PARAM_OK);
	ck_assert_uint_eq(p.value_len, 99999);
	big[150000] = '\x80';
	ck_assert_int_eq(esmtp_param_parse(big, &p),
			 PARAM_BAD_UTF8_VALUE);
	g_free(big);
}
END_TEST

START_TEST(test_keyword_helpers)
{
	ck_assert(esmtp_keyword_is_private("XVERP", 5));
	ck_assert(esmtp_keyword_is_private("x-foo", 5));
	ck_assert(!esmtp_keyword_is_private("SIZE", 4));
	ck_assert(!esmtp_keyword_is_private("", 0));
}
END_TEST

Suite *
param_suite(void)
{
	Suite *s = suite_create("esmtp_param");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_table, 0, G_N_ELEMENTS(cases));
	tcase_add_test(tc, test_null_and_long);
	tcase_add_test(tc, test_keyword_helpers);
	suite_add_tcase(s, tc);
	return s;
}
