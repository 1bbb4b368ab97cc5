/*
 * HTTP for the statistics, by libmicrohttpd on its own thread: GET or HEAD
 * / (the HTML report, report.h), /metrics and /stats.json; anything else
 * is 404 or 405.
 *
 * Hardened against slow and many clients: poll (no FD_SETSIZE limit, so
 * metrics are served while the daemon holds thousands of descriptors;
 * with epoll, libmicrohttpd at its connection limit was seen to notice
 * connections the watchdog ended only at its next timeout, 5 s later),
 * room for STATS_HTTP_CONNECTIONS_MAX connections, an idle timeout, and a
 * deadline per connection that a client sending a byte at a time cannot
 * extend: a watchdog shuts down any connection older than
 * HTTP_DEADLINE_SECONDS, so a legitimate scrape always finds a slot.
 *
 * Under pressure (fewer than HTTP_SPARE free slots) the watchdog also
 * sheds the connections older than HTTP_PRESSURE_AGE seconds, the
 * oldest first, down to half the slots: connections held open and idle
 * cannot keep a scrape waiting for their deadline.
 *
 * With a web configuration (web_config.h): HTTPS by libmicrohttpd's own
 * TLS (GnuTLS), the client certificate checked as client_auth_type says
 * (403 without one the file requires; a certificate whose extended key
 * usage does not allow clientAuth is not one), and basic authentication
 * against the bcrypt hashes (401 for a wrong or missing password), before
 * any page is served. A password that passed recently is known without
 * bcrypt (web_auth.h); any other is checked by HTTP_CHECKERS threads of
 * their own while its connection is suspended, so that the thread that
 * serves (and does the TLS handshakes) never runs bcrypt: a flood of
 * wrong passwords queues behind the checkers (at most HTTP_CHECKS_QUEUED,
 * then 503), never in front of a scrape that passed before.
 *
 * libmicrohttpd's own messages go to the daemon's log, in its grammar.
 */
#include "stats_http.h"

#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"
#include "report.h"
#include "stats_export.h"
#include "web_auth.h"

#define HTTP_IDLE_SECONDS 5u
#define HTTP_DEADLINE_SECONDS 5
#define HTTP_SPARE 16
#define HTTP_PRESSURE_AGE 1
#define HTTP_CHECKERS 2
#define HTTP_CHECKS_QUEUED 32

struct stats_http {
	struct MHD_Daemon *daemon;
	stats *stats;
	web_config *web;	/* NULL: plain HTTP, no authentication */
	web_auth *auth;		/* NULL without basic_auth_users */
	GThreadPool *checkers;	/* bcrypt, off the serving thread */
	gint checks_queued;
	gint checks_stopping;
	/* open connections: descriptor -> start (seconds), for the watchdog */
	GMutex lock;
	GHashTable *open;
	GCond wake;
	bool stopping;
	GThread *watchdog;
};

/* A request whose password is being checked (its connection suspended). */
typedef struct {
	stats_http *h;
	struct MHD_Connection *conn;
	char *user, *password;
	bool ok;		/* written before the resume, read after it */
} auth_job;

