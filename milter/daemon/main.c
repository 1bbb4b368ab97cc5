/*
 * esmtp-milter: command line, config, socket, privileges, signals.
 * Order matters: the socket is opened (with its mode and owner) before
 * privileges are dropped, and SIGUSR1 is blocked before libmilter starts
 * its threads so that only the reload thread receives it.
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
#include "policy_server.h"
#include "shutdown.h"
#include "sockets.h"
#include "tcp_session.h"
#include "process.h"

#ifndef ESMTP_MILTER_VERSION
#error "the Makefile's VERSION is the version: -DESMTP_MILTER_VERSION"
#endif

/* Command-line values that win over the config file, also on reload. */
typedef struct {
	const char *socket;
	const char *user;
	const char *pid_file;
	int log_level;		/* -1 when not given */
} overrides;

static const char *config_path = CONFIG_DEFAULT_PATH;
static bool config_path_given;
static overrides opts = {.log_level = -1};
/* what the cleanup at stop needs */
static esmtp_config *run_config;
static const char *run_sock_path;
static atomic_bool listener_failed;

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: esmtp-milter [-c FILE] [-p SOCKET] [-f] [-n] [-T] [-u USER[:GROUP]]\n"
		"                    [-P PIDFILE] [-l LEVEL] [-V] [-h]\n"
		"  -c FILE     config file (default " CONFIG_DEFAULT_PATH ")\n"
		"  -p SOCKET   unix:/path, local:/path, inet:PORT@HOST, inet6:PORT@[ADDR]\n"
		"  -f          stay in the foreground and log to stderr too\n"
		"  -n          check the config file and exit (0 good, 78 bad)\n"
		"  -T          print the effective config and the rule table, then exit\n"
		"  -u USER     drop privileges to USER[:GROUP] after opening the socket\n"
		"  -P PIDFILE  write the process id to PIDFILE\n"
		"  -l LEVEL    log level: error, warning, notice, info, debug\n"
		"  -V          print the version and exit\n"
		"  -h          print this help and exit\n");
}

static void
apply_overrides(esmtp_config *c)
{
	if (opts.socket != NULL) {
		g_free(c->socket);
		c->socket = g_strdup(opts.socket);
	}
	if (opts.user != NULL) {
		g_free(c->user);
		c->user = g_strdup(opts.user);
	}
	if (opts.pid_file != NULL) {
		g_free(c->pid_file);
		c->pid_file = g_strdup(opts.pid_file);
	}
	if (opts.log_level >= 0)
		c->log_level = opts.log_level;
}

/* NULL with the problems printed or logged; never half a config. */
static esmtp_config *
load_config(bool quiet_missing_default)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	esmtp_config *c;

	if (!config_path_given && quiet_missing_default
	    && access(config_path, F_OK) != 0 && errno == ENOENT) {
		c = config_new_defaults();
	} else {
		c = config_load(config_path, problems);
		for (guint i = 0; i < problems->len; i++)
			log_msg(LOG_ERR, NULL, "%s",
				(char *)g_ptr_array_index(problems, i));
		if (c == NULL)
			return NULL;
	}
	apply_overrides(c);
	return c;
}

static int
check_config(void)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(esmtp_config) c = NULL;

	if (!config_path_given && access(config_path, F_OK) != 0) {
		printf("%s: no such file, the built-in defaults apply\n",
		       config_path);
		return EX_OK;
	}
	c = config_load(config_path, problems);
	for (guint i = 0; i < problems->len; i++)
		fprintf(stderr, "%s\n", (char *)g_ptr_array_index(problems, i));
	if (c == NULL)
		return EX_CONFIG;
	printf("%s: OK\n", config_path);
	return EX_OK;
}

