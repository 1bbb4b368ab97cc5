/*
 * Postfix policy requests turned into session calls (see policy.h). What
 * a request carries decides what can be judged: the declared SIZE, the
 * sender and the recipient at RCPT, the client's octets at
 * END-OF-MESSAGE, the greeting from protocol_name. The other parameters,
 * the content and whether SMTPUTF8 was declared never reach a policy
 * service.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "registry.h"

typedef struct {
	char key[192];		/* client address and port, server address and port */
	session_conn conn;
	char instance[64];	/* Postfix's id of the current transaction */
	session_result mail_result;	/* what MAIL's checks answered */
	char last_rcpt[SESSION_NAME_MAX];
	guint last_rcpt_count;
	char last_reply[POLICY_REPLY_MAX];
	rule_set tags_sent;	/* rules already in a SESSION_TAG_HEADER */
	gint64 last_seen;
	GList lru;		/* in policy_service.lru, oldest first */
} policy_session;

struct policy_service {
	stats *stats;
	session_links *links;
	session_log_fn log;
	void *log_data;
	GHashTable *sessions;	/* key -> policy_session */
	GQueue lru;
};

policy_service *
policy_service_new(stats *st, session_links *links, session_log_fn log,
		  void *log_data)
{
	policy_service *pe = g_new0(policy_service, 1);

	pe->stats = st;
	pe->links = links;
	pe->log = log;
	pe->log_data = log_data;
	pe->sessions = g_hash_table_new(g_str_hash, g_str_equal);
	g_queue_init(&pe->lru);
	return pe;
}

static void
session_end(policy_service *pe, policy_session *ps)
{
	g_hash_table_remove(pe->sessions, ps->key);
	g_queue_unlink(&pe->lru, &ps->lru);
	session_close(&ps->conn);
	g_free(ps);
}

void
policy_service_free(policy_service *pe)
{
	if (pe == NULL)
		return;
	while (pe->lru.head != NULL)
		session_end(pe, pe->lru.head->data);
	g_hash_table_destroy(pe->sessions);
	g_free(pe);
}

void
policy_service_expire(policy_service *pe, gint64 now)
{
	while (pe->lru.head != NULL) {
		policy_session *ps = pe->lru.head->data;

		if (now - ps->last_seen <= POLICY_SESSION_IDLE)
			break;
		session_end(pe, ps);
	}
}

unsigned
policy_service_sessions(const policy_service *pe)
{
	return g_hash_table_size(pe->sessions);
}

static policy_session *
session_for(policy_service *pe, esmtp_config *config,
	    const policy_request *req, const session_endpoints *ends, gint64 now)
{
	char key[sizeof ((policy_session *)NULL)->key];
	policy_session *ps;

	snprintf(key, sizeof key, "%.64s %u %.64s %.16s", req->client_address,
		 req->port_value, req->server_address, req->server_port);
	ps = g_hash_table_lookup(pe->sessions, key);
	if (ps != NULL) {
		g_queue_unlink(&pe->lru, &ps->lru);
		g_queue_push_tail_link(&pe->lru, &ps->lru);
		ps->last_seen = now;
		return ps;
	}
	policy_service_expire(pe, now);
	if (g_hash_table_size(pe->sessions) >= POLICY_SESSIONS_MAX)
		session_end(pe, pe->lru.head->data);
	ps = g_try_new0(policy_session, 1);
	if (ps == NULL)
		return NULL;
	g_strlcpy(ps->key, key, sizeof ps->key);
	ps->lru.data = ps;
	ps->last_seen = now;
	session_init_policy(&ps->conn, config, pe->stats, pe->log, pe->log_data);
	session_connect(&ps->conn, req->client_name,
			ends->client.family != 0 ? &ends->client : NULL,
			req->client_address);
	session_mta(&ps->conn, NULL, &ends->server, ends->server_port);
	g_hash_table_insert(pe->sessions, ps->key, ps);
	g_queue_push_tail_link(&pe->lru, &ps->lru);
	return ps;
}

static void
reply_dunno(char *reply, size_t len)
{
	g_strlcpy(reply, "action=DUNNO\n\n", len);
}

static void
reply_result(const session_result *res, char *reply, size_t len)
{
	if (!res->stop)
		reply_dunno(reply, len);
	else
		snprintf(reply, len, "action=%s %s %s\n\n", res->reply.code,
			 res->reply.enhanced, res->text);
}

/*
 * The transaction Postfix names by instance: begun at its first request
 * with what MAIL said (the sender, SIZE when declared), as a milter
 * session begins at MAIL.
 */
static void
begin_transaction(policy_session *ps, const policy_request *req,
		  bool size_declared)
{
	char from[SESSION_NAME_MAX], size[48];
	char *argv[3] = {from, NULL, NULL};
	session_macros macros = {.auth_type = req->sasl_method,
				 .auth_authen = req->sasl_username,
				 .queue_id = req->queue_id};

	if (strcmp(ps->instance, req->instance) == 0
	    && (ps->conn.msg.active || ps->mail_result.stop))
		return;
	session_abort(&ps->conn);
	g_strlcpy(ps->instance, req->instance, sizeof ps->instance);
	snprintf(from, sizeof from, "<%s>", req->sender);
	/* Postfix reports no SIZE as size=0: SIZE=0 reads as undeclared */
	if (size_declared && req->size_value > 0) {
		snprintf(size, sizeof size, "%s=%" G_GUINT64_FORMAT,
			 registry_with_effect(EFFECT_SIZE)->keyword,
			 req->size_value);
		argv[1] = size;
	}
	session_mail(&ps->conn, argv, &macros, &ps->mail_result);
	ps->tags_sent = 0;
	ps->last_rcpt[0] = '\0';
}

