/*
 * The message content as the milter sees it: the header fields and body
 * counted into the RFC 1870 size (size.c), and the Date: and Message-Id:
 * that Postfix adds for its local clients set apart, so that the size is
 * the client's.
 */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "session_rules.h"

/* "192.0.2.10:25", "[2001:db8::25]:25", the address alone without a port */
static void
mta_name(session_conn *c, const net_addr *daemon, unsigned port)
{
	char text[STATS_MTA_NAME_MAX - 8];

	c->mta[0] = '\0';
	if (daemon == NULL || daemon->family == 0)
		return;
	net_addr_format(daemon, text, sizeof text);
	if (port == 0)
		g_strlcpy(c->mta, text, sizeof c->mta);
	else
		snprintf(c->mta, sizeof c->mta,
			 daemon->family == 6 ? "[%s]:%u" : "%s:%u", text, port);
}

void
session_mta(session_conn *c, const char *version, const net_addr *daemon,
	    unsigned port)
{
	bool local;

	mta_name(c, daemon, port);
	if (version == NULL || !g_str_has_prefix(version, "Postfix"))
		return;
	local = c->client.family == 4 ? c->client.addr[0] == 127
		: c->client.family == 6
		  && memcmp(c->client.addr,
			    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	if (!local && daemon != NULL && daemon->family != 0)
		local = daemon->family == c->client.family
			&& memcmp(daemon->addr, c->client.addr,
				  daemon->family == 4 ? 4 : 16) == 0;
	c->mta_adds_headers = local;
}

void
session_header(session_conn *c, const char *name, const char *value)
{
	session_msg *m = &c->msg;
	mta_added_field added = ADDED_NO;
	const char *qid = NULL;
	size_t qid_len = 0;
	guint64 n;

	if (!m->active)
		return;
	if (c->mta_adds_headers)
		added = content_postfix_added(name, value, &qid, &qid_len);
	/* a queue id that cannot be this transaction's: a client's field */
	if (added == ADDED_MESSAGE_ID
	    && (qid_len >= sizeof m->added_msgid_qid
		|| (m->queue_id[0] != '\0'
		    && (strlen(m->queue_id) != qid_len
			|| memcmp(m->queue_id, qid, qid_len) != 0))))
		added = ADDED_NO;
	n = content_header_from(&m->content, name, value,
				c->header_leading_space, added != ADDED_NO);
	if (added == ADDED_MESSAGE_ID) {
		memcpy(m->added_msgid_qid, qid, qid_len);
		m->added_msgid_qid[qid_len] = '\0';
		m->added_msgid_octets = n;
	} else if (added == ADDED_NO) {
		m->added_msgid_qid[0] = '\0';
		m->added_msgid_octets = 0;
	}
}

/*
 * At the end of message the queue id is known: a trailing Message-Id
 * that names another one was the client's after all.
 */
void
session_settle_added_headers(session_msg *m)
{
	if (m->added_msgid_octets > 0
	    && strcmp(m->added_msgid_qid, m->queue_id) != 0)
		m->content.mta_added_octets -= m->added_msgid_octets;
	m->added_msgid_octets = 0;
}

void
session_body(session_conn *c, const unsigned char *data, size_t len)
{
	if (c->msg.active)
		content_body(&c->msg.content, data, len);
}

