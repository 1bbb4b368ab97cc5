/*
 * esmtp-milter's start: the config (options.c), the sockets, privileges,
 * the threads, then libmilter's loop. Order matters: the sockets are
 * opened (with their mode and owner) and the web configuration read as
 * root, before privileges are dropped; the daemon's signals are blocked
 * before any thread starts, so that only the signal thread (shutdown.c)
 * receives them. The daemon's state is one daemon_state on main()'s
 * stack, handed to each part.
 */
#include <errno.h>
#include <stdatomic.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "config.h"
#include "housekeeping.h"
#include "log.h"
#include "milter.h"
#include "options.h"
#include "policy_server.h"
#include "process.h"
#include "shutdown.h"
#include "sockets.h"
#include "stats_http.h"
#include "session_socket.h"
#include "web_config.h"

#ifndef ESMTP_MILTER_VERSION
#error "the Makefile's VERSION is the version: -DESMTP_MILTER_VERSION"
#endif

/*
 * Each milter session holds a descriptor, and the usual soft limit of
 * 1024 stops new sessions near a thousand: take the hard limit, as far as
 * it goes, and say so.
 */
static void
raise_open_files(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_msg(LOG_WARNING, NULL, "cannot raise the open files limit from %llu: %s",
			(unsigned long long)was, g_strerror(errno));
		return;
	}
	log_msg(LOG_INFO, NULL, "open files limit raised from %llu to %llu",
		(unsigned long long)was, (unsigned long long)rl.rlim_cur);
}

/*
 * [policy] listen, opened like the milter socket: before privileges are
 * dropped, a stale unix socket removed first. Sets *fd to -1 when the
 * service is off; false when it cannot be opened.
 */
static bool
open_policy_socket(const esmtp_config *config, bool chown_to, uid_t uid,
		   gid_t gid, int *fd)
{
	const char *path = unix_socket_path(config->policy_listen);
	g_autoptr(GError) error = NULL;

	*fd = -1;
	if (config->policy_listen[0] == '\0')
		return true;
	if (path != NULL && !clear_stale_socket(path))
		return false;
	*fd = policy_server_open(config->policy_listen, config->socket_mode,
				 chown_to, uid, gid, &error);
	if (*fd < 0) {
		int err = errno;

		log_msg(LOG_ERR, NULL, "cannot open the policy socket %s: %s",
			config->policy_listen,
			path != NULL && err != 0 && err != EADDRINUSE
			? socket_failure(path, err) : error->message);
		return false;
	}
	log_msg(LOG_INFO, NULL, "Postfix policy service on %s",
		config->policy_listen);
	return true;
}

static bool
lookup_user(const char *spec, uid_t *uid, gid_t *gid, char **name)
{
	g_auto(GStrv) parts = g_strsplit(spec, ":", 2);
	struct passwd *pw = getpwnam(parts[0]);

	if (pw == NULL) {
		log_msg(LOG_ERR, NULL, "no such user: %s", parts[0]);
		return false;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	*name = g_strdup(pw->pw_name);
	if (parts[1] != NULL) {
		struct group *gr = getgrnam(parts[1]);

		if (gr == NULL) {
			log_msg(LOG_ERR, NULL, "no such group: %s", parts[1]);
			g_free(*name);
			return false;
		}
		*gid = gr->gr_gid;
	}
	return true;
}

static bool
drop_privileges(const char *name, uid_t uid, gid_t gid)
{
	if (getuid() == uid && geteuid() == uid)
		return true;
	if (initgroups(name, gid) != 0 || setgid(gid) != 0
	    || setuid(uid) != 0) {
		log_msg(LOG_ERR, NULL, "cannot become %s: %s", name,
			g_strerror(errno));
		return false;
	}
	if (setuid(0) == 0 && uid != 0) {
		log_msg(LOG_ERR, NULL, "privileges were not dropped");
		return false;
	}
	return true;
}

static bool
write_pid_file(const char *path)
{
	g_autofree char *text = g_strdup_printf("%ld\n", (long)getpid());
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, text, -1, &error)) {
		log_msg(LOG_ERR, NULL, "cannot write pid file %s: %s", path,
			error->message);
		return false;
	}
	return true;
}

