/* RFC 1870 size accounting, limit selection and the overrun tolerance. */
#include <string.h>
#include <glib.h>

#include "size.h"
#include "unit.h"

START_TEST(test_content_simple)
{
	content_account a = {0};
	const char *body = "hello\r\nworld\r\n";

	content_header(&a, "Subject", "test", false);
	content_body(&a, (const unsigned char *)body, strlen(body));
	/* "Subject: test\r\n" "\r\n" "hello\r\nworld\r\n" */
	ck_assert_uint_eq(content_size(&a), 15 + 2 + 14);
	ck_assert(!a.header_8bit);
	ck_assert(!a.body_8bit);
}
END_TEST

START_TEST(test_content_leading_space)
{
	content_account a = {0}, b = {0};

	content_header(&a, "Subject", " test", true);
	content_header(&b, "Subject", "test", false);
	ck_assert_uint_eq(content_size(&a), content_size(&b));
	content_header(&a, "X", "\tspaced", true);	/* "X:\tspaced\r\n" */
	ck_assert_uint_eq(content_size(&a), content_size(&b) + 11);
}
END_TEST

START_TEST(test_content_folded)
{
	content_account lf = {0}, crlf = {0};

	/* a folded line is CRLF on the wire, whichever form the MTA passes */
	content_header(&lf, "To", "a@example.org,\n\tb@example.org", false);
	content_header(&crlf, "To", "a@example.org,\r\n\tb@example.org",
		       false);
	ck_assert_uint_eq(content_size(&lf), content_size(&crlf));
	ck_assert_uint_eq(content_size(&lf),
			  strlen("To: a@example.org,\r\n\tb@example.org\r\n\r\n"));
}
END_TEST

/* The 8-bit scan works in blocks: an octet anywhere in a block counts. */
START_TEST(test_content_8bit_anywhere)
{
	static const size_t at[] = {0, 7, 255, 256, 257, 511, 512, 1000, 1023};
	unsigned char body[1024];

	memset(body, 'a', sizeof body);
	for (size_t i = 0; i < G_N_ELEMENTS(at); i++) {
		content_account a = {0};

		body[at[i]] = 0xc3;
		content_body(&a, body, sizeof body);
		ck_assert_msg(a.body_8bit, "8-bit octet at %zu missed", at[i]);
		body[at[i]] = 'a';
	}
	{
		content_account a = {0};

		content_body(&a, body, sizeof body);
		ck_assert(!a.body_8bit);
		content_header(&a, "Subject", "plain text", false);
		ck_assert(!a.header_8bit);
		content_header(&a, "Subject", "caf\xc3\xa9", false);
		ck_assert(a.header_8bit);
	}
}
END_TEST

START_TEST(test_content_chunked_8bit)
{
	content_account a = {0}, b = {0};
	unsigned char body[1000];

	memset(body, 'a', sizeof body);
	body[999] = 0xe9;
	for (size_t i = 0; i < sizeof body; i += 100)
		content_body(&a, body + i, 100);
	content_body(&b, body, sizeof body);
	ck_assert_uint_eq(content_size(&a), 1000);
	ck_assert_uint_eq(content_size(&a), content_size(&b));
	ck_assert(a.body_8bit);
	ck_assert(!a.header_8bit);
	content_header(&a, "Subject", "caf\xc3\xa9", false);
	ck_assert(a.header_8bit);
}
END_TEST

START_TEST(test_content_no_header)
{
	content_account a = {0};

	content_body(&a, (const unsigned char *)"x\r\n", 3);
	ck_assert_uint_eq(content_size(&a), 3);
	ck_assert(a.seen);
}
END_TEST

static esmtp_config *
limits_config(void)
{
	esmtp_config *c = config_new_defaults();
	client_limit cl;
	domain_limit dl;

	c->size_max = 1000;
	net_addr_parse_cidr("192.0.2.0/24", &cl.net);
	cl.limit = 500;
	g_array_append_val(c->client_limits, cl);
	net_addr_parse_cidr("2001:db8::/32", &cl.net);
	cl.limit = 400;
	g_array_append_val(c->client_limits, cl);
	dl.domain = g_strdup("example.org");
	dl.limit = 300;
	g_array_append_val(c->from_limits, dl);
	dl.domain = g_strdup(".example.net");
	dl.limit = 200;
	g_array_append_val(c->from_limits, dl);
	dl.domain = g_strdup("lists.example.net");
	dl.limit = 100;
	g_array_append_val(c->to_limits, dl);
	return c;
}

