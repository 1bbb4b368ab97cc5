/*
 * The session engine: one SMTP session as the milter sees it, with no
 * libmilter in sight. The adapter (milter.c) feeds it the callbacks'
 * data; it decides, formats replies and log lines, and counts.
 *
 * Nothing here allocates: a connection context holds its message context
 * and every text buffer, so the per-message path cannot fail on memory.
 *
 * How the core reports what goes wrong, everywhere in milter/core:
 * - what a client or an MTA sent is judged, not failed: a status enum
 *   (esmtp_param_status, policy_status) or false with a static phrase
 *   (the registry's value checks) that becomes a rule's reply text;
 * - a file or a document that cannot be used (the state file's JSON) is
 *   false or NULL with a GError for the caller to word and log;
 * - the config file alone collects every problem ("FILE:LINE: what") in
 *   a list, so that one run of esmtp-milter -n shows them all.
 * The core never logs by itself: its log lines go through the session's
 * log function.
 *
 * Implemented by: session.c and session_content.c (the message).
 */
#ifndef ESMTP_SESSION_H
#define ESMTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "rules.h"
#include "size.h"
#include "stats.h"
#include "transport.h"

#define SESSION_NAME_MAX 256	/* host names, HELO argument, addresses */
#define SESSION_TEXT_MAX 320	/* one reply or violation text */
#define SESSION_PARAMS_LOG_MAX 200
#define SESSION_QUEUE_ID_MAX 64

typedef enum {
	EXEMPT_NONE,
	EXEMPT_NETWORK,
	EXEMPT_AUTH,
} exempt_kind;

/* Where log lines go: priority is a syslog priority. */
typedef void (*session_log_fn)(void *data, int priority,
			       const char *queue_id, const char *line);

/* What the adapter reads from libmilter's macros at MAIL. */
typedef struct {
	const char *protocol;		/* {r} */
	const char *auth_type;		/* {auth_type} */
	const char *auth_authen;	/* {auth_authen} */
	/* {tls_version} and {cipher_bits} (also given at HELO) */
	const char *tls_version;
	const char *cipher_bits;
	const char *queue_id;		/* i */
} session_macros;

/* The outcome of one command (MAIL, RCPT) or of the end of message. */
typedef struct {
	bool stop;		/* reject or tempfail: the reply below */
	rule_action action;	/* ACTION_REJECT or ACTION_TEMPFAIL if stop */
	rule_id rule;
	smtp_reply_code reply;
	char text[SESSION_TEXT_MAX];
	/* end of message: a SESSION_TAG_HEADER to add, or "" */
	char tag_header[SESSION_TEXT_MAX];
} session_result;

typedef struct {
	bool fired;
	rule_action action;	/* after dry_run and exemptions */
	rule_stage stage;
	unsigned count;
} session_violation;

typedef struct {
	bool active;
	char queue_id[SESSION_QUEUE_ID_MAX];
	char from[SESSION_NAME_MAX];
	char params[SESSION_PARAMS_LOG_MAX];
	char rcpt_params[SESSION_PARAMS_LOG_MAX];	/* each keyword once */
	bool smtputf8;
	bool requiretls;
	body_type body;
	bool size_declared;
	guint64 size_value;
	size_limit mail_limit;
	size_limit eom_limit;	/* mail_limit narrowed by accepted RCPTs */
	bool eom_limit_set;
	exempt_kind exempt;
	auth_mechanism auth;
	unsigned rcpts_accepted;
	unsigned rcpts_rejected;
	content_account content;
	/* a trailing Message-Id in Postfix's form, whose queue id can be
	   compared only once the MTA gives it (at the end of message) */
	char added_msgid_qid[SESSION_QUEUE_ID_MAX];
	guint64 added_msgid_octets;
	/* MAIL's parameters and the greeting known then: a HELO learned
	   later (from the policy service) still judges them */
	unsigned mail_params;
	greeting_type mail_greeting;
	session_violation violations[RULE_COUNT];
	/* rules at log (or any under dry_run) that reject would have
	   refused this transaction on: counted once per transaction */
	rule_set would_refuse;
} session_msg;

