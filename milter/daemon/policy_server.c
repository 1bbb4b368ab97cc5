/*
 * The policy listener's event loop. Each connection has a read buffer
 * that grows to the largest request allowed and one pending reply; a
 * connection whose reply is not yet written is not read from, so a
 * client that never reads costs no more than that. Once a second the
 * loop closes stalled and idle connections and expires idle sessions.
 */
#include "policy_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>
#ifndef __linux__
#error "esmtp-milter's Postfix policy listener (milter/daemon/policy_server.c) waits with epoll, which only Linux has: the daemon builds and runs on Linux; the core and esmtp-milter-stats build wherever GLib, json-glib and libcurl do"
#endif
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <glib.h>

#include "log.h"
#include "policy.h"
#include "process.h"

typedef struct policy_conn {
	policy_server *srv;
	int fd;
	char peer[64];
	char *buf;
	size_t len, cap, scan;
	char out[POLICY_REPLY_MAX];
	size_t out_len, out_off;
	bool close_after_reply;
	gint64 request_start;	/* the first octet of a partial request */
	gint64 out_since;	/* a reply the client has not read yet */
	gint64 last_active;
	GList link;
} policy_conn;

struct policy_server {
	process *proc;
	gint64 idle_seconds;	/* POLICY_IDLE_SECONDS, or the test's value */
	int listen_fd, epoll_fd, wake_fd;
	bool listen_paused;
	GThread *thread;
	GQueue conns;
	policy_service *engine;
	gint64 warn_second;	/* rate limit for warnings: 10 a second */
	unsigned warnings;
};

static gint64
now_s(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static bool
may_warn(policy_server *srv)
{
	gint64 s = now_s();

	if (s != srv->warn_second) {
		srv->warn_second = s;
		srv->warnings = 0;
	}
	return srv->warnings++ < 10;
}

static void
session_log(void *data, int priority, const char *queue_id, const char *line)
{
	(void)data;
	log_msg(priority, queue_id, "%s", line);
}

/* ---- opening ------------------------------------------------------------ */

/* The reason in *error; errno as the system call left it (0 if none). */
static void
open_failed(GError **error, int err, const char *why)
{
	g_set_error_literal(error, G_FILE_ERROR,
			    err != 0 ? g_file_error_from_errno(err) : G_FILE_ERROR_FAILED,
			    why);
	errno = err;
}

int
policy_server_open(const char *spec, unsigned mode, bool chown_to, uid_t uid,
		   gid_t gid, GError **error)
{
	socket_spec s;
	int fd = -1;

	if (!socket_spec_parse(spec, &s)) {
		open_failed(error, 0, "not unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST");
		return -1;
	}
	if (s.is_unix) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		if (strlen(s.path) >= sizeof sun.sun_path) {
			open_failed(error, 0, "the path is too long for a unix socket");
			goto out;
		}
		strcpy(sun.sun_path, s.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0
		    || chmod(s.path, mode) != 0
		    || (chown_to && chown(s.path, uid, gid) != 0)
		    || listen(fd, SOMAXCONN) != 0) {
			open_failed(error, errno, g_strerror(errno));
			goto fail;
		}
	} else {
		struct addrinfo hints = {.ai_family = s.inet6 ? AF_INET6 : AF_INET,
					 .ai_socktype = SOCK_STREAM,
					 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
		struct addrinfo *ai = NULL;
		char port[8];
		int one = 1, rc;

		snprintf(port, sizeof port, "%u", s.port);
		rc = getaddrinfo(s.host, port, &hints, &ai);
		if (rc != 0) {
			open_failed(error, 0, gai_strerror(rc));
			goto out;
		}
		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0
		    || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
		    || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0
		    || listen(fd, SOMAXCONN) != 0) {
			open_failed(error, errno, g_strerror(errno));
			freeaddrinfo(ai);
			goto fail;
		}
		freeaddrinfo(ai);
	}
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	fd = -1;
out:
	socket_spec_clear(&s);
	return fd;
}

/* ---- connections -------------------------------------------------------- */

static void
conn_close(policy_conn *c)
{
	policy_server *srv = c->srv;

	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	g_queue_unlink(&srv->conns, &c->link);
	g_free(c->buf);
	g_free(c);
}