START_TEST(test_limit_selection)
{
	g_autoptr(esmtp_config) c = limits_config();
	net_addr in4, out4, in6;
	size_limit l;

	net_addr_parse("192.0.2.7", &in4);
	net_addr_parse("198.51.100.1", &out4);
	net_addr_parse("2001:db8::1", &in6);

	l = size_limit_for_mail(c, &out4, "other.example");
	ck_assert_int_eq(l.source, LIMIT_GLOBAL);
	ck_assert_uint_eq(l.octets, 1000);
	l = size_limit_for_mail(c, &in4, NULL);
	ck_assert_int_eq(l.source, LIMIT_CLIENT);
	ck_assert_uint_eq(l.octets, 500);
	l = size_limit_for_mail(c, &in6, "other.example");
	ck_assert_uint_eq(l.octets, 400);
	l = size_limit_for_mail(c, &in4, "EXAMPLE.ORG");
	ck_assert_int_eq(l.source, LIMIT_SENDER);
	ck_assert_uint_eq(l.octets, 300);
	/* ".example.net" covers names below it, not example.net itself */
	l = size_limit_for_mail(c, &out4, "mx.example.net");
	ck_assert_uint_eq(l.octets, 200);
	l = size_limit_for_mail(c, &out4, "example.net");
	ck_assert_uint_eq(l.octets, 1000);
	/* recipient limits only narrow */
	l = size_limit_for_rcpt(c, size_limit_for_mail(c, &out4, NULL),
				"lists.example.net");
	ck_assert_int_eq(l.source, LIMIT_RECIPIENT);
	ck_assert_uint_eq(l.octets, 100);
	l = size_limit_for_rcpt(c, size_limit_for_mail(c, &out4, NULL),
				"sub.lists.example.net");
	ck_assert_int_eq(l.source, LIMIT_GLOBAL);
	ck_assert_str_eq(size_limit_phrase(LIMIT_SENDER), " for this sender");
	ck_assert_str_eq(size_limit_phrase(LIMIT_GLOBAL), "");
}
END_TEST

START_TEST(test_no_limit)
{
	g_autoptr(esmtp_config) c = config_new_defaults();
	size_limit none = {0, LIMIT_NONE}, ten = {10, LIMIT_CLIENT};

	c->size_max = 0;
	ck_assert_int_eq(size_limit_for_mail(c, NULL, NULL).source, LIMIT_NONE);
	ck_assert_uint_eq(size_limit_min(none, ten).octets, 10);
	ck_assert_uint_eq(size_limit_min(ten, none).octets, 10);
}
END_TEST

START_TEST(test_overrun)
{
	g_autoptr(esmtp_config) c = config_new_defaults();

	c->overrun_percent = 10;
	c->overrun_bytes = 100;
	ck_assert(!size_overrun(c, 1000, 1200));
	ck_assert(size_overrun(c, 1000, 1201));
	ck_assert(!size_overrun(c, 0, 100));
	ck_assert(size_overrun(c, 0, 101));
	ck_assert(!size_overrun(c, G_MAXUINT64, G_MAXUINT64));
	c->overrun_percent = 0;
	c->overrun_bytes = 0;
	ck_assert(size_overrun(c, 1000, 1001));
	ck_assert(!size_overrun(c, 1000, 1000));
}
END_TEST

START_TEST(test_address_domain)
{
	char buf[64];

	ck_assert_str_eq(size_address_domain("<a@Example.org>", buf, sizeof buf),
			 "Example.org");
	ck_assert_str_eq(size_address_domain("<@r.example:a@b.example>", buf,
					     sizeof buf), "b.example");
	ck_assert_ptr_null(size_address_domain("<>", buf, sizeof buf));
	ck_assert_ptr_null(size_address_domain("<a@>", buf, sizeof buf));
	ck_assert_ptr_null(size_address_domain(NULL, buf, sizeof buf));
	ck_assert_ptr_null(size_address_domain("<a@b>", buf, 1));
}
END_TEST

START_TEST(test_cidr)
{
	net_addr n, a;

	ck_assert(net_addr_parse_cidr("10.0.0.0/8", &n));
	ck_assert(net_addr_parse("10.1.2.3", &a));
	ck_assert(net_addr_in(&a, &n));
	ck_assert(net_addr_parse("11.1.2.3", &a));
	ck_assert(!net_addr_in(&a, &n));
	ck_assert(net_addr_parse_cidr("2001:db8::/33", &n));
	ck_assert(net_addr_parse("2001:db8:7fff::1", &a));
	ck_assert(net_addr_in(&a, &n));
	ck_assert(net_addr_parse("2001:db8:8000::1", &a));
	ck_assert(!net_addr_in(&a, &n));
	ck_assert(net_addr_parse_cidr("0.0.0.0/0", &n));
	ck_assert(!net_addr_in(&a, &n));	/* families differ */
	ck_assert(!net_addr_parse_cidr("10.0.0.1/8", &n));	/* host bits */
	ck_assert(!net_addr_parse_cidr("10.0.0.0/33", &n));
	ck_assert(!net_addr_parse_cidr("10.0.0.0/", &n));
	ck_assert(!net_addr_parse_cidr("example.org/8", &n));
	ck_assert(!net_addr_parse_cidr("::1/129", &n));
}
END_TEST

Suite *
size_suite(void)
{
	Suite *s = suite_create("size");
	TCase *tc = tcase_create("accounting");

	tcase_add_test(tc, test_content_simple);
	tcase_add_test(tc, test_content_leading_space);
	tcase_add_test(tc, test_content_folded);
	tcase_add_test(tc, test_content_chunked_8bit);
	tcase_add_test(tc, test_content_8bit_anywhere);
	tcase_add_test(tc, test_content_no_header);
	tcase_add_test(tc, test_limit_selection);
	tcase_add_test(tc, test_no_limit);
	tcase_add_test(tc, test_overrun);
	tcase_add_test(tc, test_address_domain);
	tcase_add_test(tc, test_cidr);
	suite_add_tcase(s, tc);
	return s;
}