static gint64
now_s(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

/* MHD tells of each connection before it closes its descriptor. */
static void
notify(void *cls, struct MHD_Connection *conn, void **socket_context,
       enum MHD_ConnectionNotificationCode code)
{
	stats_http *h = cls;
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	(void)socket_context;
	if (info == NULL)
		return;
	g_mutex_lock(&h->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		g_hash_table_insert(h->open, GINT_TO_POINTER(info->connect_fd),
				    GINT_TO_POINTER((int)now_s()));
	else
		g_hash_table_remove(h->open, GINT_TO_POINTER(info->connect_fd));
	g_mutex_unlock(&h->lock);
}

static gint
older_first(gconstpointer a, gconstpointer b, gpointer open)
{
	gint x = GPOINTER_TO_INT(g_hash_table_lookup(open, a));
	gint y = GPOINTER_TO_INT(g_hash_table_lookup(open, b));

	return x < y ? -1 : x > y;
}

/* Near the limit: the connections older than HTTP_PRESSURE_AGE go,
   the oldest first, until half the slots are free. */
static void
shed(stats_http *h, gint64 now)
{
	g_autoptr(GList) fds = NULL;
	guint n = g_hash_table_size(h->open);

	if (n + HTTP_SPARE < STATS_HTTP_CONNECTIONS_MAX)
		return;
	fds = g_list_sort_with_data(g_hash_table_get_keys(h->open), older_first, h->open);
	for (GList *l = fds; l != NULL && n > STATS_HTTP_CONNECTIONS_MAX / 2; l = l->next) {
		if (now - GPOINTER_TO_INT(g_hash_table_lookup(h->open, l->data))
		    < HTTP_PRESSURE_AGE)
			break;
		shutdown(GPOINTER_TO_INT(l->data), SHUT_RDWR);
		g_hash_table_remove(h->open, l->data);
		n--;
	}
}

static gpointer
watchdog(gpointer data)
{
	stats_http *h = data;

	g_mutex_lock(&h->lock);
	while (!h->stopping) {
		GHashTableIter it;
		gpointer fd, start;
		gint64 now = now_s();

		g_hash_table_iter_init(&it, h->open);
		while (g_hash_table_iter_next(&it, &fd, &start))
			if (now - GPOINTER_TO_INT(start) >= HTTP_DEADLINE_SECONDS) {
				/* MHD sees the end and closes it itself */
				shutdown(GPOINTER_TO_INT(fd), SHUT_RDWR);
				g_hash_table_iter_remove(&it);
			}
		shed(h, now);
		g_cond_wait_until(&h->wake, &h->lock,
				  g_get_monotonic_time() + G_USEC_PER_SEC / 2);
	}
	g_mutex_unlock(&h->lock);
	return NULL;
}

/* web_config's http_server_config headers, on every response */
static void
add_headers(const stats_http *h, struct MHD_Response *r)
{
	for (guint i = 0; h->web != NULL && i + 1 < h->web->headers->len; i += 2)
		MHD_add_response_header(r, g_ptr_array_index(h->web->headers, i),
					g_ptr_array_index(h->web->headers, i + 1));
}

/* A response with one more header (name NULL: none). */
static enum MHD_Result
send_with(const stats_http *h, struct MHD_Connection *conn, unsigned status,
	  const char *type, const char *body, const char *name, const char *value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (name != NULL)
		MHD_add_response_header(r, name, value);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	add_headers(h, r);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_text(const stats_http *h, struct MHD_Connection *conn, unsigned status,
	  const char *type, const char *body)
{
	return send_with(h, conn, status, type, body, NULL, NULL);
}

/* What tls_server_config's client_auth_type asks of the client. */
static bool
client_cert_ok(const web_config *w, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	unsigned n = 0, status = 1;
	bool given;
	gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
					 (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};

	if (!w->tls || w->client_auth <= WEB_REQUEST_CLIENT_CERT)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	peers = gnutls_certificate_get_peers(ci->tls_session, &n);
	given = peers != NULL && n > 0;
	if (!given)
		return w->client_auth == WEB_VERIFY_CLIENT_CERT_IF_GIVEN;
	if (w->client_auth == WEB_REQUIRE_ANY_CLIENT_CERT)
		return true;
	/* verified against client_ca_file, and meant for clients: a
	   certificate whose extended key usage lacks clientAuth (a server's,
	   under the same CA) is refused, as the exporters and OpenSSL do */
	return gnutls_certificate_verify_peers(ci->tls_session, &purpose, 1, &status) == 0
	       && status == 0;
}

static void
forget(char *secret, void (*release)(void *))
{
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		release(secret);
	}
}

/* On a checker thread: one bcrypt, then the connection goes on. */
static void
check_password(gpointer data, gpointer user_data)
{
	auth_job *job = data;
	stats_http *h = user_data;

	job->ok = !g_atomic_int_get(&h->checks_stopping)
		  && web_auth_check(h->auth, job->user, job->password);
	forget(job->password, g_free);
	job->password = NULL;
	g_atomic_int_add(&h->checks_queued, -1);
	MHD_resume_connection(job->conn);
}

typedef enum { AUTH_PASSED, AUTH_REFUSED, AUTH_PENDING, AUTH_BUSY } auth_state;

/*
 * Whether the request's password passed: at once if it passed recently,
 * from its job once a checker is done, or AUTH_PENDING with the
 * connection suspended and a job queued (the handler is called again
 * when it is resumed).
 */
static auth_state
password_state(stats_http *h, struct MHD_Connection *conn, void **con_cls)
{
	auth_job *job = *con_cls;
	char *pass = NULL, *user;
	bool cached;

	if (job != NULL)
		return job->ok ? AUTH_PASSED : AUTH_REFUSED;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	cached = web_auth_cached(h->auth, user, pass);
	if (!cached && g_atomic_int_add(&h->checks_queued, 1) >= HTTP_CHECKS_QUEUED) {
		g_atomic_int_add(&h->checks_queued, -1);
		forget(pass, MHD_free);
		forget(user, MHD_free);
		return AUTH_BUSY;
	}
	if (!cached) {
		job = g_new0(auth_job, 1);
		*job = (auth_job){h, conn, g_strdup(user != NULL ? user : ""),
				  g_strdup(pass != NULL ? pass : ""), false};
		if (user == NULL || pass == NULL)
			g_clear_pointer(&job->user, g_free);	/* no credentials */
		*con_cls = job;
		MHD_suspend_connection(conn);
		g_thread_pool_push(h->checkers, job, NULL);
	}
	forget(pass, MHD_free);
	forget(user, MHD_free);
	return cached ? AUTH_PASSED : AUTH_PENDING;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	  enum MHD_RequestTerminationCode why)
{
	auth_job *job = *con_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (job == NULL)
		return;
	forget(job->password, g_free);
	g_free(job->user);
	g_free(job);
	*con_cls = NULL;
}

static enum MHD_Result
ask_password(const stats_http *h, struct MHD_Connection *conn)
{
	static const char body[] = "a user name and password are required\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	add_headers(h, r);
	ret = MHD_queue_basic_auth_fail_response(conn, "esmtp-milter", r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
       const char *method, const char *version, const char *upload_data,
       size_t *upload_data_size, void **con_cls)
{
	stats_http *h = cls;
	g_autofree char *body = NULL;

	(void)version;
	(void)upload_data;
	if (*upload_data_size != 0) {
		*upload_data_size = 0;	/* no request bodies wanted */
		return MHD_YES;
	}
	if (h->web != NULL && !client_cert_ok(h->web, conn))
		return send_text(h, conn, MHD_HTTP_FORBIDDEN, "text/plain",
				 "a valid client certificate is required\n");
	if (h->auth != NULL) {
		switch (password_state(h, conn, con_cls)) {
		case AUTH_PASSED:
			break;
		case AUTH_PENDING:
			return MHD_YES;
		case AUTH_BUSY:
			return send_text(h, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
					 "too many passwords being checked; try again\n");
		case AUTH_REFUSED:
			return ask_password(h, conn);
		}
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_with(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
				 "only GET and HEAD\n", "Allow", "GET, HEAD");
	if (strcmp(url, "/metrics") == 0) {
		body = stats_prometheus_text(h->stats);
		return send_text(h, conn, MHD_HTTP_OK,
				 "text/plain; version=0.0.4; charset=utf-8", body);
	}
	if (strcmp(url, "/stats.json") == 0) {
		body = stats_json_text(h->stats, true);
		return send_text(h, conn, MHD_HTTP_OK, "application/json", body);
	}
	if (strcmp(url, "/") == 0) {
		g_autoptr(JsonNode) doc = stats_to_json(h->stats);
		g_autoptr(GString) page = g_string_new(NULL);
		const char *name = "";

		/* rendered on request, from a snapshot of the counters */
		if (!report_html_many(&doc, &name, 1, true, page, NULL))
			return send_text(h, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					 "text/plain", "cannot render the page\n");
		/* the page has inline CSS and SVG, a data: icon, no script */
		return send_with(h, conn, MHD_HTTP_OK, "text/html; charset=utf-8",
				 page->str, "Content-Security-Policy",
				 "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
				 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
	}
	return send_text(h, conn, MHD_HTTP_NOT_FOUND, "text/plain",
			 "esmtp-milter serves /, /metrics and /stats.json\n");
}

/* "127.0.0.1:9464", "[::1]:9464", "localhost:9464" */
static bool
split_listen(const char *listen, char **host, char **port)
{
	const char *colon = strrchr(listen, ':');

	if (colon == NULL || colon == listen || colon[1] == '\0')
		return false;
	if (listen[0] == '[') {
		if (colon[-1] != ']')
			return false;
		*host = g_strndup(listen + 1, (size_t)(colon - listen - 2));
	} else {
		*host = g_strndup(listen, (size_t)(colon - listen));
	}
	*port = g_strdup(colon + 1);
	return true;
}

static bool
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)
			>> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

/*
 * libmicrohttpd's messages, as lines of the daemon's log. A client can
 * make it say something at will (a broken TLS handshake each), so at
 * most HTTP_LOG_PER_MINUTE a minute are written, and the next line says
 * how many were left out.
 */
#define HTTP_LOG_PER_MINUTE 20

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	static GMutex lock;
	static gint64 minute;
	static unsigned written, dropped;
	gint64 now = g_get_monotonic_time() / (60 * G_USEC_PER_SEC);
	unsigned left_out = 0;
	char line[512];
	size_t n;

	(void)cls;
	g_mutex_lock(&lock);
	if (now != minute) {
		minute = now;
		written = 0;
	}
	if (written >= HTTP_LOG_PER_MINUTE) {
		dropped++;
		g_mutex_unlock(&lock);
		return;
	}
	written++;
	left_out = dropped;
	dropped = 0;
	g_mutex_unlock(&lock);
	if (left_out > 0)
		log_msg(LOG_NOTICE, NULL, "statistics listener: %u more messages left out",
			left_out);
	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_msg(LOG_NOTICE, NULL, "statistics listener: %s", line);
}

/* The TLS options of a web configuration, or none, ending the array. */
static struct MHD_OptionItem *
tls_options(const web_config *w, struct MHD_OptionItem *o)
{
	size_t n = 0;

	if (w != NULL && w->tls) {
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, w->key_pem};
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, w->cert_pem};
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, w->priorities};
		if (w->client_ca_pem != NULL)
			o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
							 w->client_ca_pem};
	}
	o[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	return o;
}