typedef struct {
	esmtp_config *config;	/* a reference, held for the session */
	stats *stats;		/* may be NULL */
	session_log_fn log;	/* may be NULL */
	void *log_data;
	int log_level;		/* lines above this syslog priority are not
				   even formatted */

	net_addr client;
	char client_addr[64];
	char client_name[SESSION_NAME_MAX];
	char helo[SESSION_NAME_MAX];
	char mta[STATS_MTA_NAME_MAX];	/* the MTA's end; "" when unknown */
	greeting_type greeting;
	tls_version tls;
	cipher_strength cipher;
	bool header_leading_space;	/* SMFIP_HDR_LEADSPC negotiated */
	bool mta_adds_headers;		/* Postfix, and a client on its own
					   address: see session_mta() */
	unsigned transactions;		/* for the top-clients tables */
	unsigned violations;
	stats_profile profile;		/* how it used ESMTP, for those too */
	bool greeting_counted;
	/* fed by the Postfix policy service alone: it sees no parameter
	   but SIZE, no content, and not whether SMTPUTF8 was declared */
	bool policy_only;

	session_msg msg;
} session_conn;

void session_init(session_conn *conn, esmtp_config *config, stats *st,
		  session_log_fn log, void *log_data);
/*
 * The same for a session known only from Postfix policy requests: the
 * service never sees it open or close, so it is not counted among the
 * open sessions, and its greeting is counted when it is first known.
 */
void session_init_policy(session_conn *conn, esmtp_config *config, stats *st,
			 session_log_fn log, void *log_data);
/* Logs a pending transaction and releases the config reference. */
void session_close(session_conn *conn);

/* addr may be NULL (unknown family, Sendmail -bs); addr_text then names it. */
void session_connect(session_conn *conn, const char *hostname,
		     const net_addr *addr, const char *addr_text);
/*
 * What the MTA said of itself, after session_connect(): its version
 * (macro v; NULL when unknown, as under the policy service) and the
 * address and port the client reached on it ({daemon_addr} and
 * {daemon_port}, or the policy request's server_address and server_port;
 * daemon NULL or of family 0 when unknown, port 0 when unknown).
 *
 * The session is counted under that address and port in the statistics
 * per MTA. And Postfix adds Date: and Message-Id: to mail from clients on
 * its own addresses (local_header_rewrite_clients =
 * permit_inet_interfaces) and shows them to the filter; in such sessions
 * those fields, in Postfix's own form and after the client's, are not
 * counted in the message size.
 */
void session_mta(session_conn *conn, const char *version,
		 const net_addr *daemon, unsigned port);
void session_helo(session_conn *conn, const char *name);
/*
 * The session's TLS state from {tls_version} and {cipher_bits}; asked says
 * the MTA sends them when the session is encrypted (so no value means
 * plaintext). Both MTAs give them from the EHLO after STARTTLS on.
 */
void session_tls(session_conn *conn, const char *version, const char *bits,
		 bool asked);
/*
 * The greeting learned from elsewhere (the policy service's protocol_name
 * under Postfix); GREETING_UNKNOWN changes nothing. Parameters MAIL gave
 * before it was known are judged at the next RCPT or end of message.
 */
void session_learn_greeting(session_conn *conn, greeting_type greeting);
/*
 * The greeting a protocol name says: {r} from the MTA's macros (Postfix
 * "SMTP" or "ESMTP", Sendmail "ESMTP", "ESMTPS", "ESMTPSA", "UTF8SMTP"...)
 * or the policy request's protocol_name; case-insensitive, a prefix for
 * the extended ones. NULL or anything else: GREETING_UNKNOWN.
 */
greeting_type session_greeting_of(const char *protocol);
/*
 * The header that names the rules at action tag, added by the milter at
 * end of message and by the policy service with PREPEND at RCPT; its
 * value is session_tag_list()'s: the tokens of the rules that fired with
 * action tag, ", "-separated, except those in skip. Returns their set.
 */
#define SESSION_TAG_HEADER "X-ESMTP-Policy"
rule_set session_tag_list(const session_msg *m, rule_set skip, char *buf,
			  size_t len);
void session_mail(session_conn *conn, char **argv,
		  const session_macros *macros, session_result *result);
void session_rcpt(session_conn *conn, char **argv, const char *queue_id,
		  session_result *result);
void session_header(session_conn *conn, const char *name, const char *value);
void session_body(session_conn *conn, const unsigned char *data, size_t len);
void session_eom(session_conn *conn, const char *queue_id,
		 session_result *result);
/* The end of message when only its size is known (the policy service). */
void session_eom_sized(session_conn *conn, const char *queue_id,
		       guint64 octets, session_result *result);
/* The MTA aborted the transaction (RSET, lost connection, rejection). */
void session_abort(session_conn *conn);
void session_unknown(session_conn *conn, const char *command);


#endif
