/*
 * The Postfix policy service's side of the session engine. Postfix asks at
 * RCPT (the declared SIZE, the sender, the recipient, whether the client
 * said HELO or EHLO) and at END-OF-MESSAGE (the size the client sent);
 * each request becomes session calls, and the session's result becomes
 * the one "action=" reply.
 *
 * Two cases, decided per SMTP session:
 * - a milter session of the same client address and port is open (both
 *   front ends attached): the milter judges the session and counts it;
 *   the policy service only tells it the greeting and answers DUNNO;
 * - otherwise (policy-only): the service keeps the session itself, by
 *   client address and port, for as long as requests keep coming (idle
 *   sessions expire; their number is bounded), and the transaction by
 *   Postfix's instance attribute.
 *
 * One policy_service is used by one thread at a time.
 */
#ifndef ESMTP_POLICY_H
#define ESMTP_POLICY_H

#include <stddef.h>
#include <glib.h>

#include "config.h"
#include "policy_request.h"
#include "session.h"
#include "session_link.h"
#include "stats.h"

/* A session no request has named for this long is over (seconds);
   Postfix's smtpd_timeout is 300 s per command. */
#define POLICY_SESSION_IDLE 600
#define POLICY_SESSIONS_MAX 8192
#define POLICY_REPLY_MAX 512

typedef struct policy_service policy_service;

/* links and st may be NULL. */
policy_service *policy_service_new(stats *st, session_links *links,
				 session_log_fn log, void *log_data);
/* Ends every session it keeps (their open transactions are logged). */
void policy_service_free(policy_service *pe);

/*
 * Answers one request with "action=...\n\n" in reply. New sessions start
 * with config (the engine takes its own reference); now is in seconds on
 * a monotonic clock.
 */
void policy_service_answer(policy_service *pe, esmtp_config *config,
			  const policy_request *req, gint64 now, char *reply,
			  size_t len);
/* The reply to a request that could not be read: DEFER, with the reason. */
void policy_service_refuse(policy_service *pe, policy_status status,
			  char *reply, size_t len);
/* Ends the sessions idle for longer than POLICY_SESSION_IDLE. */
void policy_service_expire(policy_service *pe, gint64 now);
unsigned policy_service_sessions(const policy_service *pe);

#endif
