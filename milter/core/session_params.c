/*
 * The session engine's MAIL and RCPT parameters: each split once (RFC
 * 5321 4.1.2), looked up in the registry, judged against the parameter
 * rules (syntax, registration, duplicates, placement, value grammar) and,
 * when accepted at MAIL, recorded on the transaction as its row says.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "esmtp_param.h"
#include "registry.h"
#include "session_log.h"
#include "session_rules.h"

static void
count_param(session_conn *c, esmtp_command cmd, unsigned slot)
{
	if (c->stats != NULL)
		stats_add(&c->stats->params[cmd][slot], 1);
}

/* What an accepted parameter records on the transaction, from its row. */
static void
remember_value(session_msg *m, const registry_entry *row,
	       const registry_value *v)
{
	switch (row->effect) {
	case EFFECT_SIZE:
		m->size_declared = true;
		m->size_value = v->number;
		break;
	case EFFECT_BODY:
		m->body = v->body;
		break;
	case EFFECT_REQUIRETLS:
		m->requiretls = true;
		break;
	case EFFECT_SMTPUTF8:
	case EFFECT_NONE:
		break;
	}
}

/*
 * One MAIL or RCPT parameter, split once. A command an MTA passes on has
 * far fewer than PARSED_MAX (a 512-octet command line holds at most 249);
 * parameters past it are split again when they are judged.
 */
#define PARSED_MAX 256

typedef struct {
	esmtp_param p;
	esmtp_param_status status;
	const registry_entry *row;	/* NULL: unregistered or malformed */
} parsed_param;

static void
parse_param(const char *raw, parsed_param *out)
{
	out->status = esmtp_param_parse(raw, &out->p);
	out->row = out->status == PARAM_OK || out->status == PARAM_BAD_VALUE
		   || out->status == PARAM_EMPTY_VALUE
		   || out->status == PARAM_BAD_UTF8_VALUE
		   ? registry_lookup(out->p.keyword, out->p.keyword_len) : NULL;
}

/* Whether an earlier unregistered keyword is the same, in any case. */
static bool
unregistered_seen(const parsed_param *params, size_t n, const esmtp_param *p)
{
	for (size_t k = 0; k < n; k++)
		if (params[k].status == PARAM_OK && params[k].row == NULL
		    && params[k].p.keyword_len == p->keyword_len
		    && g_ascii_strncasecmp(params[k].p.keyword, p->keyword,
					   p->keyword_len) == 0)
			return true;
	return false;
}

/* Classifies one parsed parameter and fires the rules it breaks. */
static void
judge_param(command_ctx *cx, const char *raw, parsed_param *pp,
	    const parsed_param *earlier, size_t nearlier, guint32 *seen,
	    bool smtputf8, bool log_params)
{
	session_conn *c = cx->conn;
	const esmtp_param *p = &pp->p;
	const registry_entry *row = pp->row;
	esmtp_param_status st = pp->status;
	registry_value value = {0};
	const char *why = "";
	char val[72], token[72];
	/* a keyword that parsed is letters, digits and "-": bound it only */
	char kw[41], param[120];
	bool dup;

	/* RFC 6531 3.3: UTF-8 in a value only with SMTPUTF8 */
	if ((st == PARAM_OK || st == PARAM_BAD_UTF8_VALUE) && p->eight_bit
	    && !smtputf8)
		st = PARAM_NON_ASCII_VALUE;
	if (st != PARAM_OK) {
		session_sanitize(token, sizeof token, raw, sizeof token);
		count_param(c, cx->cmd, STATS_PARAM_INVALID);
		if (log_params && cx->cmd == CMD_MAIL)
			session_log_param(&c->msg, p, NULL);
		else if (log_params)
			session_log_rcpt_param(&c->msg, p, NULL);
		session_fire(cx, RULE_PARAM_SYNTAX, NULL, "param", token, "why",
		     esmtp_param_status_text(st), NULL);
		return;
	}
	if (log_params && cx->cmd == CMD_MAIL)
		session_log_param(&c->msg, p, row);
	else if (log_params)
		session_log_rcpt_param(&c->msg, p, row);
	if (row != NULL) {
		guint32 bit = 1u << registry_index(row);

		dup = (*seen & bit) != 0;
		*seen |= bit;
		count_param(c, cx->cmd, (unsigned)registry_index(row));
		c->profile.keywords |= bit;
	} else {
		count_param(c, cx->cmd,
			    esmtp_keyword_is_private(p->keyword, p->keyword_len)
			    ? STATS_PARAM_PRIVATE : STATS_PARAM_UNREGISTERED);
		dup = unregistered_seen(earlier, nearlier, p);
	}
	/* the keyword as a reply shows it, only where a reply will */
	if (dup || row == NULL)
		session_sanitize(kw, sizeof kw, p->keyword,
				 MIN(p->keyword_len, 40));
	if (dup) {
		session_fire(cx, RULE_PARAM_DUPLICATE, row, "keyword", kw, NULL);
		return;
	}
	if (row == NULL) {
		if (esmtp_keyword_is_private(p->keyword, p->keyword_len))
			session_fire(cx, RULE_PARAM_PRIVATE, NULL, "keyword", kw, NULL);
		else
			session_fire(cx, RULE_PARAM_UNREGISTERED, NULL, "keyword", kw,
			     "command", esmtp_command_name(cx->cmd), NULL);
		return;
	}
	if (!(row->commands & (1u << cx->cmd))) {
		session_fire(cx, RULE_PARAM_MISPLACED, row, "keyword", row->keyword,
		     "command", esmtp_command_name(cx->cmd), "rfc", row->rfc,
		     NULL);
		return;
	}
	if (!registry_check_value(row, p->value, p->value_len, &value, &why)) {
		session_sanitize(val, sizeof val, p->value, p->value_len);
		if (p->value != NULL)
			snprintf(param, sizeof param, "%s=%s", row->keyword, val);
		else
			g_strlcpy(param, row->keyword, sizeof param);
		session_fire(cx, row->bad_value_rule, row, "param", param, "why", why,
		     NULL);
		return;
	}
	if (cx->cmd == CMD_MAIL)
		remember_value(&c->msg, row, &value);
}

/*
 * A command's parameters: split each once (and, at MAIL, learn whether
 * SMTPUTF8 is among them, which decides how every value is judged), then
 * judge them in order.
 */
unsigned
session_check_params(command_ctx *cx, char **argv)
{
	session_conn *c = cx->conn;
	parsed_param parsed[PARSED_MAX];
	size_t n = 0, nparams = 0;
	guint32 seen = 0;
	/* params= and rcpt_params= exist only for a transaction line that is
	   logged */
	bool log_params = c->log_level >= LOG_NOTICE;

	for (size_t i = 1; argv[i] != NULL; i++, nparams++) {
		parsed_param pp, *slot = n < PARSED_MAX ? &parsed[n++] : &pp;

		parse_param(argv[i], slot);
		if (cx->cmd == CMD_MAIL && slot->row != NULL
		    && slot->row->effect == EFFECT_SMTPUTF8)
			c->msg.smtputf8 = true;
	}
	for (size_t i = 0; i < nparams; i++) {
		parsed_param again;

		if (i >= PARSED_MAX)
			parse_param(argv[i + 1], &again);
		judge_param(cx, argv[i + 1], i < PARSED_MAX ? &parsed[i] : &again,
			    parsed, MIN(i, n), &seen, c->msg.smtputf8,
			    log_params);
	}
	if (nparams > 0 && c->greeting == GREETING_HELO)
		session_fire(cx, RULE_PARAM_WITHOUT_EHLO, NULL, NULL);
	return (unsigned)nparams;
}