static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_msg(LOG_ERR, NULL, "fork: %s", g_strerror(errno));
		exit(EX_OSERR);
	}
	if (pid > 0)
		_exit(EX_OK);
	setsid();
	if (chdir("/") != 0)
		log_msg(LOG_WARNING, NULL, "chdir /: %s", g_strerror(errno));
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/*
 * The daemon: the process state the front ends share, and what main()
 * started and the stop must end. One of it, on main()'s stack, which
 * lives until the process ends.
 */
typedef struct {
	options opts;
	process proc;
	esmtp_config *config;	/* the config the daemon started with */
	const char *sock_path;	/* the milter's unix socket, or NULL */
	int policy_fd;		/* -1 without the policy service */
	uid_t uid;
	gid_t gid;
	char *user_name;	/* NULL when it stays who it is */
	web_config *web;	/* [stats] web_config, read at start */
	housekeeping *housekeeping;
	policy_server *policy;
	atomic_bool listener_failed;
} daemon_state;

/* SIGHUP and SIGUSR1 (on the signal thread) */
static void
reload(void *data)
{
	daemon_state *d = data;
	esmtp_config *next = options_load_config(&d->opts, false);

	if (process_reload(&d->proc, next, d->opts.config_path))
		housekeeping_save(d->housekeeping);
	config_unref(next);
}

/*
 * What a stop leaves: the counters saved, no socket and no pid file. Run
 * once, when the sessions in flight have finished (shutdown.c).
 */
static int
cleanup(void *data)
{
	daemon_state *d = data;
	const char *policy_path = unix_socket_path(d->config->policy_listen);

	policy_server_stop(d->policy);
	/* sessions libmilter is still closing may count: keep the stats */
	housekeeping_stop(d->housekeeping);
	web_config_free(d->web);
	log_msg(LOG_INFO, NULL, "esmtp-milter stopping");
	if (d->config->pid_file[0] != '\0')
		unlink(d->config->pid_file);
	/* best effort: after dropping privileges the directory may say no */
	if (d->sock_path != NULL)
		unlink(d->sock_path);
	if (policy_path != NULL)
		unlink(policy_path);
	log_close();
	return atomic_load(&d->listener_failed) ? EX_SOFTWARE : EX_OK;
}

/* The milter socket through libmilter, with its mode and owner. */
static int
open_milter_socket(daemon_state *d)
{
	const esmtp_config *config = d->config;

	d->sock_path = unix_socket_path(config->socket);
	if (d->sock_path != NULL && !clear_stale_socket(d->sock_path))
		return EX_UNAVAILABLE;
	if (smfi_register(milter_desc) != MI_SUCCESS) {
		log_msg(LOG_ERR, NULL, "smfi_register failed");
		return EX_SOFTWARE;
	}
	if (smfi_setconn(config->socket) != MI_SUCCESS) {
		log_msg(LOG_ERR, NULL, "bad socket %s", config->socket);
		return EX_USAGE;
	}
	errno = 0;
	if (smfi_opensocket(false) != MI_SUCCESS) {
		int saved = errno;

		log_msg(LOG_ERR, NULL, "cannot open socket %s: %s",
			config->socket, socket_failure(d->sock_path, saved));
		return EX_UNAVAILABLE;
	}
	if (d->sock_path != NULL) {
		if (chmod(d->sock_path, config->socket_mode) != 0)
			log_msg(LOG_WARNING, NULL, "chmod %s: %s", d->sock_path,
				g_strerror(errno));
		if (d->user_name != NULL
		    && chown(d->sock_path, d->uid, d->gid) != 0)
			log_msg(LOG_WARNING, NULL, "chown %s: %s", d->sock_path,
				g_strerror(errno));
	}
	return EX_OK;
}

