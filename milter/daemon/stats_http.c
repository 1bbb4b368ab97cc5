/*
 * HTTP for the statistics, by libmicrohttpd on its own thread: GET or HEAD
 * /metrics and /stats.json; anything else is 404 or 405.
 */
#include "stats_http.h"

#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "stats_export.h"

struct stats_http {
	struct MHD_Daemon *daemon;
	stats *stats;
};

static enum MHD_Result
send_text(struct MHD_Connection *conn, unsigned status, const char *type,
	  const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, r);
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
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
				 "only GET and HEAD\n");
	if (strcmp(url, "/metrics") == 0) {
		body = stats_prometheus_text(h->stats);
		return send_text(conn, MHD_HTTP_OK,
				 "text/plain; version=0.0.4; charset=utf-8", body);
	}
	if (strcmp(url, "/stats.json") == 0) {
		body = stats_json_text(h->stats, true);
		return send_text(conn, MHD_HTTP_OK, "application/json", body);
	}
	return send_text(conn, MHD_HTTP_NOT_FOUND, "text/plain",
			 "esmtp-milter serves /metrics and /stats.json\n");
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

stats_http *
stats_http_start(const char *listen, stats *s, bool *loopback,
		 GError **error)
{
	g_autofree char *host = NULL, *port = NULL;
	struct addrinfo hints = {0}, *ai = NULL;
	stats_http *h;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
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
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
				     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				     MHD_OPTION_CONNECTION_LIMIT, 32u,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->daemon == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "cannot listen on %s", listen);
		g_free(h);
		return NULL;
	}
	return h;
}

void
stats_http_stop(stats_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	g_free(h);
}
