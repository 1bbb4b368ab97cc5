/*
 * The session engine. Each MAIL starts a transaction; its parameters, its
 * recipients and its content are checked against the rule table, and the
 * transaction ends in one log line with a verdict. The decisions are made
 * here, the replies come from the rule table (rules.c) and the log lines
 * are written by session_log.c, so that every rule is testable without
 * libmilter.
 */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "esmtp_param.h"
#include "registry.h"
#include "session_log.h"
#include "session_rules.h"
#include "utf8_text.h"


static void
set_queue_id(session_conn *c, const char *queue_id)
{
	/* the MTA gives the same id at each stage: sanitized once */
	if (queue_id != NULL && *queue_id != '\0'
	    && strcmp(queue_id, c->msg.queue_id) != 0) {
		/* the line's prefix: no space or quote can end it early */
		session_sanitize_str(c->msg.queue_id, sizeof c->msg.queue_id, queue_id);
		for (char *p = c->msg.queue_id; *p != '\0'; p++)
			if (*p == ' ' || *p == '"' || *p == '=' || *p == ':')
				*p = '?';
	}
}

static void
init(session_conn *c, esmtp_config *config, stats *st, session_log_fn log,
     void *log_data, bool policy_only)
{
	memset(c, 0, sizeof *c);
	c->config = config_ref(config);
	c->stats = st;
	c->log = log;
	c->log_data = log_data;
	c->log_level = config->log_level;
	c->greeting = GREETING_UNKNOWN;
	c->tls = TLS_UNKNOWN;
	c->cipher = CIPHER_UNKNOWN;
	c->policy_only = policy_only;
	g_strlcpy(c->client_name, "unknown", sizeof c->client_name);
	g_strlcpy(c->client_addr, "unknown", sizeof c->client_addr);
	if (st != NULL) {
		stats_add(&st->connections, 1);
		if (!policy_only)
			atomic_fetch_add_explicit(&st->active_connections, 1,
						  memory_order_relaxed);
	}
}

void
session_init(session_conn *c, esmtp_config *config, stats *st,
	     session_log_fn log, void *log_data)
{
	init(c, config, st, log, log_data, false);
}

void
session_init_policy(session_conn *c, esmtp_config *config, stats *st,
		    session_log_fn log, void *log_data)
{
	init(c, config, st, log, log_data, true);
}

void
session_connect(session_conn *c, const char *hostname, const net_addr *addr,
		const char *addr_text)
{
	/* MTAs pass "[192.0.2.7]" when the client has no name: log "unknown" */
	if (hostname != NULL && hostname[0] != '[')
		session_sanitize_text(c->client_name, sizeof c->client_name, hostname);
	if (addr != NULL)
		c->client = *addr;
	if (addr_text != NULL && *addr_text != '\0')
		session_sanitize_str(c->client_addr, sizeof c->client_addr, addr_text);
}

void
session_helo(session_conn *c, const char *name)
{
	session_sanitize_text(c->helo, sizeof c->helo, name);
	/* a new greeting: which verb it was is known again only from {r} */
	c->greeting = GREETING_UNKNOWN;
}

void
session_tls(session_conn *c, const char *version, const char *bits,
	    bool asked)
{
	tls_version v = tls_version_of(version, asked);

	/* a macro the MTA did not send this time changes nothing known */
	if (v == TLS_UNKNOWN || (v == TLS_PLAINTEXT && c->tls > TLS_PLAINTEXT))
		return;
	c->tls = v;
	c->cipher = cipher_strength_of(v, bits);
}

/* The client's profile keeps every greeting its sessions were known by. */
static void
note_greeting(session_conn *c)
{
	if (c->greeting != GREETING_UNKNOWN)
		c->profile.greetings |= STATS_GREETING_BIT(c->greeting);
}

void
session_learn_greeting(session_conn *c, greeting_type g)
{
	if (g == GREETING_UNKNOWN)
		return;
	c->greeting = g;
	note_greeting(c);
	if (c->policy_only && !c->greeting_counted && c->stats != NULL) {
		c->greeting_counted = true;
		stats_add(&c->stats->greetings[g], 1);
	}
}

/*
 * MAIL gave parameters while the greeting was unknown, and it is now
 * known to be HELO: the first stage where both are known judges them.
 */
