/*
 * Basic authentication for the statistics endpoint (web_config's
 * basic_auth_users), as strict as the Prometheus exporters':
 *
 * - every check costs one bcrypt, whether the user exists or not (an
 *   unknown user is checked against a hash made at start with the
 *   configured users' highest cost), so user names cannot be probed by
 *   timing;
 * - a user name and password that passed are remembered for
 *   WEB_AUTH_CACHE_SECONDS, under an HMAC of the pair with a key made at
 *   start (never the password itself), so the regular scrape costs no
 *   bcrypt, and the thread that serves can answer it at once while a
 *   flood of wrong passwords waits for the checkers (stats_http.c).
 *
 * web_auth_new() takes the users table (user -> bcrypt hash), which must
 * outlive it. web_auth_cached() never runs bcrypt; web_auth_check() runs
 * it once. Both are safe from any thread.
 */
#ifndef ESMTP_WEB_AUTH_H
#define ESMTP_WEB_AUTH_H

#include <stdbool.h>
#include <glib.h>

#define WEB_AUTH_CACHE_SECONDS 600
#define WEB_AUTH_CACHE_MAX 64

typedef struct web_auth web_auth;

web_auth *web_auth_new(GHashTable *users);
void web_auth_free(web_auth *a);
bool web_auth_cached(web_auth *a, const char *user, const char *password);
bool web_auth_check(web_auth *a, const char *user, const char *password);

#endif
