/*
 * Small grammars the registry's value checkers share: digit runs, case-
 * blind literals, xtext (RFC 3461 4), printable text, a bare mailbox, RFC
 * 3339 date-time. Plain functions over (pointer, length); nothing here
 * allocates.
 */
#include "grammar.h"

#include <string.h>
#include <glib.h>

bool
grammar_digits(const char *s, size_t len, size_t min, size_t max)
{
	if (len < min || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isdigit(s[i]))
			return false;
	return true;
}

bool
grammar_ci_equals(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && g_ascii_strncasecmp(s, lit, len) == 0;
}

/*
 * xtext (RFC 3461 4): xchar is "!" to "~" except "+" and "="; hexchar is
 * "+" and two upper-case hex digits. RFC 4954 8 makes the hex digits
 * case-insensitive for AUTH, hence upper_hex. utf8 also lets UTF-8
 * characters stand for themselves, as RFC 6531 3.3 allows in SMTPUTF8
 * transactions (the parser refuses 8-bit values in any other). Decodes
 * into buf (at least len + 1 octets); returns the decoded length, or -1.
 */
gssize
grammar_xtext_decode(const char *s, size_t len, bool upper_hex, bool utf8, char *buf)
{
	size_t n = 0;

	if (utf8 && !g_utf8_validate_len(s, len, NULL))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (utf8 && ((unsigned char)s[i] & 0x80)) {
			buf[n++] = s[i];
			continue;
		}
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			if (i + 2 >= len || !g_ascii_isxdigit(s[i + 1])
			    || !g_ascii_isxdigit(s[i + 2]))
				return -1;
			if (upper_hex && (g_ascii_islower(s[i + 1])
					  || g_ascii_islower(s[i + 2])))
				return -1;
			buf[n++] = (char)(g_ascii_xdigit_value(s[i + 1]) * 16
					  + g_ascii_xdigit_value(s[i + 2]));
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return -1;
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n] = '\0';
	return (gssize)n;
}

bool
grammar_printable_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
			return false;
	return true;
}

/* Printable: no control characters; UTF-8 beyond ASCII is welcome. */
bool
grammar_printable_utf8(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] == 127)
			return false;
	return g_utf8_validate_len(s, len, NULL);
}

/* A bare mailbox: local "@" domain, both non-empty, no brackets, no CTL. */
bool
grammar_mailbox(const char *s, size_t len)
{
	const char *at = memrchr(s, '@', len);

	if (at == NULL || at == s || at == s + len - 1)
		return false;
	if (s[0] == '<' || s[len - 1] == '>')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] == 127)
			return false;
	return true;
}

bool
grammar_two_digits(const char *s, int min, int max)
{
	int v;

	if (!g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]))
		return false;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v >= min && v <= max;
}

/*
 * RFC 3339 5.6 date-time: full-date "T" full-time. Returns the length of
 * the date-time at the start of s, or 0. "T" and "Z" may be lower case.
 */
size_t
grammar_rfc3339_date_time(const char *s, size_t len, bool allow_secfrac,
		  bool utc_only)
{
	size_t i;

	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 20)
		return 0;
	if (!grammar_digits(s, 4, 4, 4) || s[4] != '-'
	    || !grammar_two_digits(s + 5, 1, 12) || s[7] != '-'
	    || !grammar_two_digits(s + 8, 1, 31)
	    || (s[10] != 'T' && s[10] != 't') || !grammar_two_digits(s + 11, 0, 23)
	    || s[13] != ':' || !grammar_two_digits(s + 14, 0, 59) || s[16] != ':'
	    || !grammar_two_digits(s + 17, 0, 60))
		return 0;
	i = 19;
	if (s[i] == '.') {
		size_t start = ++i;

		if (!allow_secfrac)
			return 0;
		while (i < len && g_ascii_isdigit(s[i]))
			i++;
		if (i == start)
			return 0;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z'))
		return i + 1;
	if (utc_only)
		return 0;
	if (i + 6 <= len && (s[i] == '+' || s[i] == '-')
	    && grammar_two_digits(s + i + 1, 0, 23) && s[i + 3] == ':'
	    && grammar_two_digits(s + i + 4, 0, 59))
		return i + 6;
	return 0;
}

