/*
 * Registered MAIL and RCPT parameters and their value grammars, following
 * each parameter's RFC, cited in its row. Where an RFC is
 * ambiguous the row's checker says which reading was chosen.
 */
#include "registry.h"

#include "grammar.h"
#include "name_code.h"

#include <string.h>
#include <glib.h>

#define MAIL_ONLY (1u << CMD_MAIL)
#define RCPT_ONLY (1u << CMD_RCPT)

static bool
need_value(const char *value, const char **why)
{
	if (value == NULL) {
		*why = "a value is required";
		return false;
	}
	return true;
}

static bool
check_no_value(const char *value, size_t len, const char **why)
{
	(void)len;
	if (value != NULL) {
		*why = "takes no value";
		return false;
	}
	return true;
}

/* RFC 1870 3 (4): size-value ::= 1*20DIGIT */
bool
registry_size_value(const char *value, size_t len, guint64 *out)
{
	guint64 v = 0;

	if (value == NULL || !grammar_digits(value, len, 1, 20))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(value[i] - '0');

		/* 20 digits can exceed 2^64: saturate, it is above any limit */
		if (v > (G_MAXUINT64 - d) / 10)
			v = G_MAXUINT64;
		else
			v = v * 10 + d;
	}
	if (out != NULL)
		*out = v;
	return true;
}

static bool
parse_size(const char *value, size_t len, registry_value *out,
	   const char **why)
{
	if (!registry_size_value(value, len, &out->number)) {
		*why = "not 1 to 20 digits (RFC 1870)";
		return false;
	}
	return true;
}

/* RFC 6152 2, RFC 3030 3: "7BIT" / "8BITMIME" / "BINARYMIME", any case */
static const name_code body_names[] = {
	{"7BIT", BODY_7BIT}, {"8BITMIME", BODY_8BITMIME},
	{"BINARYMIME", BODY_BINARYMIME},
};
_Static_assert(G_N_ELEMENTS(body_names) == BODY_COUNT - 1,
	       "a name for each BODY value but none");

const char *
registry_body_name(body_type body)
{
	return name_code_name(body_names, G_N_ELEMENTS(body_names), (int)body,
			      "none");
}

bool
registry_body_value(const char *value, size_t len, body_type *out)
{
	int code;

	if (value == NULL || !name_code_find_ci(body_names,
						G_N_ELEMENTS(body_names),
						value, len, &code))
		return false;
	if (out != NULL)
		*out = (body_type)code;
	return true;
}

static bool
parse_body(const char *value, size_t len, registry_value *out,
	   const char **why)
{
	if (!need_value(value, why))
		return false;
	if (registry_body_value(value, len, &out->body))
		return true;
	*why = "not 7BIT, 8BITMIME or BINARYMIME (RFC 6152, RFC 3030)";
	return false;
}

/* RFC 3461 4.3: FULL or HDRS, any case */
static bool
check_ret(const char *value, size_t len, const char **why)
{
	if (!need_value(value, why))
		return false;
	if (grammar_ci_equals(value, len, "FULL") || grammar_ci_equals(value, len, "HDRS"))
		return true;
	*why = "not FULL or HDRS (RFC 3461)";
	return false;
}

/* Decodes xtext of bounded size into a stack buffer or fails. */
#define XTEXT_MAX 1024

/* RFC 4954 5: the decoded xtext is a <mailbox> or "<>". */
static bool
check_auth(const char *value, size_t len, const char **why)
{
	char buf[XTEXT_MAX + 1];
	gssize n;

	if (!need_value(value, why))
		return false;
	if (len > XTEXT_MAX) {
		*why = "longer than any mailbox";
		return false;
	}
	n = grammar_xtext_decode(value, len, false, true, buf);
	if (n < 0) {
		*why = "not xtext (RFC 4954)";
		return false;
	}
	if ((n == 2 && buf[0] == '<' && buf[1] == '>')
	    || grammar_mailbox(buf, (size_t)n))
		return true;
	*why = "not a mailbox or <> (RFC 4954)";
	return false;
}

