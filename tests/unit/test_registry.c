/*
 * Every registry row's value checker, with the valid and invalid examples
 * from its RFC (cited in the registry row) and the edge cases of
 * the readings chosen where an RFC is ambiguous.
 */
#include <string.h>
#include <glib.h>

#include "registry.h"
#include "unit.h"

#define NOVAL NULL

static const struct {
	const char *keyword;
	const char *value;
	bool valid;
} cases[] = {
	/* SIZE, RFC 1870 */
	{"SIZE", "0", true}, {"SIZE", "500000", true},
	{"SIZE", "00000000000000000001", true},
	{"SIZE", "99999999999999999999", true},
	{"SIZE", "", false}, {"SIZE", NOVAL, false}, {"SIZE", "-1", false},
	{"SIZE", "1e6", false}, {"SIZE", "123456789012345678901", false},
	{"SIZE", "abc", false},
	/* BODY, RFC 6152 and RFC 3030 */
	{"BODY", "7BIT", true}, {"BODY", "8BITMIME", true},
	{"BODY", "binarymime", true}, {"BODY", "8bitmime", true},
	{"BODY", "8BIT", false}, {"BODY", "BINARY", false},
	{"BODY", "8BITMIME,7BIT", false}, {"BODY", NOVAL, false},
	{"BODY", "FOO", false},
	/* AUTH, RFC 4954 */
	{"AUTH", "<>", true}, {"AUTH", "e+3Dmc2@example.com", true},
	{"AUTH", "john+2B@example.org", true},
	{"AUTH", "e+3dmc2@example.com", true},
	{"AUTH", "+3C+3E", true},
	{"AUTH", "e=mc2@example.com", false}, {"AUTH", "john+@example.org", false},
	{"AUTH", "user", false}, {"AUTH", "<u@example.com>", false},
	{"AUTH", NOVAL, false}, {"AUTH", "a+4", false},
	{"AUTH", "j\xc3\xb6rg@example.net", true},	/* SMTPUTF8 */
	{"AUTH", "j\xf6rg@example.net", false},
	{"ENVID", "caf\xc3\xa9", false},
	/* RET, RFC 3461 */
	{"RET", "FULL", true}, {"RET", "HDRS", true}, {"RET", "hdrs", true},
	{"RET", "HEADERS", false}, {"RET", "FULL,HDRS", false},
	{"RET", "ALL", false}, {"RET", NOVAL, false},
	/* ENVID, RFC 3461 */
	{"ENVID", "QQ314159", true}, {"ENVID", "abc+2Bdef", true},
	{"ENVID", "id+20x", true},
	{"ENVID", "a+b", false}, {"ENVID", "a+2b", false},
	{"ENVID", "+E9", false}, {"ENVID", "+00", false},
	{"ENVID", NOVAL, false},
	{"ENVID", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789", true},
	{"ENVID", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789X", false},
	/* SMTPUTF8, RFC 6531 */
	{"SMTPUTF8", NOVAL, true}, {"SMTPUTF8", "YES", false},
	{"SMTPUTF8", "yes", false},
	/* MT-PRIORITY, RFC 6710 */
	{"MT-PRIORITY", "0", true}, {"MT-PRIORITY", "3", true},
	{"MT-PRIORITY", "-9", true}, {"MT-PRIORITY", "9", true},
	{"MT-PRIORITY", "+3", false}, {"MT-PRIORITY", "-0", false},
	{"MT-PRIORITY", "10", false}, {"MT-PRIORITY", "12", false},
	{"MT-PRIORITY", "03", false}, {"MT-PRIORITY", NOVAL, false},
	/* BY, RFC 2852 */
	{"BY", "3600;R", true}, {"BY", "-60;N", true}, {"BY", "+120;NT", true},
	{"BY", "0;N", true}, {"BY", "999999999;rt", true},
	{"BY", "0;R", false}, {"BY", "-5;R", false}, {"BY", "3600", false},
	{"BY", "3600;X", false}, {"BY", "1234567890;N", false},
	{"BY", "3600;TR", false}, {"BY", ";N", false}, {"BY", "+;N", false},
	{"BY", "3600;NTT", false}, {"BY", NOVAL, false},
	/* HOLDFOR, RFC 4865 */
	{"HOLDFOR", "1", true}, {"HOLDFOR", "3600", true},
	{"HOLDFOR", "999999999", true},
	{"HOLDFOR", "0", false}, {"HOLDFOR", "0600", false},
	{"HOLDFOR", "1000000000", false}, {"HOLDFOR", "-5", false},
	/* HOLDUNTIL, RFC 4865 (UTC date-time chosen) */
	{"HOLDUNTIL", "2030-01-01T00:00:00Z", true},
	{"HOLDUNTIL", "2030-06-30T12:30:45Z", true},
	{"HOLDUNTIL", "2030-06-30t12:30:45.25z", true},
	{"HOLDUNTIL", "2030-01-01", false},
	{"HOLDUNTIL", "2030-01-01T00:00:00", false},
	{"HOLDUNTIL", "2030-01-01T09:00:00+09:00", false},
	{"HOLDUNTIL", "2030-13-01T00:00:00Z", false},
	{"HOLDUNTIL", "2030-01-01T24:00:00Z", false},
	/* MTRK, RFC 3885 (1*base64 chosen) */
	{"MTRK", "A", true}, {"MTRK", "x:86400", true}, {"MTRK", "/:1", true},
	{"MTRK", "w0mcJylzCn+AfvuGdqkty2+KP48", true},
	{"MTRK", "A:", false}, {"MTRK", ":3600", false},
	{"MTRK", "A:1234567890", false}, {"MTRK", "a-b", false},
	/* SOLICIT, RFC 3865 */
	{"SOLICIT", "org.example:ADV:ADLT", true},
	{"SOLICIT", "net.example:ADV,org.example:ADV:ADLT", true},
	{"SOLICIT", "a", true},
	{"SOLICIT", "1net.example:ADV", false},
	{"SOLICIT", "net.example:ADV,", false},
	{"SOLICIT", "net.example:ADV/X", false},
	/* TRANSID, RFC 1845 */
	{"TRANSID", "<12345.678@client.example.com>", true},
	{"TRANSID", "<a@b>", true}, {"TRANSID", "<X1.Y2@host>", true},
	{"TRANSID", "12345@client.example.com", false},
	{"TRANSID", "<12345>", false}, {"TRANSID", "<a.@b>", false},
	{"TRANSID", "<a@b@c>", false},
	{"TRANSID", "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@bbbbbbbbbb>", false},
	/* REQUIRETLS, RFC 8689; CONPERM and CONNEG, RFC 4141 */
	{"REQUIRETLS", NOVAL, true}, {"REQUIRETLS", "YES", false},
	{"CONPERM", NOVAL, true}, {"CONPERM", "ANY", false},
	{"CONNEG", NOVAL, true}, {"CONNEG", "1", false},
	/* NOTIFY, RFC 3461 */
	{"NOTIFY", "NEVER", true}, {"NOTIFY", "SUCCESS,FAILURE", true},
	{"NOTIFY", "delay,Failure", true},
	{"NOTIFY", "SUCCESS,FAILURE,DELAY", true},
	{"NOTIFY", "NEVER,SUCCESS", false}, {"NOTIFY", "ALWAYS", false},
	{"NOTIFY", "SUCCESS;FAILURE", false}, {"NOTIFY", "SUCCESS,,DELAY", false},
	{"NOTIFY", "SUCCESS,", false}, {"NOTIFY", "DELAY,DELAY", false},
	{"NOTIFY", NOVAL, false},
	/* ORCPT, RFC 3461 */
	{"ORCPT", "rfc822;Bob@Example.COM", true},
	{"ORCPT", "rfc822;e+3Dmc2@example.com", true},
	{"ORCPT", "utf-8;user@example.com", true},
	{"ORCPT", "Bob@Example.COM", false},
	{"ORCPT", "rfc822;a=b@example.com", false},
	{"ORCPT", "rfc822;a+b@x.example", false},
	{"ORCPT", ";bob@example.com", false},
	{"ORCPT", "rfc822;", false},
	/* RFC 6533: UTF-8 as it is, for addr-type utf-8 only */
	{"ORCPT", "utf-8;\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example", true},
	{"ORCPT", "UTF-8;j\xc3\xb6rg@example.net", true},
	{"ORCPT", "utf-8;user\\x{E9}@example.net", true},
	{"ORCPT", "rfc822;j\xc3\xb6rg@example.net", false},
	{"ORCPT", "utf-8;j\xf6rg@example.net", false},
	{"ORCPT", "utf-8;a+b@example.net", false},
	/* RRVS, RFC 7293 */
	{"RRVS", "2014-04-03T23:01:00Z", true},
	{"RRVS", "2014-04-03T23:01:00-05:00;C", true},
	{"RRVS", "2014-04-03T23:01:00Z;R", true},
	{"RRVS", "2014-04-03T23:01:00.5Z", false},
	{"RRVS", "2014-04-03", false},
	{"RRVS", "2014-04-03T23:01:00Z;X", false},
	{"RRVS", "2014-04-03T23:01:00Z;", false},
	/* SUBMITTER, RFC 4405; ALT-ADDRESS, RFC 5336 */
	{"SUBMITTER", "alice@example.com", true},
	{"SUBMITTER", "e+3Dmc2@example.com", true},
	{"SUBMITTER", "<alice@example.com>", false},
	{"SUBMITTER", "alice", false},
	{"ALT-ADDRESS", "user@example.com", true},
	{"ALT-ADDRESS", "a+2Bb@example.org", true},
	{"ALT-ADDRESS", "+C3+A9@example.com", false},
	{"ALT-ADDRESS", "a+b@example.org", false},
};

START_TEST(test_checker_table)
{
	const registry_entry *row = registry_lookup(cases[_i].keyword,
						    strlen(cases[_i].keyword));
	const char *why = NULL;
	const char *v = cases[_i].value;
	bool ok;

	ck_assert_ptr_nonnull(row);
	ok = registry_check_value(row, v, v != NULL ? strlen(v) : 0, NULL, &why);
	ck_assert_msg(ok == cases[_i].valid, "%s=%s: expected %s", row->keyword,
		      v != NULL ? v : "(none)",
		      cases[_i].valid ? "valid" : "invalid");
	if (!ok)
		ck_assert_msg(why != NULL && *why != '\0', "no reason given");
}
END_TEST

START_TEST(test_every_row_is_tested)
{
	for (size_t i = 0; i < registry_count; i++) {
		bool valid = false, invalid = false;

		for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
			if (strcmp(cases[k].keyword, registry_table[i].keyword))
				continue;
			if (cases[k].valid)
				valid = true;
			else
				invalid = true;
		}
		ck_assert_msg(valid && invalid, "%s lacks valid or invalid cases",
			      registry_table[i].keyword);
		ck_assert_ptr_nonnull(registry_table[i].rfc);
		ck_assert(registry_table[i].commands != 0);
	}
}
END_TEST

START_TEST(test_lookup)
{
	ck_assert_ptr_nonnull(registry_lookup("size", 4));
	ck_assert_ptr_nonnull(registry_lookup("Mt-Priority", 11));
	ck_assert_ptr_null(registry_lookup("SIZ", 3));
	ck_assert_ptr_null(registry_lookup("XVERP", 5));
	ck_assert_ptr_null(registry_lookup("", 0));
	ck_assert(registry_lookup("NOTIFY", 6)->commands == (1u << CMD_RCPT));
	ck_assert(registry_lookup("SIZE", 4)->bad_value_rule == RULE_SIZE_SYNTAX);
	ck_assert_str_eq(registry_lookup("MT-PRIORITY", 11)->bad_value_reply.enhanced,
			 "5.5.2");
}
END_TEST

START_TEST(test_size_value)
{
	guint64 v = 0;

	ck_assert(registry_size_value("12000", 5, &v));
	ck_assert_uint_eq(v, 12000);
	ck_assert(registry_size_value("99999999999999999999", 20, &v));
	ck_assert_uint_eq(v, G_MAXUINT64);
	ck_assert(registry_size_value("18446744073709551615", 20, &v));
	ck_assert_uint_eq(v, G_MAXUINT64);
	ck_assert(!registry_size_value(NULL, 0, &v));
	ck_assert(!registry_size_value("12a", 3, &v));
}
END_TEST

Suite *
registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("checkers");

	tcase_add_loop_test(tc, test_checker_table, 0, G_N_ELEMENTS(cases));
	tcase_add_test(tc, test_every_row_is_tested);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_size_value);
	suite_add_tcase(s, tc);
	return s;
}
