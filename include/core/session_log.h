/*
 * The session engine's log lines (esmtp-milter(8) LOGS), kept apart from
 * the decisions in session.c.
 *
 * session_emit() formats one line and hands it, with the transaction's
 * queue id, to the session's log callback, unless its priority is below
 * the session's level. session_log_transaction() writes the transaction
 * line that ends in verdict=; session_log_violation() the line of one
 * rule that fired; session_log_param() adds one parameter to the
 * transaction's params= field (bounded, "..." when full).
 * session_sanitize_str() is session_sanitize() for a C string.
 * session_sanitize_text() keeps what a log line may show of client text:
 * valid UTF-8 without control characters, anything else as "?", cut on a
 * character boundary with "...". session_log_value() writes a value in
 * the log grammar: as it is, or in double quotes with '"' and '\'
 * escaped when it has a space, '"' or '=' or is empty; it returns value
 * itself or buf. All buffers are the caller's or the session's: nothing
 * is allocated.
 */
#ifndef ESMTP_SESSION_LOG_H
#define ESMTP_SESSION_LOG_H

#include "esmtp_param.h"
#include "registry.h"
#include "session.h"

void session_emit(session_conn *c, int priority, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
void session_log_transaction(session_conn *c, verdict_type verdict);
void session_log_violation(session_conn *c, rule_id rule, rule_action action,
			   rule_stage stage, const char *rcpt, bool exempted,
			   const char *text);
void session_log_param(session_msg *m, const esmtp_param *p,
		       const registry_entry *row);
/* The same for rcpt_params=: the keywords of every RCPT, each once. */
void session_log_rcpt_param(session_msg *m, const esmtp_param *p,
			    const registry_entry *row);
/* Printable ASCII only, at most max - 1 octets, "..." when cut. */
void session_sanitize(char *dst, size_t max, const char *src, size_t len);
void session_sanitize_str(char *dst, size_t max, const char *src);
void session_sanitize_text(char *dst, size_t max, const char *src);
const char *session_log_value(char *buf, size_t max, const char *value);

#endif