/* RFC 3461 4.4: xtext, up to 100 characters, printable US-ASCII decoded. */
static bool
check_envid(const char *value, size_t len, const char **why)
{
	char buf[101];
	gssize n;

	if (!need_value(value, why))
		return false;
	if (len > 100) {
		*why = "longer than 100 characters (RFC 3461)";
		return false;
	}
	n = grammar_xtext_decode(value, len, true, false, buf);
	if (n < 0 || !grammar_printable_ascii(buf, (size_t)n)) {
		*why = "not xtext of printable ASCII (RFC 3461)";
		return false;
	}
	return true;
}

/* RFC 6710 7: priority-value = (["-"] NZDIGIT) / "0" */
static bool
check_mt_priority(const char *value, size_t len, const char **why)
{
	if (!need_value(value, why))
		return false;
	if ((len == 1 && g_ascii_isdigit(value[0]))
	    || (len == 2 && value[0] == '-' && value[1] >= '1'
		&& value[1] <= '9'))
		return true;
	*why = "not an integer from -9 to 9 (RFC 6710)";
	return false;
}

/*
 * RFC 2852 4: by-value = by-time ";" by-mode [by-trace],
 * by-time = ["-" / "+"] 1*9digit, by-mode = "N" / "R", by-trace = "T".
 * With mode R a zero or negative time is a syntax error.
 */
static bool
check_by(const char *value, size_t len, const char **why)
{
	const char *semi;
	size_t tlen, i = 0;
	bool negative = false, all_zero = true;
	const char *mode;
	size_t mlen;

	if (!need_value(value, why))
		return false;
	*why = "not by-time;by-mode[T] (RFC 2852)";
	semi = memchr(value, ';', len);
	if (semi == NULL)
		return false;
	tlen = (size_t)(semi - value);
	if (tlen > 0 && (value[0] == '-' || value[0] == '+')) {
		negative = value[0] == '-';
		i = 1;
	}
	if (!grammar_digits(value + i, tlen - i, 1, 9))
		return false;
	for (size_t k = i; k < tlen; k++)
		if (value[k] != '0')
			all_zero = false;
	mode = semi + 1;
	mlen = len - tlen - 1;
	if (mlen < 1 || mlen > 2)
		return false;
	if (mode[0] != 'N' && mode[0] != 'n' && mode[0] != 'R'
	    && mode[0] != 'r')
		return false;
	if (mlen == 2 && mode[1] != 'T' && mode[1] != 't')
		return false;
	if ((mode[0] == 'R' || mode[0] == 'r') && (negative || all_zero)) {
		*why = "mode R needs a positive time (RFC 2852)";
		return false;
	}
	return true;
}

/* RFC 4865 3: future-release-integer = %x31-39 *8DIGIT */
static bool
check_holdfor(const char *value, size_t len, const char **why)
{
	if (!need_value(value, why))
		return false;
	if (grammar_digits(value, len, 1, 9) && value[0] != '0')
		return true;
	*why = "not 1 to 999999999 seconds (RFC 4865)";
	return false;
}

/*
 * RFC 4865 leaves Internet-style-date-time-UTC undefined; its prose says
 * "a timestamp, normalized to UTC". Chosen: RFC 3339 date-time ending in Z,
 * fractional seconds allowed.
 */
static bool
check_holduntil(const char *value, size_t len, const char **why)
{
	if (!need_value(value, why))
		return false;
	if (grammar_rfc3339_date_time(value, len, true, true) == len)
		return true;
	*why = "not an RFC 3339 UTC date-time (RFC 4865)";
	return false;
}