static void
judge_late_greeting(command_ctx *cx)
{
	const session_msg *m = &cx->conn->msg;

	if (m->mail_params > 0 && m->mail_greeting == GREETING_UNKNOWN
	    && cx->conn->greeting == GREETING_HELO)
		session_fire(cx, RULE_PARAM_WITHOUT_EHLO, NULL, NULL);
}

static exempt_kind
network_exempt(const session_conn *c)
{
	const GArray *nets = c->config->trusted_networks;

	for (guint i = 0; i < nets->len; i++)
		if (net_addr_in(&c->client, &g_array_index(nets, net_addr, i)))
			return EXEMPT_NETWORK;
	return EXEMPT_NONE;
}

/* Ends the transaction with a verdict: one log line, the counters. */
static void
msg_finish(session_conn *c, verdict_type verdict)
{
	if (!c->msg.active)
		return;
	if (c->stats != NULL)
		stats_add(&c->stats->verdicts[verdict], 1);
	c->msg.active = false;
	session_log_transaction(c, verdict);
}

static void
msg_begin(session_conn *c, const char *from)
{
	session_msg *m = &c->msg;

	if (m->active)
		msg_finish(c, VERDICT_ABORT);
	memset(m, 0, sizeof *m);
	m->active = true;
	m->body = BODY_NONE;
	if (from != NULL)
		session_sanitize_text(m->from, sizeof m->from, from);
	else
		g_strlcpy(m->from, "unknown", sizeof m->from);
	c->transactions++;
	if (c->stats != NULL)
		stats_add(&c->stats->transactions, 1);
}

/* A number as text, in the caller's buffer. */
static const char *
number(char buf[24], guint64 n)
{
	snprintf(buf, 24, "%" G_GUINT64_FORMAT, n);
	return buf;
}

static void
fire_size_limit(command_ctx *cx, guint64 declared, size_limit lim)
{
	char declared_text[24], limit_text[24];

	session_fire(cx, RULE_SIZE_LIMIT, NULL, "declared", number(declared_text, declared),
	     "limit", number(limit_text, lim.octets),
	     "scope", size_limit_phrase(lim.source), NULL);
}

static bool
has_8bit(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s & 0x80)
			return true;
	return false;
}

greeting_type
session_greeting_of(const char *r)
{
	if (r == NULL)
		return GREETING_UNKNOWN;
	if (g_ascii_strcasecmp(r, "SMTP") == 0)
		return GREETING_HELO;
	if (g_ascii_strncasecmp(r, "ESMTP", 5) == 0
	    || g_ascii_strncasecmp(r, "UTF8SMTP", 8) == 0)
		return GREETING_EHLO;
	return GREETING_UNKNOWN;
}

static char *const empty_argv[] = {NULL, NULL};

void
session_mail(session_conn *c, char **argv, const session_macros *macros,
	     session_result *res)
{
	session_msg *m = &c->msg;
	command_ctx cx = {c, CMD_MAIL, STAGE_MAIL, NULL, res, 0};
	char domain_buf[SESSION_NAME_MAX];
	const char *domain;

	memset(res, 0, sizeof *res);
	if (argv == NULL || argv[0] == NULL)
		argv = (char **)empty_argv;
	msg_begin(c, argv[0]);
	if (macros != NULL) {
		set_queue_id(c, macros->queue_id);
		if (macros->protocol != NULL && *macros->protocol != '\0') {
			c->greeting = session_greeting_of(macros->protocol);
			note_greeting(c);
		}
		if ((macros->auth_type != NULL && *macros->auth_type != '\0')
		    || (macros->auth_authen != NULL
			&& *macros->auth_authen != '\0'))
			if (c->config->exempt_authenticated)
				m->exempt = EXEMPT_AUTH;
		m->auth = auth_mechanism_of(macros->auth_type);
		if (macros->tls_version != NULL && *macros->tls_version != '\0')
			session_tls(c, macros->tls_version, macros->cipher_bits,
				    true);
	}
	/* the network exemption names the stronger fact */
	if (network_exempt(c) == EXEMPT_NETWORK)
		m->exempt = EXEMPT_NETWORK;

	m->mail_greeting = c->greeting;
	m->mail_params = session_check_params(&cx, argv);
	if (has_8bit(argv[0]) && !m->smtputf8 && !c->policy_only)
		session_fire(&cx, RULE_UTF8_UNDECLARED, NULL, "role", "sender", NULL);
	/* only where the MTA says the session is plaintext, never guessed */
	if (m->requiretls && c->tls == TLS_PLAINTEXT)
		session_fire(&cx, RULE_REQUIRETLS_WITHOUT_TLS, NULL, NULL);

	domain = size_address_domain(argv[0], domain_buf, sizeof domain_buf);
	m->mail_limit = size_limit_for_mail(c->config, &c->client, domain);
	if (m->size_declared && m->mail_limit.source != LIMIT_NONE
	    && m->size_value > m->mail_limit.octets)
		fire_size_limit(&cx, m->size_value, m->mail_limit);

	if (c->stats != NULL) {
		stats_add(&c->stats->body_types[m->body], 1);
		stats_add(&c->stats->size_declared[m->size_declared], 1);
	}
	c->profile.size_declared += m->size_declared;
	if (c->stats != NULL) {
		stats_add(&c->stats->tls_transactions[c->tls], 1);
		stats_add(&c->stats->cipher_transactions[c->cipher], 1);
		if (m->auth != AUTH_NONE)
			stats_add(&c->stats->auth_transactions[m->auth], 1);
	}
	if (res->stop)
		msg_finish(c, res->action == ACTION_REJECT ? VERDICT_REJECT
							   : VERDICT_TEMPFAIL);
}