/* As root: the descriptors, both sockets; then who the daemon becomes. */
static int
open_and_drop(daemon_state *d)
{
	const esmtp_config *config = d->config;
	int rc;

	if (config->user[0] != '\0'
	    && !lookup_user(config->user, &d->uid, &d->gid, &d->user_name))
		return EX_NOUSER;
	/* read as root, like the sockets: the key may be root's alone */
	if (config->stats_web_config[0] != '\0') {
		g_autoptr(GError) error = NULL;

		d->web = web_config_load(config->stats_web_config, &error);
		if (d->web == NULL) {
			log_msg(LOG_ERR, NULL, "[stats] web_config: %s", error->message);
			return EX_CONFIG;
		}
	}
	raise_open_files();
	if (milter_socket_is_tcp(config->socket)) {
		long max_fd = sysconf(_SC_OPEN_MAX);

		session_socket_tcp_enable(max_fd > 0 ? (size_t)max_fd : 65536);
	}
	if ((rc = open_milter_socket(d)) != EX_OK)
		return rc;
	if (!open_policy_socket(config, d->user_name != NULL, d->uid, d->gid,
				&d->policy_fd))
		return EX_UNAVAILABLE;
	if (!d->opts.foreground)
		daemonize();
	if (config->pid_file[0] != '\0' && !write_pid_file(config->pid_file))
		return EX_CANTCREAT;
	if (d->user_name != NULL
	    && !drop_privileges(d->user_name, d->uid, d->gid))
		return EX_NOPERM;
	return EX_OK;
}

/*
 * As the daemon's user: the state file, the housekeeping thread and the
 * statistics listener, the policy listener, the descriptor budget and
 * the signal thread. Every thread starts with the daemon's signals
 * blocked; the signal thread (shutdown.c) waits for them, libmilter's
 * never gets them.
 */
static int
start_threads(daemon_state *d)
{
	const esmtp_config *config = d->config;
	bool listening = false, from_limit;
	unsigned cap;
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	housekeeping_restore(config, &d->proc.counters);
	d->housekeeping = housekeeping_start(&d->proc, config, d->web, &listening);
	if (d->housekeeping == NULL) {
		log_msg(LOG_ERR, NULL, "cannot start the housekeeping thread");
		return EX_OSERR;
	}
	if (smfi_settimeout((int)MAX(config->timeout, 1)) != MI_SUCCESS)
		log_msg(LOG_WARNING, NULL, "cannot set the milter timeout");
	if (d->policy_fd >= 0
	    && (d->policy = policy_server_start(d->policy_fd, &d->proc)) == NULL) {
		log_msg(LOG_ERR, NULL, "cannot start the policy listener");
		return EX_OSERR;
	}
	process_fd_budget(&d->proc, d->policy != NULL ? POLICY_CONNECTIONS_MAX : 0,
			  listening ? STATS_HTTP_CONNECTIONS_MAX : 0);
	cap = process_session_cap(&d->proc, config, &from_limit);
	log_msg(LOG_INFO, NULL, "at most %u milter sessions at once (%s)", cap,
		from_limit ? "file descriptors" : "max_sessions");
	if (!shutdown_signals_start(&d->proc, reload, cleanup, d, d->sock_path)) {
		log_msg(LOG_ERR, NULL, "cannot start the signal thread");
		return EX_OSERR;
	}
	return EX_OK;
}

int
main(int argc, char **argv)
{
	daemon_state d = {.policy_fd = -1};
	g_autoptr(esmtp_config) config = NULL;
	int rc = options_parse(argc, argv, &d.opts);

	if (rc >= 0)
		return rc;
	if (d.opts.check_only)
		return options_check_config(&d.opts);
	if (d.opts.print_config)
		return options_print_config(&d.opts);
	config = options_load_config(&d.opts, true);
	if (config == NULL)
		return EX_CONFIG;
	d.config = config;
	log_open(config->syslog_facility, d.opts.foreground);
	log_set_level(config->log_level);
	process_init(&d.proc, config->policy_listen[0] != '\0');
	process_config_set(&d.proc, config);
	milter_use(&d.proc);
	log_msg(LOG_INFO, NULL, "esmtp-milter %s starting on %s with %s",
		ESMTP_MILTER_VERSION, config->socket,
		config->path != NULL ? config->path : "built-in defaults");
	if (config->dry_run)
		log_msg(LOG_NOTICE, NULL,
			"dry_run is on: reject, tempfail and tag are logged instead, nothing is refused");
	if ((rc = open_and_drop(&d)) != EX_OK || (rc = start_threads(&d)) != EX_OK) {
		/* a start that failed before any thread ran: let go of it all */
		if (d.housekeeping == NULL && d.policy == NULL) {
			web_config_free(d.web);
			g_free(d.user_name);
			process_clear(&d.proc);
		}
		return rc;
	}
	/* returns only if its listener fails: a stop ends the process */
	smfi_main();
	if (!shutdown_stopping())
		atomic_store(&d.listener_failed, true);
	shutdown_after_listener();
	return EX_SOFTWARE;
}