/* -T: what the daemon would run with, in the manner of sshd -T. */
static int
print_effective_config(void)
{
	g_autoptr(esmtp_config) c = load_config(true);
	g_autofree char *keys = NULL, *rules = NULL, *restart = NULL;

	if (c == NULL)
		return EX_CONFIG;
	keys = config_dump(c);
	rules = config_dump_rules(c);
	restart = config_restart_keys();
	printf("# esmtp-milter %s, from %s\n%s\n# only a restart changes: %s\n\n%s",
	       ESMTP_MILTER_VERSION,
	       c->path != NULL ? c->path : "built-in defaults", keys, restart,
	       rules);
	return EX_OK;
}

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
	g_autofree char *why = NULL;

	*fd = -1;
	if (config->policy_listen[0] == '\0')
		return true;
	if (path != NULL && !clear_stale_socket(path))
		return false;
	*fd = policy_server_open(config->policy_listen, config->socket_mode,
				 chown_to, uid, gid, &why);
	if (*fd < 0) {
		log_msg(LOG_ERR, NULL, "cannot open the policy socket %s: %s",
			config->policy_listen,
			path != NULL && errno != EADDRINUSE
			? socket_failure(path, errno) : why);
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
reload(void)
{
	esmtp_config *next = load_config(false);

	process_reload(next, config_path);
	config_unref(next);
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
 * What a stop leaves: the counters saved, no socket and no pid file. Run
 * once, when the sessions in flight have finished (shutdown.c).
 */
static int
cleanup(void)
{
	const char *policy_path = unix_socket_path(run_config->policy_listen);

	policy_server_stop();
	/* sessions libmilter is still closing may count: keep the stats */
	housekeeping_stop(process_stats());
	log_msg(LOG_INFO, NULL, "esmtp-milter stopping");
	if (run_config->pid_file[0] != '\0')
		unlink(run_config->pid_file);
	/* best effort: after dropping privileges the directory may say no */
	if (run_sock_path != NULL)
		unlink(run_sock_path);
	if (policy_path != NULL)
		unlink(policy_path);
	log_close();
	return atomic_load(&listener_failed) ? EX_SOFTWARE : EX_OK;
}

int
main(int argc, char **argv)
{
	bool foreground = false, check_only = false, print_config = false;
	g_autoptr(esmtp_config) config = NULL;
	const char *sock_path;
	uid_t uid = 0;
	gid_t gid = 0;
	g_autofree char *user_name = NULL;
	sigset_t set;
	int c, policy_fd;

	opterr = 0;
	while ((c = getopt(argc, argv, ":c:p:fnTu:P:l:Vh")) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			config_path_given = true;
			break;
		case 'p':
			opts.socket = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check_only = true;
			break;
		case 'T':
			print_config = true;
			break;
		case 'u':
			opts.user = optarg;
			break;
		case 'P':
			opts.pid_file = optarg;
			break;
		case 'l':
			if (!log_level_from_name(optarg, &opts.log_level)) {
				fprintf(stderr,
					"esmtp-milter: -l %s: not error, warning, notice, info or debug\n",
					optarg);
				return EX_USAGE;
			}
			break;
		case 'V':
			printf("esmtp-milter %s\n", ESMTP_MILTER_VERSION);
			return EX_OK;
		case 'h':
			usage(stdout);
			return EX_OK;
		case ':':
			fprintf(stderr, "esmtp-milter: -%c needs a value\n",
				optopt);
			usage(stderr);
			return EX_USAGE;
		default:
			fprintf(stderr, "esmtp-milter: unknown option -%c\n",
				optopt);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "esmtp-milter: unexpected argument %s\n",
			argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	if (check_only)
		return check_config();
	if (print_config)
		return print_effective_config();

	config = load_config(true);
	if (config == NULL)
		return EX_CONFIG;
	log_open(config->syslog_facility, foreground);
	log_set_level(config->log_level);
	process_config_set(config);
	log_msg(LOG_INFO, NULL, "esmtp-milter %s starting on %s with %s",
		ESMTP_MILTER_VERSION, config->socket,
		config->path != NULL ? config->path : "built-in defaults");
	if (config->dry_run)
		log_msg(LOG_NOTICE, NULL,
			"dry_run is on: reject, tempfail and tag are logged instead, nothing is refused");

	if (config->user[0] != '\0'
	    && !lookup_user(config->user, &uid, &gid, &user_name))
		return EX_NOUSER;

	raise_open_files();
	if (milter_socket_is_tcp(config->socket)) {
		long max_fd = sysconf(_SC_OPEN_MAX);

		tcp_session_enable(max_fd > 0 ? (size_t)max_fd : 65536);
	}
	sock_path = unix_socket_path(config->socket);
	if (sock_path != NULL && !clear_stale_socket(sock_path))
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
			config->socket, socket_failure(sock_path, saved));
		return EX_UNAVAILABLE;
	}
	if (sock_path != NULL) {
		if (chmod(sock_path, config->socket_mode) != 0)
			log_msg(LOG_WARNING, NULL, "chmod %s: %s", sock_path,
				g_strerror(errno));
		if (user_name != NULL && chown(sock_path, uid, gid) != 0)
			log_msg(LOG_WARNING, NULL, "chown %s: %s", sock_path,
				g_strerror(errno));
	}

	if (!open_policy_socket(config, user_name != NULL, uid, gid, &policy_fd))
		return EX_UNAVAILABLE;

	if (!foreground)
		daemonize();
	if (config->pid_file[0] != '\0' && !write_pid_file(config->pid_file))
		return EX_CANTCREAT;
	if (user_name != NULL && !drop_privileges(user_name, uid, gid))
		return EX_NOPERM;

	/*
	 * Every thread starts with the daemon's signals blocked; the signal
	 * thread (shutdown.c) waits for them, libmilter's never gets them.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* the state file and the listener belong to the unprivileged user */
	stats_init(process_stats());
	housekeeping_restore(config, process_stats());
	housekeeping_start(config, process_stats());

	run_config = config;
	run_sock_path = sock_path;
	if (smfi_settimeout((int)MAX(config->timeout, 1)) != MI_SUCCESS)
		log_msg(LOG_WARNING, NULL, "cannot set the milter timeout");
	if (policy_fd >= 0 && !policy_server_start(policy_fd)) {
		log_msg(LOG_ERR, NULL, "cannot start the policy listener");
		return EX_OSERR;
	}
	process_session_cap_init();
	{
		bool from_limit;
		unsigned cap = process_session_cap(config, &from_limit);

		log_msg(LOG_INFO, NULL, "at most %u milter sessions at once (%s)",
			cap, from_limit ? "file descriptors" : "max_sessions");
	}
	if (!shutdown_signals_start(reload, cleanup, sock_path)) {
		log_msg(LOG_ERR, NULL, "cannot start the signal thread");
		return EX_OSERR;
	}

	/* returns only if its listener fails: a stop ends the process */
	smfi_main();
	if (!shutdown_stopping())
		atomic_store(&listener_failed, true);
	shutdown_after_listener();
	return EX_SOFTWARE;
}
