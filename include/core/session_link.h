/*
 * One SMTP session seen by both front ends under Postfix: the milter
 * session registers itself by the client's address and port and the
 * MTA's own ({daemon_addr}, {daemon_port}: the address and port the
 * client reached), and the policy service, which sees the same four in
 * client_address, client_port, server_address and server_port, tells it
 * the greeting (protocol_name) that Postfix never gives a milter. With
 * the MTA's address and port in the match, one daemon shared by several
 * MTAs never tells one MTA's session what a client said to another, even
 * from the same address and source port at the same time; where either
 * side does not know the MTA's address (an MTA that sends no
 * {daemon_addr}), the client's address and port alone decide. The table
 * holds only the milter sessions open now, so its size is bounded by
 * theirs; the daemon makes one only when the policy listener runs.
 *
 * The milter reads its own link without a lock; the table's lock is
 * taken once at connect, once at close, and by the policy service.
 */
#ifndef ESMTP_SESSION_LINK_H
#define ESMTP_SESSION_LINK_H

#include <stdbool.h>

#include "net_addr.h"
#include "stats.h"

typedef struct session_link session_link;
typedef struct session_links session_links;

/* Both ends of an SMTP session; server.family 0 (port 0) when unknown. */
typedef struct {
	net_addr client;
	unsigned client_port;
	net_addr server;
	unsigned server_port;
} session_endpoints;

session_links *session_links_new(void);
/* Only once no session holds a link. */
void session_links_free(session_links *links);

/* NULL when links is NULL, the client's address is unknown, or memory
   is short. */
session_link *session_link_add(session_links *links,
			       const session_endpoints *ends);
void session_link_remove(session_link *link);

/* The greeting the policy service reported; the milter's HELO forgets it. */
greeting_type session_link_greeting(const session_link *link);
void session_link_forget(session_link *link);

/*
 * The policy service: whether a milter session with these ends is open;
 * if so it is told the greeting.
 */
bool session_link_tell(session_links *links, const session_endpoints *ends,
		       greeting_type greeting);

unsigned session_link_count(session_links *links);

#endif
