/*
 * Small grammars shared by the registry's value checkers.
 *
 * grammar_digits(): len is min..max octets, all ASCII digits.
 * grammar_ci_equals(): s (len octets) is the literal, in any ASCII case.
 * grammar_xtext_decode(): RFC 3461 4 xtext into buf (at least len + 1
 *   octets, owned by the caller); upper_hex demands upper-case hex
 *   ("+2B"), utf8 lets UTF-8 stand for itself (RFC 6531 3.3). Returns the
 *   decoded length, or -1.
 * grammar_printable_ascii(), grammar_printable_utf8(): no control
 *   characters; the second takes valid UTF-8 beyond ASCII.
 * grammar_mailbox(): local "@" domain, both non-empty, no brackets.
 * grammar_two_digits(): two digits whose value is min..max.
 * grammar_rfc3339_date_time(): the length of the RFC 3339 5.6 date-time at
 *   the start of s, or 0; utc_only demands "Z".
 */
#ifndef ESMTP_GRAMMAR_H
#define ESMTP_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

bool grammar_digits(const char *s, size_t len, size_t min, size_t max);
bool grammar_ci_equals(const char *s, size_t len, const char *lit);
gssize grammar_xtext_decode(const char *s, size_t len, bool upper_hex,
			    bool utf8, char *buf);
bool grammar_printable_ascii(const char *s, size_t len);
bool grammar_printable_utf8(const char *s, size_t len);
bool grammar_mailbox(const char *s, size_t len);
bool grammar_two_digits(const char *s, int min, int max);
size_t grammar_rfc3339_date_time(const char *s, size_t len,
				 bool allow_secfrac, bool utc_only);

#endif
