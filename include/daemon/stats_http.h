/*
 * The statistics listener: /metrics (Prometheus text) and /stats.json,
 * served by libmicrohttpd on [stats] listen.
 */
#ifndef ESMTP_STATS_HTTP_H
#define ESMTP_STATS_HTTP_H

#include <stdbool.h>
#include <glib.h>

#include "stats.h"
#include "web_config.h"

typedef struct stats_http stats_http;

/* Connections at once (the descriptor budget counts them). */
#define STATS_HTTP_CONNECTIONS_MAX 256u

/*
 * listen is HOST:PORT or [IPV6]:PORT; *loopback tells what it bound. web
 * (NULL for plain HTTP) gives TLS and authentication; it must outlive the
 * listener.
 */
stats_http *stats_http_start(const char *listen, stats *s, web_config *web,
			     bool *loopback, GError **error);
void stats_http_stop(stats_http *h);

#endif
