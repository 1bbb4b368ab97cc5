/*
 * The daemon's unix sockets: see sockets.h.
 */
#include "sockets.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <glib.h>

#include "log.h"

const char *
unix_socket_path(const char *spec)
{
	if (g_str_has_prefix(spec, "unix:"))
		return spec + 5;
	if (g_str_has_prefix(spec, "local:"))
		return spec + 6;
	if (strchr(spec, ':') == NULL && spec[0] == '/')
		return spec;
	return NULL;
}

/*
 * A unix socket left by a dead process is removed; one that answers
 * belongs to a running instance and stops this one; anything that is not
 * a socket is never touched.
 */
bool
clear_stale_socket(const char *path)
{
	struct stat st;
	struct sockaddr_un sun;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT;
	if (!S_ISSOCK(st.st_mode)) {
		log_msg(LOG_ERR, NULL, "%s exists and is not a socket", path);
		return false;
	}
	if (strlen(path) >= sizeof sun.sun_path) {
		log_msg(LOG_ERR, NULL, "socket path too long: %s", path);
		return false;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	g_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0) {
		log_msg(LOG_ERR, NULL,
			"another process is listening on %s; not starting",
			path);
		return false;
	}
	if (unlink(path) != 0) {
		log_msg(LOG_ERR, NULL, "cannot remove stale socket %s: %s",
			path, g_strerror(errno));
		return false;
	}
	log_msg(LOG_INFO, NULL, "removed stale socket %s", path);
	return true;
}

/*
 * Why a socket could not be opened. libmilter says only that it failed
 * (its reason goes to syslog alone), so a unix socket's directory is
 * looked at, the commonest cause, and otherwise errno is reported.
 */
const char *
socket_failure(const char *sock_path, int saved_errno)
{
	static char why[PATH_MAX + 128];
	g_autofree char *dir = NULL;
	struct stat st;

	if (sock_path != NULL) {
		dir = g_path_get_dirname(sock_path);
		if (stat(dir, &st) != 0) {
			snprintf(why, sizeof why, "directory %s: %s", dir,
				 g_strerror(errno));
			return why;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, sizeof why, "%s is not a directory", dir);
			return why;
		}
		if (access(dir, W_OK | X_OK) != 0) {
			snprintf(why, sizeof why, "directory %s: %s", dir,
				 g_strerror(errno));
			return why;
		}
	}
	if (saved_errno != 0)
		return g_strerror(saved_errno);
	return "see the libmilter message in the system log";
}

