/*
 * [stats] web_config: TLS and basic authentication for the statistics
 * listener, read from a file in the Prometheus exporter web
 * configuration format, so that one file serves every exporter on a
 * host (node_exporter's and the others'):
 *
 *   tls_server_config:
 *     cert_file: server.crt        # PEM; relative to the file's folder
 *     key_file: server.key
 *     client_ca_file: ca.crt        # to verify client certificates
 *     client_auth_type: RequireAndVerifyClientCert
 *     min_version: TLS12            # TLS10 .. TLS13; max_version too
 *   http_server_config:
 *     headers:                      # added to every response
 *       Strict-Transport-Security: max-age=31536000
 *   basic_auth_users:
 *     prometheus: $2y$10$...        # bcrypt hashes (htpasswd -B)
 *
 * client_auth_type is one of NoClientCert (the default),
 * RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven and
 * RequireAndVerifyClientCert; any but the first needs client_ca_file
 * (the listener asks for a certificate naming those authorities).
 * http_server_config's http2 is accepted and
 * has no effect (the listener speaks HTTP/1.1). cipher_suites,
 * curve_preferences and prefer_server_cipher_suites are refused: GnuTLS
 * chooses them. An unknown key, a value of the wrong kind, a file that
 * cannot be read, a certificate and key that do not load, or a hash that
 * is not bcrypt is an error naming the file, the line and the key.
 *
 * The files are read once, at start, while the daemon is still root; the
 * hashes are checked with the system's crypt(3) (libxcrypt).
 */
#ifndef ESMTP_WEB_CONFIG_H
#define ESMTP_WEB_CONFIG_H

#include <stdbool.h>
#include <glib.h>

typedef enum {
	WEB_NO_CLIENT_CERT,
	WEB_REQUEST_CLIENT_CERT,
	WEB_REQUIRE_ANY_CLIENT_CERT,
	WEB_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEB_REQUIRE_AND_VERIFY_CLIENT_CERT,
} web_client_auth;

typedef struct {
	bool tls;
	char *cert_pem, *key_pem;	/* the files' contents */
	char *client_ca_pem;		/* NULL without client_ca_file */
	web_client_auth client_auth;
	char *priorities;		/* GnuTLS priority string (versions) */
	GHashTable *users;		/* user -> bcrypt hash; empty: no auth */
	GPtrArray *headers;		/* name, value, name, value... */
} web_config;

/* NULL with "PATH:LINE: what" in *error. */
web_config *web_config_load(const char *path, GError **error);
void web_config_free(web_config *w);

#endif