void
session_rcpt(session_conn *c, char **argv, const char *queue_id,
	     session_result *res)
{
	session_msg *m = &c->msg;
	char rcpt[SESSION_NAME_MAX], domain_buf[SESSION_NAME_MAX];
	command_ctx cx = {c, CMD_RCPT, STAGE_RCPT, rcpt, res, 0};
	const char *domain;
	size_limit lim;

	memset(res, 0, sizeof *res);
	if (argv == NULL || argv[0] == NULL)
		argv = (char **)empty_argv;
	if (!m->active)		/* RCPT without MAIL: check it all the same */
		session_mail(c, (char **)empty_argv, NULL, res);
	set_queue_id(c, queue_id);
	session_sanitize_text(rcpt, sizeof rcpt, argv[0] != NULL ? argv[0] : "unknown");

	/* once per command: a RCPT with parameters of its own is judged
	   with them */
	if (argv[1] == NULL)
		judge_late_greeting(&cx);
	session_check_params(&cx, argv);
	if (has_8bit(argv[0]) && !m->smtputf8 && !c->policy_only)
		session_fire(&cx, RULE_UTF8_UNDECLARED, NULL, "role", "recipient",
		     NULL);

	domain = size_address_domain(argv[0], domain_buf, sizeof domain_buf);
	lim = size_limit_for_rcpt(c->config, m->mail_limit, domain);
	if (m->size_declared && lim.source == LIMIT_RECIPIENT
	    && m->size_value > lim.octets)
		fire_size_limit(&cx, m->size_value, lim);

	if (res->stop) {
		m->rcpts_rejected++;
		return;
	}
	m->rcpts_accepted++;
	m->eom_limit = m->eom_limit_set ? size_limit_min(m->eom_limit, lim)
					: lim;
	m->eom_limit_set = true;
}

rule_set
session_tag_list(const session_msg *m, rule_set skip, char *buf, size_t len)
{
	rule_set listed = 0;

	buf[0] = '\0';
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		if (!m->violations[r].fired
		    || m->violations[r].action != ACTION_TAG
		    || (skip & RULE_BIT(r)))
			continue;
		listed |= RULE_BIT(r);
		if (buf[0] != '\0')
			g_strlcat(buf, ", ", len);
		g_strlcat(buf, rule_token(r), len);
	}
	return listed;
}