static bool
is_base64_char(char c)
{
	return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/*
 * RFC 3885 3.1: mtrk-certifier [":" mtrk-timeout]. As printed the
 * certifier is one base64 character; its intent is unpadded base64, so
 * 1*base64 is accepted. The timeout is 1*9DIGIT.
 */
static bool
check_mtrk(const char *value, size_t len, const char **why)
{
	const char *colon;
	size_t clen;

	if (!need_value(value, why))
		return false;
	*why = "not base64[:timeout] (RFC 3885)";
	colon = memchr(value, ':', len);
	clen = colon != NULL ? (size_t)(colon - value) : len;
	if (clen == 0)
		return false;
	for (size_t i = 0; i < clen; i++)
		if (!is_base64_char(value[i]))
			return false;
	if (colon != NULL && !grammar_digits(colon + 1, len - clen - 1, 1, 9))
		return false;
	return true;
}

/*
 * RFC 3865 2.2: Solicitation-keywords = word 0*("," word),
 * word = ALPHA 0*wordchar, wordchar = "." / "-" / "_" / ":" / ALPHA / DIGIT;
 * at most 1000 characters.
 */
static bool
check_solicit(const char *value, size_t len, const char **why)
{
	bool word_start = true;

	if (!need_value(value, why))
		return false;
	*why = "not a comma list of solicitation keywords (RFC 3865)";
	if (len > 1000)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = value[i];

		if (word_start) {
			if (!g_ascii_isalpha(c))
				return false;
			word_start = false;
		} else if (c == ',') {
			word_start = true;
		} else if (!g_ascii_isalnum(c) && c != '.' && c != '-'
			   && c != '_' && c != ':') {
			return false;
		}
	}
	return !word_start;
}

/* MIME tspecials (RFC 2045 5.1) and the characters esmtp-value forbids. */
static bool
is_transid_atom_char(char c)
{
	return (unsigned char)c > 32 && (unsigned char)c < 127
	       && strchr("()<>@,;:\\\"/[]?=.", c) == NULL;
}

static bool
is_transid_token(const char *s, size_t len)
{
	bool atom_start = true;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (atom_start)
				return false;
			atom_start = true;
		} else if (is_transid_atom_char(s[i])) {
			atom_start = false;
		} else {
			return false;
		}
	}
	return len > 0 && !atom_start;
}

/*
 * RFC 1845 2: transid-value ::= "<" transid-local "@" transid-domain ">",
 * each a dot-separated run of atoms; at most 80 characters.
 */
static bool
check_transid(const char *value, size_t len, const char **why)
{
	const char *at;

	if (!need_value(value, why))
		return false;
	*why = "not <local@domain> of at most 80 characters (RFC 1845)";
	if (len > 80 || len < 5 || value[0] != '<' || value[len - 1] != '>')
		return false;
	at = memchr(value + 1, '@', len - 2);
	if (at == NULL)
		return false;
	return is_transid_token(value + 1, (size_t)(at - value - 1))
	       && is_transid_token(at + 1, (size_t)(value + len - 1 - at - 1));
}

/*
 * RFC 3461 4.1: "NEVER" / 1#("SUCCESS" / "FAILURE" / "DELAY"), any case.
 * Chosen: no empty list elements and no element twice.
 */
static bool
check_notify(const char *value, size_t len, const char **why)
{
	static const char *const names[] = {"SUCCESS", "FAILURE", "DELAY"};
	unsigned seen = 0;
	size_t start = 0;

	if (!need_value(value, why))
		return false;
	*why = "not NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461)";
	if (grammar_ci_equals(value, len, "NEVER"))
		return true;
	while (start <= len) {
		const char *comma = memchr(value + start, ',', len - start);
		size_t end = comma != NULL ? (size_t)(comma - value) : len;
		bool known = false;

		for (unsigned k = 0; k < G_N_ELEMENTS(names); k++) {
			if (grammar_ci_equals(value + start, end - start, names[k])) {
				if (seen & (1u << k))
					return false;
				seen |= 1u << k;
				known = true;
			}
		}
		if (!known)
			return false;
		start = end + 1;
		if (comma == NULL)
			break;
	}
	return true;
}

