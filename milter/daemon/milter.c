/*
 * libmilter callbacks. Each one finds (or creates) the connection context,
 * hands the callback's data to the session core and turns its result into
 * a milter reply. Stages that never reply are negotiated as SMFIP_NR_* on
 * a unix socket (milter.h says why not over TCP), and the headers and
 * body are asked for only when a rule needs them.
 */
#include "milter.h"

#include <string.h>
#include <syslog.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "process.h"
#include "session.h"
#include "shutdown.h"
#include "session_socket.h"

/*
 * The process the sessions belong to, set once by milter_use() before
 * libmilter starts: libmilter's callbacks carry no pointer of ours, so
 * this one is global.
 */
static process *proc;

void
milter_use(process *p)
{
	proc = p;
}

static gint64 now_ns(void);

typedef struct {
	session_conn session;
	unsigned long pflags;	/* protocol flags this session negotiated */
	bool can_add_header;
	bool refused;		/* over the session cap: tempfailed at connect */
	bool tls_asked;		/* the MTA sends the TLS macros when encrypted */
	gint64 last_ns;		/* the last callback, for the timeout count */
	session_link *link;	/* for the policy service; NULL when it is off */
} milter_conn;

/* What the policy service has learned of this session's greeting. */
static void
learn_greeting(milter_conn *mc)
{
	if (mc->link != NULL)
		session_learn_greeting(&mc->session,
				       session_link_greeting(mc->link));
}

static void
session_log(void *data, int priority, const char *queue_id, const char *line)
{
	(void)data;
	log_msg(priority, queue_id, "%s", line);
}

/*
 * A session over the cap is answered with tempfail at connect, so the MTA
 * gets an answer at once instead of waiting for its connect timeout; the
 * warning names the limit, at most once every ten seconds.
 */
static bool
over_cap(const esmtp_config *config)
{
	static atomic_llong last_warning;
	stats *st = &proc->counters;
	bool from_limit;
	unsigned cap = process_session_cap(proc, config, &from_limit);
	long long open = (long long)atomic_load(&st->active_connections);
	long long now = (long long)time(NULL), was;

	if (open <= (long long)cap)
		return false;
	stats_add(&st->sessions_refused, 1);
	was = atomic_load(&last_warning);
	if (now - was >= 10
	    && atomic_compare_exchange_strong(&last_warning, &was, now))
		log_msg(LOG_WARNING, NULL,
			"%lld milter sessions open: a new one is tempfailed at connect (%s: %u)",
			open - 1, from_limit ? "file descriptors" : "max_sessions",
			cap);
	return true;
}

static milter_conn *
conn_new(SMFICTX *ctx)
{
	milter_conn *mc = g_try_new0(milter_conn, 1);
	esmtp_config *config;

	if (mc == NULL)
		return NULL;
	config = process_config_acquire(proc);
	session_init(&mc->session, config, &proc->counters, session_log, NULL);
	/* after SIGTERM only the sessions already open are served */
	mc->refused = shutdown_stopping() || over_cap(config);
	mc->last_ns = now_ns();
	config_unref(config);
	if (smfi_setpriv(ctx, mc) != MI_SUCCESS) {
		session_close(&mc->session);
		g_free(mc);
		return NULL;
	}
	return mc;
}

/* The context, created if the MTA skipped the stage that makes it. */
static milter_conn *
conn_get(SMFICTX *ctx)
{
	milter_conn *mc = smfi_getpriv(ctx);

	return mc != NULL ? mc : conn_new(ctx);
}

/* SMFIS_NOREPLY only where this session negotiated no reply for it. */
static sfsistat
no_reply(const milter_conn *mc, unsigned long flag)
{
	return mc != NULL && (mc->pflags & flag) ? SMFIS_NOREPLY
						 : SMFIS_CONTINUE;
}

static gint64
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Counts the time a callback spent in the daemon, and passes its result. */
static sfsistat
timed(milter_conn *mc, stats_stage stage, gint64 start, sfsistat result)
{
	gint64 end = now_ns();

	stats_observe(&proc->counters.processing[stage],
		      (double)(end - start) / 1e9);
	mc->last_ns = end;
	return result;
}

