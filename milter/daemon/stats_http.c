/*
 * HTTP for the statistics, by libmicrohttpd on its own thread: GET or HEAD
 * / (the HTML report, report.h), /metrics and /stats.json; anything else
 * is 404 or 405.
 *
 * Hardened against slow and many clients: epoll (no FD_SETSIZE limit, so
 * metrics are served while the daemon holds thousands of descriptors),
 * room for STATS_HTTP_CONNECTIONS_MAX connections, an idle timeout, and a
 * deadline per connection that a client sending a byte at a time cannot
 * extend: a watchdog shuts down any connection older than
 * HTTP_DEADLINE_SECONDS, so a legitimate scrape always finds a slot.
 *
 * With a web configuration (web_config.h): HTTPS by libmicrohttpd's own
 * TLS (GnuTLS), the client certificate checked as client_auth_type says
 * (403 without one the file requires), and basic authentication against
 * the bcrypt hashes (401 for a wrong or missing password), before any
 * page is served.
 */
#include "stats_http.h"

#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "report.h"
#include "stats_export.h"

#define HTTP_IDLE_SECONDS 5u
#define HTTP_DEADLINE_SECONDS 5

struct stats_http {
	struct MHD_Daemon *daemon;
	stats *stats;
	web_config *web;	/* NULL: plain HTTP, no authentication */
	/* open connections: descriptor -> start (seconds), for the watchdog */
	GMutex lock;
	GHashTable *open;
	GCond wake;
	bool stopping;
	GThread *watchdog;
};

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

static enum MHD_Result
send_text(const stats_http *h, struct MHD_Connection *conn, unsigned status,
	  const char *type, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	add_headers(h, r);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* What tls_server_config's client_auth_type asks of the client. */
static bool
client_cert_ok(const web_config *w, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	unsigned n = 0, status = 1;
	bool given;

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
	return gnutls_certificate_verify_peers2(ci->tls_session, &status) == 0
	       && status == 0;
}

static bool
password_ok(stats_http *h, struct MHD_Connection *conn)
{
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(conn, &pass);
	bool ok = web_config_user_ok(h->web, user, pass);

	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user != NULL)
		MHD_free(user);
	return ok;
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
	(void)con_cls;
	if (*upload_data_size != 0) {
		*upload_data_size = 0;	/* no request bodies wanted */
		return MHD_YES;
	}
	if (h->web != NULL && !client_cert_ok(h->web, conn))
		return send_text(h, conn, MHD_HTTP_FORBIDDEN, "text/plain",
				 "a valid client certificate is required\n");
	if (h->web != NULL && g_hash_table_size(h->web->users) > 0
	    && !password_ok(h, conn))
		return ask_password(h, conn);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_text(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
				 "only GET and HEAD\n");
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
		return send_text(h, conn, MHD_HTTP_OK, "text/html; charset=utf-8",
				 page->str);
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
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL
			 | MHD_USE_ITC | MHD_USE_ERROR_LOG;
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
	if (web != NULL && web->tls)
		flags |= MHD_USE_TLS;
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
				     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				     MHD_OPTION_CONNECTION_LIMIT, STATS_HTTP_CONNECTIONS_MAX,
				     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_SECONDS,
				     MHD_OPTION_NOTIFY_CONNECTION, notify, h,
				     MHD_OPTION_ARRAY, tls_options(web, tls),
				     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->daemon == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot listen on %s", listen);
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
	MHD_stop_daemon(h->daemon);
	g_hash_table_destroy(h->open);
	g_mutex_clear(&h->lock);
	g_cond_clear(&h->wake);
	g_free(h);
}
