/*
 * RFC 5321 4.1.2 esmtp-param syntax: splitting a raw "KEYWORD[=value]"
 * token as libmilter hands it over and checking its characters. Nothing
 * here allocates: the result points into the caller's string.
 */
#ifndef ESMTP_PARAM_H
#define ESMTP_PARAM_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	CMD_MAIL,
	CMD_RCPT,
	CMD_COUNT
} esmtp_command;

typedef struct {
	const char *keyword;
	size_t keyword_len;
	const char *value;	/* NULL when the token has no "=" */
	size_t value_len;
	bool eight_bit;		/* the value has octets above 127 */
} esmtp_param;

typedef enum {
	PARAM_OK,
	PARAM_EMPTY,		/* nothing at all */
	PARAM_BAD_KEYWORD,	/* keyword not (ALPHA/DIGIT) *(ALPHA/DIGIT/"-") */
	PARAM_EMPTY_VALUE,	/* "KEYWORD=" */
	PARAM_BAD_VALUE,	/* space, "=", a control character or DEL */
	PARAM_NON_ASCII_VALUE,	/* 8-bit octets without SMTPUTF8 (the
				   session's verdict, not the parser's) */
	PARAM_BAD_UTF8_VALUE,	/* 8-bit octets that are not UTF-8 */
} esmtp_param_status;

/* 8-bit octets in a value must be UTF-8; whether SMTPUTF8 was declared
   for them is the session's to judge (PARAM_NON_ASCII_VALUE). */
esmtp_param_status esmtp_param_parse(const char *raw, esmtp_param *out);
const char *esmtp_param_status_text(esmtp_param_status status);

/* Whether a keyword is private (RFC 5321 2.2.2: starts with X). */
bool esmtp_keyword_is_private(const char *keyword, size_t len);

const char *esmtp_command_name(esmtp_command cmd);

#endif
