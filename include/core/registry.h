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

typedef struct {
	const char *keyword;
	unsigned commands;		/* 1 << CMD_MAIL | 1 << CMD_RCPT */
	registry_check_fn check;
	const char *rfc;
	rule_id bad_value_rule;		/* param_value, or size_syntax */
	smtp_reply_code bad_value_reply;	/* NULL code: the rule's own */
} registry_entry;

extern const registry_entry registry_table[];
extern const size_t registry_count;

/* The row for a keyword (any case), or NULL. */
const registry_entry *registry_lookup(const char *keyword, size_t len);
size_t registry_index(const registry_entry *entry);

/* "7BIT", "8BITMIME", "BINARYMIME", or "none". */
const char *registry_body_name(body_type body);

/* Value grammars shared with the rest of the core. */
bool registry_size_value(const char *value, size_t len,
			 guint64 *out);
bool registry_body_value(const char *value, size_t len, body_type *out);

#endif