static sfsistat
reply(SMFICTX *ctx, const session_result *res)
{
	char text[2 * SESSION_TEXT_MAX];
	size_t n = 0;

	if (!res->stop)
		return SMFIS_CONTINUE;
	/* libmilter and Sendmail read the text as a format: double "%" */
	for (const char *p = res->text; *p != '\0' && n + 2 < sizeof text; p++) {
		if (*p == '%')
			text[n++] = '%';
		text[n++] = *p;
	}
	text[n] = '\0';
	if (smfi_setreply(ctx, (char *)res->reply.code,
			  (char *)res->reply.enhanced, text) != MI_SUCCESS)
		log_msg(LOG_WARNING, NULL, "could not set reply %s %s",
			res->reply.code, res->reply.enhanced);
	return res->action == ACTION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

static const char *
macro(SMFICTX *ctx, const char *name)
{
	return smfi_getsymval(ctx, (char *)name);
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	       unsigned long f2, unsigned long f3, unsigned long *pf0,
	       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	milter_conn *mc = conn_get(ctx);
	const esmtp_config *config;
	unsigned long actions = 0, proto;

	(void)f2;
	(void)f3;
	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	config = mc->session.config;

	/* no reply where the daemon never answers (libmilter fakes these),
	   on a unix socket: over TCP it would stall the MTA */
	/* over TCP every stage is answered: session_socket.c's writev()
	   sets TCP_QUICKACK after each reply, on the descriptors its
	   accept() marked (both replace the C library's for the process) */
	proto = session_socket_tcp() ? 0 : MILTER_NO_REPLY_STAGES;
	proto |= f1 & (SMFIP_NODATA | SMFIP_NOEOH);
	if (!config_needs_content(config))
		proto |= f1 & (SMFIP_NOHDRS | SMFIP_NOBODY);
	else
		proto |= f1 & SMFIP_HDR_LEADSPC;
	mc->session.header_leading_space = (proto & SMFIP_HDR_LEADSPC) != 0;

	if (config_needs_addheader(config)) {
		if (f0 & SMFIF_ADDHDRS) {
			actions |= SMFIF_ADDHDRS;
			mc->can_add_header = true;
		} else {
			log_msg(LOG_WARNING, NULL,
				"the MTA does not let filters add headers: the tag action adds no "
				SESSION_TAG_HEADER " header in this session");
		}
	}
	if (f0 & SMFIF_SETSYMLIST) {
		actions |= SMFIF_SETSYMLIST;
		smfi_setsymlist(ctx, SMFIM_CONNECT, MILTER_MACROS_CONNECT);
		smfi_setsymlist(ctx, SMFIM_HELO, MILTER_MACROS_HELO);
		smfi_setsymlist(ctx, SMFIM_ENVFROM, MILTER_MACROS_MAIL);
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, MILTER_MACROS_RCPT);
		smfi_setsymlist(ctx, SMFIM_EOM, MILTER_MACROS_EOM);
		mc->tls_asked = true;
	}
	if (mc->refused)	/* the tempfail at connect is a reply */
		proto &= ~(unsigned long)SMFIP_NR_CONN;
	mc->pflags = proto;
	log_msg(LOG_DEBUG, NULL,
		"negotiated: headers and body %s, header leading space %s, add header %s, macros %s",
		(proto & SMFIP_NOBODY) ? "not sent" : "sent",
		(proto & SMFIP_HDR_LEADSPC) ? "exact" : "assumed",
		(actions & SMFIF_ADDHDRS) ? "yes" : "no",
		(actions & SMFIF_SETSYMLIST) ? "requested" : "MTA defaults");
	*pf0 = actions;
	*pf1 = proto;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static void
address_from_sockaddr(const struct sockaddr *sa, net_addr *addr,
		      unsigned *port, char *text, size_t len)
{
	memset(addr, 0, sizeof *addr);
	text[0] = '\0';
	*port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		*port = ntohs(in->sin_port);
		addr->family = 4;
		addr->prefix = 32;
		memcpy(addr->addr, &in->sin_addr, 4);
		inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t)len);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			addr->family = 4;
			addr->prefix = 32;
			memcpy(addr->addr, in6->sin6_addr.s6_addr + 12, 4);
			inet_ntop(AF_INET, addr->addr, text, (socklen_t)len);
		} else {
			addr->family = 6;
			addr->prefix = 128;
			memcpy(addr->addr, &in6->sin6_addr, 16);
			inet_ntop(AF_INET6, &in6->sin6_addr, text,
				  (socklen_t)len);
		}
	}
}

