/*
 * The rule table: one row per check, with its stable token, the stages at
 * which it can fire, its default action and its replies (README RULES, esmtp-milter(8)).
 * Config keys, log tokens, metric labels and reply texts all come from here.
 */
#ifndef ESMTP_RULES_H
#define ESMTP_RULES_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
	RULE_PARAM_SYNTAX,
	RULE_PARAM_UNREGISTERED,
	RULE_PARAM_PRIVATE,
	RULE_PARAM_DUPLICATE,
	RULE_PARAM_MISPLACED,
	RULE_PARAM_VALUE,
	RULE_PARAM_WITHOUT_EHLO,
	RULE_SIZE_SYNTAX,
	RULE_SIZE_LIMIT,
	RULE_SIZE_OVERRUN,
	RULE_SIZE_ACTUAL_LIMIT,
	RULE_BODY_8BIT_UNDECLARED,
	RULE_UTF8_UNDECLARED,
	RULE_REQUIRETLS_WITHOUT_TLS,
	RULE_COUNT
} rule_id;

/* A set of rules, one bit each: the table may not outgrow it. */
typedef unsigned rule_set;
#define RULE_BIT(rule) ((rule_set)1 << (rule))
_Static_assert(RULE_COUNT <= sizeof(rule_set) * 8,
	       "rule_set has a bit for each rule");

/* Ordered by severity: a smaller value wins when several rules fire. */
typedef enum {
	ACTION_REJECT,
	ACTION_TEMPFAIL,
	ACTION_TAG,
	ACTION_LOG,
	ACTION_IGNORE,
	ACTION_COUNT
} rule_action;

typedef enum {
	STAGE_MAIL = 1 << 0,
	STAGE_RCPT = 1 << 1,
	STAGE_EOM = 1 << 2,
} rule_stage;

typedef struct {
	const char *code;	/* "552" */
	const char *enhanced;	/* "5.3.4" */
} smtp_reply_code;

typedef struct {
	const char *token;
	unsigned stages;
	rule_action default_action;
	smtp_reply_code reject;
	smtp_reply_code tempfail;
	/* A different permanent reply at RCPT, or code == NULL. */
	smtp_reply_code reject_rcpt;
	const char *description;
	/* The reply text, with {name} for each fact the rule's caller gives. */
	const char *text;
} rule_def;

extern const rule_def rule_table[RULE_COUNT];

const char *rule_token(rule_id rule);
/*
 * The rule's reply text from its template: each {name} replaced by the
 * value given for name in facts ("name", "value", ..., NULL), then
 * " (token)". Writes at most len octets into buf, the caller's.
 */
void rule_text(rule_id rule, const char *const *facts, char *buf, size_t len);
bool rule_from_token(const char *token, rule_id *out);

const char *action_name(rule_action action);
bool action_from_name(const char *name, rule_action *out);
/* "reject, tempfail, tag, log or ignore"; the caller frees it. */
char *action_names_list(void);

const char *stage_name(rule_stage stage);
/* The stages a rule fires at, as "mail,rcpt"; the caller frees it. */
char *rule_stages_text(const rule_def *rule);

#endif
