/*
 * RFC 5321 4.1.2:
 *   esmtp-param    = esmtp-keyword ["=" esmtp-value]
 *   esmtp-keyword  = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 *   esmtp-value    = 1*(%d33-60 / %d62-126)
 * RFC 6531 3.3 adds UTF8-non-ascii to esmtp-value in SMTPUTF8 sessions.
 */
#include "esmtp_param.h"

#include <string.h>
#include <glib.h>

static bool
is_keyword_char(unsigned char c)
{
	return g_ascii_isalnum(c) || c == '-';
}

esmtp_param_status
esmtp_param_parse(const char *raw, esmtp_param *out)
{
	const char *eq;
	bool eight_bit = false;

	memset(out, 0, sizeof *out);
	if (raw == NULL || *raw == '\0')
		return PARAM_EMPTY;

	eq = strchr(raw, '=');
	out->keyword = raw;
	out->keyword_len = eq != NULL ? (size_t)(eq - raw) : strlen(raw);
	if (eq != NULL) {
		out->value = eq + 1;
		out->value_len = strlen(eq + 1);
	}

	if (out->keyword_len == 0 || !g_ascii_isalnum(raw[0]))
		return PARAM_BAD_KEYWORD;
	for (size_t i = 1; i < out->keyword_len; i++)
		if (!is_keyword_char((unsigned char)raw[i]))
			return PARAM_BAD_KEYWORD;

	if (out->value == NULL)
		return PARAM_OK;
	if (out->value_len == 0)
		return PARAM_EMPTY_VALUE;
	for (size_t i = 0; i < out->value_len; i++) {
		unsigned char c = (unsigned char)out->value[i];

		if (c >= 0x80)
			eight_bit = true;
		else if (c < 33 || c > 126)
			return PARAM_BAD_VALUE;
		/*
		 * "=" breaks esmtp-value, but Postfix's own private XVERP=+=
		 * uses it: a private keyword's value is its own business.
		 */
		else if (c == '=' && !esmtp_keyword_is_private(raw,
							      out->keyword_len))
			return PARAM_BAD_VALUE;
	}
	out->eight_bit = eight_bit;
	/* whether SMTPUTF8 allows it is the caller's to judge */
	if (eight_bit && !g_utf8_validate_len(out->value, out->value_len, NULL))
		return PARAM_BAD_UTF8_VALUE;
	return PARAM_OK;
}

const char *
esmtp_param_status_text(esmtp_param_status status)
{
	switch (status) {
	case PARAM_OK:
		return "valid";
	case PARAM_EMPTY:
		return "empty parameter";
	case PARAM_BAD_KEYWORD:
		return "keyword must be letters, digits and hyphens";
	case PARAM_EMPTY_VALUE:
		return "empty value after =";
	case PARAM_BAD_VALUE:
		return "value contains space, =, or a control character";
	case PARAM_NON_ASCII_VALUE:
		return "8-bit value without SMTPUTF8";
	case PARAM_BAD_UTF8_VALUE:
		return "8-bit value that is not UTF-8";
	}
	return "invalid";
}

bool
esmtp_keyword_is_private(const char *keyword, size_t len)
{
	return len > 0 && (keyword[0] == 'X' || keyword[0] == 'x');
}

const char *
esmtp_command_name(esmtp_command cmd)
{
	return cmd == CMD_RCPT ? "RCPT" : "MAIL";
}
