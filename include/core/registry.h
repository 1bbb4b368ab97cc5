/*
 * The registry table: every MAIL and RCPT parameter defined by an RFC in
 * the IANA SMTP service extension registry, with its command, its value
 * checker and its RFC. Adding a parameter is adding one row.
 */
#ifndef ESMTP_REGISTRY_H
#define ESMTP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "esmtp_param.h"
#include "rules.h"

/* What a BODY parameter declares (RFC 6152, RFC 3030); NONE: no BODY. */
typedef enum {
	BODY_NONE,
	BODY_7BIT,
	BODY_8BITMIME,
	BODY_BINARYMIME,
	BODY_COUNT
} body_type;

/* Room for the registry rows, so that counters can be plain arrays. */
#define REGISTRY_MAX 32

/*
 * A value checker gets the value (NULL when the token had no "=") and
 * returns false with a short static reason when its RFC does not allow it.
 */
typedef bool (*registry_check_fn)(const char *value, size_t len,
				  const char **why);

/* What an accepted value records on the transaction. */
typedef enum {
	EFFECT_NONE,
	EFFECT_SIZE,		/* the declared size, in value.number */
	EFFECT_BODY,		/* the body type, in value.body */
	EFFECT_SMTPUTF8,	/* UTF-8 allowed in this transaction */
	EFFECT_REQUIRETLS,	/* the sender requires TLS (RFC 8689) */
} registry_effect;

/* A value parsed by its row's grammar, for the rows with an effect. */
typedef struct {
	guint64 number;
	body_type body;
} registry_value;

/* A checker that also hands on what it parsed: the value is read once. */
typedef bool (*registry_parse_fn)(const char *value, size_t len,
				  registry_value *out, const char **why);

typedef struct {
	const char *keyword;
	unsigned commands;		/* 1 << CMD_MAIL | 1 << CMD_RCPT */
	registry_check_fn check;	/* NULL where parse is set */
	const char *rfc;
	rule_id bad_value_rule;		/* param_value, or size_syntax */
	smtp_reply_code bad_value_reply;	/* NULL code: the rule's own */
	registry_effect effect;
	registry_parse_fn parse;
	bool log_value;			/* params= shows KEYWORD=VALUE */
} registry_entry;

extern const registry_entry registry_table[];
extern const size_t registry_count;

/*
 * Whether value (NULL: no "=") is what the row's RFC allows; false with a
 * short static reason in *why. For a row with an effect, *out receives
 * the parsed value.
 */
bool registry_check_value(const registry_entry *row, const char *value,
			  size_t len, registry_value *out, const char **why);

/* The row for a keyword (any case), or NULL. */
const registry_entry *registry_lookup(const char *keyword, size_t len);
size_t registry_index(const registry_entry *entry);
/* The row that records an effect (the SIZE row for EFFECT_SIZE). */
const registry_entry *registry_with_effect(registry_effect effect);

/* "7BIT", "8BITMIME", "BINARYMIME", or "none". */
const char *registry_body_name(body_type body);

/* Value grammars shared with the rest of the core. */
bool registry_size_value(const char *value, size_t len,
			 guint64 *out);
bool registry_body_value(const char *value, size_t len, body_type *out);

#endif