/*
 * RFC 3461 4.2: addr-type ";" xtext, at most 500 characters, decoded
 * printable US-ASCII. addr-type is an atom (RFC 822), checked as
 * letters, digits and "-" which covers every registered type. RFC 6533
 * 3: with addr-type utf-8 in an SMTPUTF8 transaction the address may be
 * UTF-8 as it is (utf-8-addr-unitext); every other type stays ASCII.
 */
static bool
check_orcpt(const char *value, size_t len, const char **why)
{
	char buf[4 * 500 + 1];
	const char *semi, *addr;
	size_t alen;
	bool utf8_type;
	gssize n;

	if (!need_value(value, why))
		return false;
	*why = "not addr-type;xtext of at most 500 characters (RFC 3461, RFC 6533)";
	if (len >= sizeof buf)
		return false;
	semi = memchr(value, ';', len);
	if (semi == NULL || semi == value)
		return false;
	for (const char *p = value; p < semi; p++)
		if (!g_ascii_isalnum(*p) && *p != '-')
			return false;
	utf8_type = semi - value == 5 && g_ascii_strncasecmp(value, "utf-8", 5) == 0;
	addr = semi + 1;
	alen = len - (size_t)(addr - value);
	n = grammar_xtext_decode(addr, alen, true, utf8_type, buf);
	if (n <= 0)
		return false;
	if (utf8_type)
		return g_utf8_strlen(value, (gssize)len) <= 500
		       && grammar_printable_utf8(buf, (size_t)n);
	return len <= 500 && grammar_printable_ascii(buf, (size_t)n);
}

/*
 * RFC 7293 3.1: rrvs-param = "RRVS=" date-time [";" ("C" / "R")], with no
 * time-secfrac.
 */
static bool
check_rrvs(const char *value, size_t len, const char **why)
{
	size_t n;

	if (!need_value(value, why))
		return false;
	*why = "not date-time[;C|R] (RFC 7293)";
	n = grammar_rfc3339_date_time(value, len, false, false);
	if (n == 0)
		return false;
	if (n == len)
		return true;
	return n + 2 == len && value[n] == ';'
	       && value[n + 1] != '\0' && strchr("CcRr", value[n + 1]) != NULL;
}

/* RFC 4405 4 (SUBMITTER) and RFC 5336 3.4 (ALT-ADDRESS): xtext mailbox. */
static bool
check_xtext_mailbox(const char *value, size_t len, const char **why)
{
	char buf[XTEXT_MAX + 1];
	gssize n;

	if (!need_value(value, why))
		return false;
	*why = "not an xtext-encoded ASCII mailbox";
	if (len > XTEXT_MAX)
		return false;
	n = grammar_xtext_decode(value, len, true, false, buf);
	return n > 0 && grammar_printable_ascii(buf, (size_t)n)
	       && grammar_mailbox(buf, (size_t)n);
}