/* The MTA's end of the SMTP session, where the MTA says it. */
static void
mta_end(SMFICTX *ctx, session_endpoints *e)
{
	const char *addr = macro(ctx, "{daemon_addr}");
	const char *port = macro(ctx, "{daemon_port}");
	guint64 n;

	if (addr == NULL || !net_addr_parse(addr, &e->server)) {
		memset(&e->server, 0, sizeof e->server);
		return;
	}
	if (port != NULL
	    && g_ascii_string_to_unsigned(port, 10, 1, 65535, &n, NULL))
		e->server_port = (unsigned)n;
}

/*
 * Over TCP: what the replies so far tell of the socket options, said
 * once each (session_socket.h), and this session's connect reply looked
 * at in turn. A libmilter whose sessions are not the descriptors accept()
 * returned would otherwise cost the MTA 40 ms a packet unnoticed.
 */
static void
tcp_report(void)
{
	static atomic_uint said;
	unsigned seen, fresh;

	if (!session_socket_tcp())
		return;
	session_socket_check_reply();
	seen = session_socket_seen();
	fresh = seen & ~atomic_fetch_or(&said, seen);
	if (fresh & SESSION_SOCKET_SEEN_MARKED)
		log_msg(LOG_DEBUG, NULL, "TCP sessions: TCP_NODELAY and TCP_QUICKACK applied "
			"(libmilter replies on the descriptors accept() returned)");
	if (fresh & SESSION_SOCKET_SEEN_UNMARKED)
		log_msg(LOG_WARNING, NULL, "TCP sessions: libmilter replied on a descriptor "
			"accept() never returned: TCP_NODELAY and TCP_QUICKACK are not applied, "
			"and the MTA may wait for a delayed acknowledgement after each packet");
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	gint64 start = now_ns();
	milter_conn *mc = conn_get(ctx);
	session_endpoints ends = {.client_port = 0};
	net_addr addr;
	unsigned port;
	char text[INET6_ADDRSTRLEN];

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	if (mc->refused) {
		/* and the session ends there: the daemon closes it itself,
		   so that no peer holds a descriptor past the cap (this reply
		   is always written: negotiate took no "no reply" for it).
		   Through the writev() of session_socket.c, which replaces
		   the C library's for the whole process: the next writev()
		   on this thread, libmilter's of this reply, shuts the socket
		   down once the reply is out. */
		session_socket_close_after_reply();
		return SMFIS_TEMPFAIL;
	}
	tcp_report();
	mta_end(ctx, &ends);
	if (hostaddr != NULL) {
		address_from_sockaddr(hostaddr, &addr, &port, text, sizeof text);
		session_connect(&mc->session, hostname,
				addr.family != 0 ? &addr : NULL,
				text[0] != '\0' ? text : NULL);
		if (mc->link == NULL && proc->links != NULL) {
			ends.client = addr;
			ends.client_port = port;
			mc->link = session_link_add(proc->links, &ends);
		}
	} else {
		/* Sendmail -bs: no address, perhaps {client_addr} */
		const char *ca = macro(ctx, "{client_addr}");

		if (ca != NULL && net_addr_parse(ca, &addr))
			session_connect(&mc->session, hostname, &addr, ca);
		else
			session_connect(&mc->session, hostname, NULL, NULL);
	}
	session_mta(&mc->session, macro(ctx, "v"), &ends.server, ends.server_port);
	/* Postfix gives the TLS macros at HELO by default, asked or not */
	if (macro(ctx, "v") != NULL && g_str_has_prefix(macro(ctx, "v"), "Postfix"))
		mc->tls_asked = true;
	return timed(mc, STATS_STAGE_CONNECT, start, no_reply(mc, SMFIP_NR_CONN));
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *name)
{
	gint64 start = now_ns();
	milter_conn *mc = conn_get(ctx);

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	session_helo(&mc->session, name);
	session_tls(&mc->session, macro(ctx, "{tls_version}"),
		    macro(ctx, "{cipher_bits}"), mc->tls_asked);
	session_link_forget(mc->link);
	return timed(mc, STATS_STAGE_HELO, start, no_reply(mc, SMFIP_NR_HELO));
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	gint64 start = now_ns();
	milter_conn *mc = conn_get(ctx);
	session_result res;
	session_macros m;

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	m.protocol = macro(ctx, "{r}");
	m.auth_type = macro(ctx, "{auth_type}");
	m.auth_authen = macro(ctx, "{auth_authen}");
	m.queue_id = macro(ctx, "i");
	m.tls_version = macro(ctx, "{tls_version}");
	m.cipher_bits = macro(ctx, "{cipher_bits}");
	learn_greeting(mc);
	session_mail(&mc->session, argv, &m, &res);
	return timed(mc, STATS_STAGE_MAIL, start, reply(ctx, &res));
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	gint64 start = now_ns();
	milter_conn *mc = conn_get(ctx);
	session_result res;

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	learn_greeting(mc);
	session_rcpt(&mc->session, argv, macro(ctx, "i"), &res);
	return timed(mc, STATS_STAGE_RCPT, start, reply(ctx, &res));
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	gint64 start = now_ns();
	milter_conn *mc = conn_get(ctx);

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	session_header(&mc->session, name, value);
	return timed(mc, STATS_STAGE_HEADER, start, no_reply(mc, SMFIP_NR_HDR));
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	gint64 start = now_ns();
	milter_conn *mc = conn_get(ctx);

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	session_body(&mc->session, data, len);
	return timed(mc, STATS_STAGE_BODY, start, no_reply(mc, SMFIP_NR_BODY));
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	gint64 start = now_ns();
	milter_conn *mc = conn_get(ctx);
	session_result res;

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	learn_greeting(mc);
	session_eom(&mc->session, macro(ctx, "i"), &res);
	if (!res.stop && res.tag_header[0] != '\0' && mc->can_add_header
	    && smfi_addheader(ctx, SESSION_TAG_HEADER, res.tag_header) != MI_SUCCESS)
		log_msg(LOG_WARNING, mc->session.msg.queue_id,
			"could not add the " SESSION_TAG_HEADER " header");
	return timed(mc, STATS_STAGE_EOM, start, reply(ctx, &res));
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	milter_conn *mc = smfi_getpriv(ctx);

	if (mc != NULL)
		session_abort(&mc->session);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	milter_conn *mc = smfi_getpriv(ctx);

	/* the close-after-reply of session_socket.c is this thread's and
	   must never reach its next session */
	session_socket_session_end();
	if (mc == NULL)
		return SMFIS_CONTINUE;
	/* libmilter closes a session the MTA left silent for [milter] timeout */
	if (now_ns() - mc->last_ns
	    >= (gint64)MAX(mc->session.config->timeout, 1) * 1000000000 - 500000000) {
		stats_add(&proc->counters.sessions_timed_out, 1);
		log_msg(LOG_NOTICE, mc->session.msg.queue_id,
			"session from %s closed: the MTA sent nothing for %u s ([milter] timeout)",
			mc->session.client_addr, mc->session.config->timeout);
	}
	learn_greeting(mc);
	session_link_remove(mc->link);
	session_close(&mc->session);
	smfi_setpriv(ctx, NULL);
	g_free(mc);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_unknown(SMFICTX *ctx, const char *command)
{
	milter_conn *mc = conn_get(ctx);

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	session_unknown(&mc->session, command);
	return no_reply(mc, SMFIP_NR_UNKN);
}

struct smfiDesc milter_desc = {
	.xxfi_name = "esmtp-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_SETSYMLIST,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = NULL,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = mlfi_unknown,
	.xxfi_data = NULL,
	.xxfi_negotiate = mlfi_negotiate,
};