static void
conn_watch(policy_conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	epoll_ctl(c->srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes the pending reply; false when the connection was closed. */
static bool
conn_flush(policy_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->out_since == 0)
				c->out_since = now_s();
			conn_watch(c, EPOLLOUT);
			return true;
		}
		if (n <= 0) {
			conn_close(c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	c->out_since = 0;
	if (c->close_after_reply) {
		conn_close(c);
		return false;
	}
	conn_watch(c, EPOLLIN);
	return true;
}

static void
refuse(policy_conn *c, policy_status status)
{
	policy_server *srv = c->srv;

	if (may_warn(srv))
		log_msg(LOG_WARNING, NULL,
			"policy request from %s refused (DEFER, connection closed): %s",
			c->peer, policy_status_text(status));
	policy_service_refuse(srv->engine, status, c->out, sizeof c->out);
	c->out_len = strlen(c->out);
	c->close_after_reply = true;
}

static void
answer(policy_conn *c, size_t end)
{
	policy_server *srv = c->srv;
	gint64 start = g_get_monotonic_time();
	policy_request req;
	policy_status st = policy_request_parse(c->buf, end, &req);

	if (st != POLICY_OK) {
		refuse(c, st);
	} else {
		esmtp_config *config = process_config_acquire(srv->proc);

		policy_service_answer(srv->engine, config, &req,
				     start / G_USEC_PER_SEC, c->out, sizeof c->out);
		config_unref(config);
		c->out_len = strlen(c->out);
	}
	stats_observe(&srv->proc->counters.processing[STATS_STAGE_POLICY],
		      (double)(g_get_monotonic_time() - start) / 1e6);
}

/* Answers the complete requests in the buffer, one reply at a time. */
static bool
conn_serve(policy_conn *c)
{
	while (c->out_len == 0 && !c->close_after_reply) {
		size_t end = policy_request_end(c->buf, c->len, &c->scan);

		if (end == 0) {
			if (c->len >= POLICY_REQUEST_MAX)
				refuse(c, POLICY_TOO_LONG);
			break;
		}
		answer(c, end);
		memmove(c->buf, c->buf + end, c->len - end);
		c->len -= end;
		c->scan = 0;
		c->request_start = c->len > 0 ? now_s() : 0;
		if (!conn_flush(c))
			return false;
	}
	if (c->out_len > 0 && c->out_off == 0)
		return conn_flush(c);
	return true;
}

static void
conn_read(policy_conn *c)
{
	policy_server *srv = c->srv;

	for (;;) {
		ssize_t n;
		char *buf;

		if (c->out_len > 0 || c->close_after_reply)
			return;		/* read on once the reply is out */
		if (c->len == c->cap) {
			size_t cap = MIN(MAX(c->cap * 2, 4096),
					 (size_t)POLICY_REQUEST_MAX);

			if (cap == c->cap) {
				conn_serve(c);
				return;
			}
			buf = g_try_realloc(c->buf, cap);
			if (buf == NULL) {
				if (may_warn(srv))
					log_msg(LOG_WARNING, NULL,
						"policy client %s: out of memory, connection closed",
						c->peer);
				conn_close(c);
				return;
			}
			c->buf = buf;
			c->cap = cap;
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (c->len > 0 && may_warn(srv))
				log_msg(LOG_WARNING, NULL,
					"policy client %s closed the connection in the middle of a request",
					c->peer);
			conn_close(c);
			return;
		}
		if (c->len == 0)
			c->request_start = now_s();
		c->len += (size_t)n;
		c->last_active = now_s();
		if (!conn_serve(c))
			return;
	}
}

static void
peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[INET6_ADDRSTRLEN], port[8];

	g_strlcpy(buf, "a local client", len);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0
	    && ss.ss_family != AF_UNIX
	    && getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port,
			   sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(buf, len, "%s port %s", host, port);
}

static void
accept_all(policy_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN};
		policy_conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* no descriptor for it: listen again in a second */
				if (may_warn(srv))
					log_msg(LOG_WARNING, NULL,
						"policy listener: cannot accept a connection: %s (%u open)",
						g_strerror(errno), srv->conns.length);
				epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL,
					  srv->listen_fd, NULL);
				srv->listen_paused = true;
			}
			return;
		}
		if (srv->conns.length >= POLICY_CONNECTIONS_MAX) {
			if (may_warn(srv))
				log_msg(LOG_WARNING, NULL,
					"policy listener: connection closed at once: %d connections are open, the most it keeps",
					POLICY_CONNECTIONS_MAX);
			close(fd);
			continue;
		}
		c = g_try_new0(policy_conn, 1);
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		c->link.data = c;
		c->last_active = now_s();
		peer_name(fd, c->peer, sizeof c->peer);
		ev.data.ptr = c;
		if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			g_free(c);
			continue;
		}
		g_queue_push_tail_link(&srv->conns, &c->link);
	}
}

