/*
 * The Postfix policy listener ([policy] listen): one thread, one epoll
 * loop, any number of Postfix connections (each smtpd process keeps one
 * open and reuses it), so hundreds of smtpd processes cost a few
 * kilobytes each and no thread. Requests are answered by the policy
 * engine of the core (policy.h).
 */
#ifndef ESMTP_POLICY_SERVER_H
#define ESMTP_POLICY_SERVER_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "process.h"

typedef struct policy_server policy_server;

/* Connections at once; one more is closed at once, with a warning. */
#define POLICY_CONNECTIONS_MAX 2048
/* A request must arrive whole within this many seconds of its first
   octet (Postfix writes it at once), and a reply be read as soon. */
#define POLICY_STALL_SECONDS 10
/* A connection with no request for this long is closed: Postfix closes
   its own after smtpd_policy_service_max_idle (300 s). */
#define POLICY_IDLE_SECONDS 900

/*
 * Opens the listening socket for spec (unix:/PATH or inet:PORT@HOST) as
 * root, before privileges are dropped: a unix socket gets mode and, when
 * chown_to is true, uid and gid. Returns the descriptor, or -1 with the
 * reason in *error and errno as the failing system call left it (0 when
 * none failed).
 */
int policy_server_open(const char *spec, unsigned mode, bool chown_to,
		       uid_t uid, gid_t gid, GError **error);
/*
 * Serves the listening socket fd on a thread of its own, judging with
 * p's config, counting in p's statistics and telling the milter sessions
 * in p's links; NULL when the thread cannot start.
 */
policy_server *policy_server_start(int fd, process *p);
/* Stops the thread, closes every connection, ends the kept sessions and
   the listening socket; NULL does nothing. */
void policy_server_stop(policy_server *srv);

#endif
