/*
 * The daemon's unix sockets (the milter's and the policy service's): the
 * path in a socket name, a stale socket left by a dead process, and why
 * one could not be opened.
 */
#ifndef ESMTP_SOCKETS_H
#define ESMTP_SOCKETS_H

#include <stdbool.h>

/* The path of unix:/path, local:/path or /path; NULL for inet sockets. */
const char *unix_socket_path(const char *spec);
/*
 * A unix socket left by a dead process is removed; one that answers
 * belongs to a running instance (false, logged); anything that is not a
 * socket is never touched (false, logged).
 */
bool clear_stale_socket(const char *path);
/* Why a socket could not be opened (a static buffer). */
const char *socket_failure(const char *sock_path, int saved_errno);

#endif