/* Once a second: stalled and idle connections, idle sessions. */
static void
tick(policy_server *srv, gint64 now)
{
	GList *next;

	for (GList *l = srv->conns.head; l != NULL; l = next) {
		policy_conn *c = l->data;

		next = l->next;
		/* from the first octet: a slow trickle does not extend it */
		if ((c->request_start > 0
		     && now - c->request_start > POLICY_STALL_SECONDS)
		    || (c->out_since > 0
			&& now - c->out_since > POLICY_STALL_SECONDS)) {
			if (may_warn(srv))
				log_msg(LOG_WARNING, NULL,
					"policy client %s %s for %d s: connection closed",
					c->peer, c->out_since > 0
					? "read no reply" : "left a request unfinished",
					POLICY_STALL_SECONDS);
			conn_close(c);
		} else if (now - c->last_active > srv->idle_seconds) {
			conn_close(c);
		}
	}
	policy_service_expire(srv->engine, now);
	if (srv->listen_paused) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &srv->listen_fd};

		if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->listen_fd, &ev) == 0)
			srv->listen_paused = false;
	}
}

static gpointer
serve(gpointer data)
{
	policy_server *srv = data;
	struct epoll_event events[64];
	gint64 last_tick = now_s();
	bool stop = false;

	while (!stop) {
		int n = epoll_wait(srv->epoll_fd, events, G_N_ELEMENTS(events), 1000);
		gint64 now;

		for (int i = 0; i < n; i++) {
			void *p = events[i].data.ptr;

			if (p == &srv->listen_fd) {
				accept_all(srv);
			} else if (p == &srv->wake_fd) {
				stop = true;
			} else {
				policy_conn *c = p;

				if (events[i].events & EPOLLOUT) {
					/* requests that came with the last one */
					if (conn_flush(c) && conn_serve(c))
						conn_read(c);
				} else {
					conn_read(c);
				}
			}
		}
		now = now_s();
		if (now != last_tick) {
			last_tick = now;
			tick(srv, now);
		}
	}
	return NULL;
}

/* ESMTP_MILTER_POLICY_IDLE (seconds) shortens the idle close for tests,
   as ESMTP_MILTER_STATE_INTERVAL does the state file's interval. */
static gint64
idle_seconds(void)
{
	const char *e = getenv("ESMTP_MILTER_POLICY_IDLE");
	guint64 n;

	if (e != NULL && g_ascii_string_to_unsigned(e, 10, 1, 86400, &n, NULL))
		return (gint64)n;
	return POLICY_IDLE_SECONDS;
}

policy_server *
policy_server_start(int fd, process *p)
{
	policy_server *srv = g_new0(policy_server, 1);
	struct epoll_event ev = {.events = EPOLLIN};

	srv->proc = p;
	srv->idle_seconds = idle_seconds();
	srv->listen_fd = fd;
	g_queue_init(&srv->conns);
	srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->epoll_fd < 0 || srv->wake_fd < 0)
		goto fail;
	ev.data.ptr = &srv->listen_fd;
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
		goto fail;
	ev.data.ptr = &srv->wake_fd;
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->wake_fd, &ev) != 0)
		goto fail;
	srv->engine = policy_service_new(&p->counters, p->links, session_log,
					NULL);
	srv->thread = g_thread_try_new("policy", serve, srv, NULL);
	if (srv->thread != NULL)
		return srv;
	policy_service_free(srv->engine);
fail:
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	g_free(srv);
	return NULL;
}

void
policy_server_stop(policy_server *srv)
{
	uint64_t one = 1;

	if (srv == NULL)
		return;
	if (write(srv->wake_fd, &one, sizeof one) < 0)
		log_msg(LOG_WARNING, NULL, "cannot wake the policy listener: %s",
			g_strerror(errno));
	g_thread_join(srv->thread);
	while (srv->conns.head != NULL)
		conn_close(srv->conns.head->data);
	policy_service_free(srv->engine);
	close(srv->listen_fd);
	close(srv->epoll_fd);
	close(srv->wake_fd);
	g_free(srv);
}
