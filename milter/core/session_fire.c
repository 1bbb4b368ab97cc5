/*
 * A rule fired (see session_rules.h): the one place that records a
 * violation on the transaction, counts it, logs it once per command and
 * lets it decide the reply. The session (session.c) and the parameter
 * checks (session_params.c) both call it; it calls neither.
 */
#include "session_rules.h"

#include <stdarg.h>
#include <string.h>

#include "session_log.h"
#include "utf8_text.h"

static rule_action
effective_action(const session_conn *c, rule_id rule, bool *exempted)
{
	rule_action a = c->config->actions[rule];

	*exempted = false;
	/* a dry run refuses and tags nothing; what is ignored stays so */
	if (c->config->dry_run)
		return a == ACTION_IGNORE ? ACTION_IGNORE : ACTION_LOG;
	if (c->msg.exempt != EXEMPT_NONE && a <= ACTION_TAG) {
		*exempted = true;
		return ACTION_LOG;
	}
	return a;
}

static smtp_reply_code
reply_for(rule_id rule, rule_action action, rule_stage stage,
	  const registry_entry *row)
{
	const rule_def *def = &rule_table[rule];

	if (action == ACTION_TEMPFAIL)
		return def->tempfail;
	if (row != NULL && row->bad_value_rule == rule
	    && row->bad_value_reply.code != NULL)
		return row->bad_value_reply;
	if (stage == STAGE_RCPT && def->reject_rcpt.code != NULL)
		return def->reject_rcpt;
	return def->reject;
}

/*
 * Enforcement readiness: a rule fired whose action in force is log on a
 * session that is not exempt, so its action is log or dry_run made it so
 * (effective_action), and reject would have refused this transaction.
 * Counted once per transaction and rule, in the statistics and in the
 * client's profile.
 */
static void
note_would_refuse(session_conn *c, rule_id rule, rule_action action)
{
	if (action != ACTION_LOG || c->msg.exempt != EXEMPT_NONE
	    || (c->msg.would_refuse & RULE_BIT(rule)))
		return;
	c->msg.would_refuse |= RULE_BIT(rule);
	c->profile.would_refuse[rule]++;
	if (c->stats != NULL)
		stats_add(&c->stats->would_refuse[rule], 1);
}

/*
 * A rule fired: record, count, log, and let it decide the reply. The
 * arguments after row are the facts for the rule's text template, name
 * and value pairs ending with NULL.
 */
void
session_fire(command_ctx *cx, rule_id rule, const registry_entry *row, ...)
{
	session_conn *c = cx->conn;
	session_violation *v = &c->msg.violations[rule];
	session_result *res = cx->result;
	const char *facts[17];
	char text[SESSION_TEXT_MAX];
	bool exempted;
	rule_action action = effective_action(c, rule, &exempted);
	size_t n = 0;
	va_list ap;

	va_start(ap, row);
	while (n + 2 < G_N_ELEMENTS(facts)
	       && (facts[n] = va_arg(ap, const char *)) != NULL)
		facts[n + 1] = va_arg(ap, const char *), n += 2;
	va_end(ap);
	facts[n] = NULL;
	rule_text(rule, facts, text, sizeof text);

	if (!v->fired || action < v->action) {
		v->action = action;
		v->stage = cx->stage;
	}
	v->fired = true;
	v->count++;
	c->violations++;
	c->profile.violations[rule]++;
	if (c->stats != NULL)
		stats_add(&c->stats->violations[rule][exempted
			  ? STATS_ACTION_EXEMPT : (unsigned)action], 1);

	note_would_refuse(c, rule, action);
	if (action != ACTION_IGNORE && !(cx->logged & RULE_BIT(rule))) {
		cx->logged |= RULE_BIT(rule);
		session_log_violation(c, rule, action, cx->stage, cx->rcpt,
				      exempted, text);
	}

	if (action != ACTION_REJECT && action != ACTION_TEMPFAIL)
		return;
	/* the first permanent failure wins over any temporary one */
	if (res->stop && !(res->action == ACTION_TEMPFAIL
			   && action == ACTION_REJECT))
		return;
	res->stop = true;
	res->action = action;
	res->rule = rule;
	res->reply = reply_for(rule, action, cx->stage, row);
	utf8_copy(res->text, sizeof res->text, text);
}