void
session_eom(session_conn *c, const char *queue_id, session_result *res)
{
	session_msg *m = &c->msg;
	command_ctx cx = {c, CMD_MAIL, STAGE_EOM, NULL, res, 0};

	memset(res, 0, sizeof *res);
	if (!m->active)
		session_mail(c, (char **)empty_argv, NULL, res);
	set_queue_id(c, queue_id);
	session_settle_added_headers(m);
	if (!m->violations[RULE_PARAM_WITHOUT_EHLO].fired)
		judge_late_greeting(&cx);

	if (m->content.seen) {
		char actual_text[24], limit_text[24], declared_text[24];
		guint64 actual = content_size(&m->content);
		size_limit lim = m->eom_limit_set ? m->eom_limit : m->mail_limit;

		if (c->stats != NULL) {
			stats_add(&c->stats->messages, 1);
			stats_add(&c->stats->octets, actual);
			stats_observe(&c->stats->message_size, (double)actual);
			/* how honest SIZE was; SIZE=0 with content is off the scale */
			if (m->size_declared)
				stats_observe(&c->stats->size_ratio,
					      m->size_value > 0
					      ? (double)actual / (double)m->size_value
					      : (actual > 0 ? 1e9 : 1.0));
		}
		if (m->size_declared && actual > m->size_value) {
			c->profile.size_overruns++;
			c->profile.size_overrun_max = MAX(
				c->profile.size_overrun_max, actual - m->size_value);
		}
		if (lim.source != LIMIT_NONE && actual > lim.octets)
			session_fire(&cx, RULE_SIZE_ACTUAL_LIMIT, NULL,
			     "actual", number(actual_text, actual),
			     "limit", number(limit_text, lim.octets),
			     "scope", size_limit_phrase(lim.source), NULL);
		if (m->size_declared
		    && size_overrun(c->config, m->size_value, actual))
			session_fire(&cx, RULE_SIZE_OVERRUN, NULL,
			     "actual", number(actual_text, actual),
			     "declared", number(declared_text, m->size_value),
			     NULL);
		if (m->content.body_8bit && m->body != BODY_8BITMIME
		    && m->body != BODY_BINARYMIME)
			session_fire(&cx, RULE_BODY_8BIT_UNDECLARED, NULL, "part", "body",
			     "extension", "BODY=8BITMIME", NULL);
		else if (m->content.header_8bit && !m->smtputf8)
			session_fire(&cx, RULE_BODY_8BIT_UNDECLARED, NULL, "part",
			     "header", "extension", "SMTPUTF8", NULL);
	} else if (c->stats != NULL) {
		stats_add(&c->stats->messages, 1);
	}

	if (!res->stop)
		session_tag_list(m, 0, res->tag_header, sizeof res->tag_header);
	msg_finish(c, !res->stop ? VERDICT_ACCEPT
		   : res->action == ACTION_REJECT ? VERDICT_REJECT
						  : VERDICT_TEMPFAIL);
}

void
session_eom_sized(session_conn *c, const char *queue_id, guint64 octets,
		  session_result *res)
{
	if (c->msg.active) {
		memset(&c->msg.content, 0, sizeof c->msg.content);
		c->msg.content.seen = true;
		c->msg.content.body_octets = octets;
	}
	session_eom(c, queue_id, res);
}

void
session_abort(session_conn *c)
{
	session_msg *m = &c->msg;

	if (!m->active)
		return;
	/* every recipient refused by us: the transaction was rejected */
	msg_finish(c, m->rcpts_accepted == 0 && m->rcpts_rejected > 0
		   ? VERDICT_REJECT : VERDICT_ABORT);
}

void
session_unknown(session_conn *c, const char *command)
{
	if (c->stats == NULL)
		return;
	stats_add(&c->stats->unknown_commands[
			  command != NULL && (command[0] == 'X'
					      || command[0] == 'x')
			  ? UNKNOWN_CMD_PRIVATE : UNKNOWN_CMD_UNREGISTERED], 1);
}

void
session_close(session_conn *c)
{
	if (c->config == NULL)
		return;
	session_abort(c);
	if (c->stats != NULL) {
		if (!c->greeting_counted)
			stats_add(&c->stats->greetings[c->greeting], 1);
		stats_add(&c->stats->tls_sessions[c->tls], 1);
		if (!c->policy_only)
			atomic_fetch_sub_explicit(&c->stats->active_connections,
						  1, memory_order_relaxed);
		c->profile.tls = (uint8_t)c->tls;
		stats_client_done(c->stats, c->client_addr, c->helo,
				  c->transactions, c->violations, &c->profile);
		for (unsigned r = 0; r < RULE_COUNT; r++)
			if (c->profile.would_refuse[r] > 0)
				stats_distinct_add(&c->stats->would_refuse_clients[r],
						   c->client_addr);
		if (c->mta[0] != '\0') {
			stats_mta_entry e = {.connections = 1,
					     .transactions = c->transactions,
					     .violations = c->violations};

			utf8_copy(e.name, sizeof e.name, c->mta);
			e.greetings[c->greeting] = 1;
			stats_mta_add(&c->stats->mtas, &e);
		}
	}
	config_unref(c->config);
	c->config = NULL;
}