stats_http *
stats_http_start(const char *listen, stats *s, web_config *web,
		 bool *loopback, GError **error)
{
	g_autofree char *host = NULL, *port = NULL;
	struct addrinfo hints = {0}, *ai = NULL;
	stats_http *h;
	struct MHD_OptionItem tls[5];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL
			 | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	int rc;

	if (!split_listen(listen, &host, &port)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "listen: \"%s\" is not HOST:PORT", listen);
		return NULL;
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "listen: %s: %s", listen, gai_strerror(rc));
		return NULL;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	*loopback = is_loopback(ai->ai_addr);
	h = g_new0(stats_http, 1);
	h->stats = s;
	h->web = web;
	g_mutex_init(&h->lock);
	g_cond_init(&h->wake);
	h->open = g_hash_table_new(NULL, NULL);
	if (web != NULL && g_hash_table_size(web->users) > 0) {
		h->auth = web_auth_new(web->users);
		h->checkers = g_thread_pool_new(check_password, h, HTTP_CHECKERS, TRUE, NULL);
	}
	if (web != NULL && web->tls)
		flags |= MHD_USE_TLS;
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
				     /* first, so that every message reaches it */
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
				     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				     MHD_OPTION_CONNECTION_LIMIT, STATS_HTTP_CONNECTIONS_MAX,
				     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_SECONDS,
				     MHD_OPTION_NOTIFY_CONNECTION, notify, h,
				     MHD_OPTION_NOTIFY_COMPLETED, completed, h,
				     MHD_OPTION_ARRAY, tls_options(web, tls),
				     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->daemon == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot listen on %s", listen);
		if (h->checkers != NULL)
			g_thread_pool_free(h->checkers, TRUE, TRUE);
		web_auth_free(h->auth);
		g_hash_table_destroy(h->open);
		g_free(h);
		return NULL;
	}
	h->watchdog = g_thread_new("http-watchdog", watchdog, h);
	return h;
}

void
stats_http_stop(stats_http *h)
{
	if (h == NULL)
		return;
	g_mutex_lock(&h->lock);
	h->stopping = true;
	g_cond_signal(&h->wake);
	g_mutex_unlock(&h->lock);
	g_thread_join(h->watchdog);
	/* every suspended connection resumed (without bcrypt) before MHD
	   stops: it must not stop with one suspended */
	if (h->checkers != NULL) {
		g_atomic_int_set(&h->checks_stopping, 1);
		g_thread_pool_free(h->checkers, FALSE, TRUE);
	}
	MHD_stop_daemon(h->daemon);
	web_auth_free(h->auth);
	g_hash_table_destroy(h->open);
	g_mutex_clear(&h->lock);
	g_cond_clear(&h->wake);
	g_free(h);
}