const registry_entry registry_table[] = {
	{"SIZE", MAIL_ONLY, NULL, "RFC 1870", RULE_SIZE_SYNTAX, {0},
	 .effect = EFFECT_SIZE, .parse = parse_size},
	{"BODY", MAIL_ONLY, NULL, "RFC 6152, RFC 3030", RULE_PARAM_VALUE, {0},
	 .effect = EFFECT_BODY, .parse = parse_body, .log_value = true},
	{"AUTH", MAIL_ONLY, check_auth, "RFC 4954", RULE_PARAM_VALUE, {0},
	 .effect = EFFECT_NONE},
	{"RET", MAIL_ONLY, check_ret, "RFC 3461", RULE_PARAM_VALUE, {0},
	 .log_value = true},
	{"ENVID", MAIL_ONLY, check_envid, "RFC 3461", RULE_PARAM_VALUE, {0},
	 .effect = EFFECT_NONE},
	{"SMTPUTF8", MAIL_ONLY, check_no_value, "RFC 6531", RULE_PARAM_VALUE,
	 {0}, .effect = EFFECT_SMTPUTF8},
	/* RFC 6710 4.1: "501 syntax error in parameter" with 5.5.2 */
	{"MT-PRIORITY", MAIL_ONLY, check_mt_priority, "RFC 6710",
	 RULE_PARAM_VALUE, {"501", "5.5.2"}, .effect = EFFECT_NONE},
	{"BY", MAIL_ONLY, check_by, "RFC 2852", RULE_PARAM_VALUE, {0},
	 .effect = EFFECT_NONE},
	{"HOLDFOR", MAIL_ONLY, check_holdfor, "RFC 4865", RULE_PARAM_VALUE,
	 {0}, .effect = EFFECT_NONE},
	{"HOLDUNTIL", MAIL_ONLY, check_holduntil, "RFC 4865",
	 RULE_PARAM_VALUE, {0}, .effect = EFFECT_NONE},
	{"MTRK", MAIL_ONLY, check_mtrk, "RFC 3885", RULE_PARAM_VALUE, {0},
	 .effect = EFFECT_NONE},
	{"SOLICIT", MAIL_ONLY, check_solicit, "RFC 3865", RULE_PARAM_VALUE,
	 {0}, .effect = EFFECT_NONE},
	{"TRANSID", MAIL_ONLY, check_transid, "RFC 1845", RULE_PARAM_VALUE,
	 {0}, .effect = EFFECT_NONE},
	{"REQUIRETLS", MAIL_ONLY, check_no_value, "RFC 8689",
	 RULE_PARAM_VALUE, {0}, .effect = EFFECT_REQUIRETLS},
	{"CONPERM", MAIL_ONLY, check_no_value, "RFC 4141", RULE_PARAM_VALUE,
	 {0}, .effect = EFFECT_NONE},
	{"SUBMITTER", MAIL_ONLY, check_xtext_mailbox, "RFC 4405 (historic)",
	 RULE_PARAM_VALUE, {0}, .effect = EFFECT_NONE},
	{"NOTIFY", RCPT_ONLY, check_notify, "RFC 3461", RULE_PARAM_VALUE,
	 {0}, .effect = EFFECT_NONE},
	{"ORCPT", RCPT_ONLY, check_orcpt, "RFC 3461, RFC 6533",
	 RULE_PARAM_VALUE, {0}, .effect = EFFECT_NONE},
	{"RRVS", RCPT_ONLY, check_rrvs, "RFC 7293", RULE_PARAM_VALUE, {0},
	 .effect = EFFECT_NONE},
	{"CONNEG", RCPT_ONLY, check_no_value, "RFC 4141", RULE_PARAM_VALUE,
	 {0}, .effect = EFFECT_NONE},
	{"ALT-ADDRESS", MAIL_ONLY | RCPT_ONLY, check_xtext_mailbox,
	 "RFC 5336 (historic)", RULE_PARAM_VALUE, {0}, .effect = EFFECT_NONE},
};

_Static_assert(G_N_ELEMENTS(registry_table) <= REGISTRY_MAX,
	       "REGISTRY_MAX must cover every registry row");

const size_t registry_count = G_N_ELEMENTS(registry_table);

bool
registry_check_value(const registry_entry *row, const char *value,
		     size_t len, registry_value *out, const char **why)
{
	registry_value ignored;

	*why = "";
	if (row->parse != NULL)
		return row->parse(value, len, out != NULL ? out : &ignored, why);
	return row->check(value, len, why);
}

const registry_entry *
registry_lookup(const char *keyword, size_t len)
{
	for (size_t i = 0; i < registry_count; i++)
		if (grammar_ci_equals(keyword, len, registry_table[i].keyword))
			return &registry_table[i];
	return NULL;
}

size_t
registry_index(const registry_entry *entry)
{
	return (size_t)(entry - registry_table);
}

const registry_entry *
registry_with_effect(registry_effect effect)
{
	for (size_t i = 0; i < registry_count; i++)
		if (registry_table[i].effect == effect)
			return &registry_table[i];
	return NULL;
}
