/*
 * Inside the session engine: what session.c and session_params.c share.
 *
 * A command_ctx is one command (MAIL, RCPT) or the end of message being
 * judged; it lives on the caller's stack. session_fire() records that a
 * rule fired (count, log, and the reply if it is the strongest so far);
 * the arguments after row are the facts for the rule's reply template,
 * name and value pairs ending with NULL. session_check_params() judges
 * a command's parameters (argv[1..]) and, at MAIL, records what they
 * declare on the transaction.
 *
 * Implemented by: session_fire.c, session_params.c and session_content.c.
 */
#ifndef ESMTP_SESSION_RULES_H
#define ESMTP_SESSION_RULES_H

#include "registry.h"
#include "session.h"

typedef struct {
	session_conn *conn;
	esmtp_command cmd;
	rule_stage stage;
	const char *rcpt;	/* sanitized recipient, at RCPT */
	session_result *result;
	rule_set logged;	/* rules already logged for this command */
} command_ctx;

void session_fire(command_ctx *cx, rule_id rule, const registry_entry *row,
		  ...) G_GNUC_NULL_TERMINATED;
/* Judges a command's parameters; returns how many there were. */
unsigned session_check_params(command_ctx *cx, char **argv);
/* At the end of message: a trailing Message-Id that names another queue
   id was the client's after all (session_content.c). */
void session_settle_added_headers(session_msg *m);

#endif