/*
 * Tagged violations: Postfix adds a header a policy service asks for
 * with PREPEND, before the content arrives (so at RCPT, not at
 * END-OF-MESSAGE). Each rule is named once per transaction.
 */
static bool
reply_tags(policy_session *ps, char *reply, size_t len)
{
	char rules[SESSION_TEXT_MAX];
	rule_set fresh = session_tag_list(&ps->conn.msg, ps->tags_sent, rules,
					  sizeof rules);

	if (fresh == 0)
		return false;
	ps->tags_sent |= fresh;
	snprintf(reply, len, "action=PREPEND " SESSION_TAG_HEADER ": %s\n\n",
		 rules);
	return true;
}

static void
answer_rcpt(policy_session *ps, const policy_request *req, char *reply,
	    size_t len)
{
	char rcpt[SESSION_NAME_MAX];
	char *argv[2] = {rcpt, NULL};
	session_result res;

	begin_transaction(ps, req, true);
	if (ps->mail_result.stop) {
		reply_result(&ps->mail_result, reply, len);
		return;
	}
	/* the same RCPT asked again (the service named in two restriction
	   lists): the same answer, counted once */
	if (ps->last_rcpt[0] != '\0'
	    && strcmp(ps->last_rcpt, req->recipient) == 0
	    && ps->last_rcpt_count == req->recipient_count_value) {
		g_strlcpy(reply, ps->last_reply, len);
		return;
	}
	snprintf(rcpt, sizeof rcpt, "<%s>", req->recipient);
	session_rcpt(&ps->conn, argv, req->queue_id, &res);
	if (res.stop || !reply_tags(ps, reply, len))
		reply_result(&res, reply, len);
	g_strlcpy(ps->last_rcpt, req->recipient, sizeof ps->last_rcpt);
	ps->last_rcpt_count = req->recipient_count_value;
	g_strlcpy(ps->last_reply, reply, sizeof ps->last_reply);
}

static void
answer_eom(policy_session *ps, const policy_request *req, char *reply,
	   size_t len)
{
	session_result res;

	/* without a RCPT request before it, the declared SIZE is unknown */
	begin_transaction(ps, req, false);
	if (ps->mail_result.stop) {
		reply_result(&ps->mail_result, reply, len);
		return;
	}
	/* Postfix's count: recipients any restriction refused after ours
	   are not in it */
	ps->conn.msg.rcpts_accepted = req->recipient_count_value;
	session_eom_sized(&ps->conn, req->queue_id, req->size_value, &res);
	reply_result(&res, reply, len);
}

void
policy_service_answer(policy_service *pe, esmtp_config *config,
		     const policy_request *req, gint64 now, char *reply,
		     size_t len)
{
	greeting_type g = session_greeting_of(req->protocol_name);
	policy_session *ps;
	session_endpoints ends = {.client_port = req->port_value};

	if (pe->stats != NULL)
		stats_add(&pe->stats->policy_requests[req->state], 1);
	if (!net_addr_parse(req->client_address, &ends.client))
		memset(&ends.client, 0, sizeof ends.client);
	if (net_addr_parse(req->server_address, &ends.server))
		ends.server_port = req->server_port_value;
	else
		memset(&ends.server, 0, sizeof ends.server);
	if (session_link_tell(pe->links, &ends, g)) {
		reply_dunno(reply, len);
		return;
	}
	ps = session_for(pe, config, req, &ends, now);
	if (ps == NULL) {
		g_strlcpy(reply, "action=DEFER esmtp-milter is out of memory\n\n",
			  len);
		return;
	}
	if (*req->helo_name != '\0' && strcmp(req->helo_name, ps->conn.helo) != 0)
		session_helo(&ps->conn, req->helo_name);
	session_learn_greeting(&ps->conn, g);
	/* Postfix always sends encryption_protocol, empty without TLS */
	session_tls(&ps->conn, req->encryption_protocol,
		    req->encryption_keysize, true);

	switch (req->state) {
	case POLICY_STATE_RCPT:
		answer_rcpt(ps, req, reply, len);
		break;
	case POLICY_STATE_MAIL:
		begin_transaction(ps, req, true);
		reply_result(&ps->mail_result, reply, len);
		break;
	case POLICY_STATE_EOM:
		answer_eom(ps, req, reply, len);
		break;
	default:
		reply_dunno(reply, len);
		break;
	}
}

void
policy_service_refuse(policy_service *pe, policy_status status, char *reply,
		     size_t len)
{
	if (pe->stats != NULL)
		stats_add(&pe->stats->policy_requests[STATS_POLICY_BAD], 1);
	snprintf(reply, len, "action=DEFER bad policy request: %s\n\n",
		 policy_status_text(status));
}
