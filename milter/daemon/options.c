/*
 * The command line (see options.h): parsed once by main(); the config it
 * names is loaded again, with the same command-line values, at each
 * reload. -n and -T answer without starting anything.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "web_config.h"

#ifndef ESMTP_MILTER_VERSION
#error "the Makefile's VERSION is the version: -DESMTP_MILTER_VERSION"
#endif


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
replace(char **field, const char *value)
{
	if (value != NULL) {
		g_free(*field);
		*field = g_strdup(value);
	}
}

static void
apply_overrides(const options *o, esmtp_config *c)
{
	replace(&c->socket, o->socket);
	replace(&c->user, o->user);
	replace(&c->pid_file, o->pid_file);
	if (o->log_level >= 0)
		c->log_level = o->log_level;
}

/* NULL with the problems printed or logged; never half a config. */
esmtp_config *
options_load_config(const options *o, bool quiet_missing_default)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	esmtp_config *c;

	if (!o->config_path_given && quiet_missing_default
	    && access(o->config_path, F_OK) != 0 && errno == ENOENT) {
		c = config_new_defaults();
	} else {
		c = config_load(o->config_path, problems);
		for (guint i = 0; i < problems->len; i++)
			log_msg(LOG_ERR, NULL, "%s",
				(char *)g_ptr_array_index(problems, i));
		if (c == NULL)
			return NULL;
	}
	apply_overrides(o, c);
	return c;
}

int
options_check_config(const options *o)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(esmtp_config) c = NULL;

	if (!o->config_path_given && access(o->config_path, F_OK) != 0) {
		printf("%s: no such file, the built-in defaults apply\n",
		       o->config_path);
		return EX_OK;
	}
	c = config_load(o->config_path, problems);
	for (guint i = 0; i < problems->len; i++)
		fprintf(stderr, "%s\n", (char *)g_ptr_array_index(problems, i));
	if (c == NULL)
		return EX_CONFIG;
	if (c->stats_web_config[0] != '\0') {
		g_autoptr(GError) error = NULL;
		web_config *w = web_config_load(c->stats_web_config, &error);

		if (w == NULL) {
			fprintf(stderr, "%s: [stats] web_config: %s\n", o->config_path,
				error->message);
			return EX_CONFIG;
		}
		web_config_free(w);
	}
	printf("%s: OK\n", o->config_path);
	return EX_OK;
}

/* -T: what the daemon would run with, in the manner of sshd -T. */
int
options_print_config(const options *o)
{
	g_autoptr(esmtp_config) c = options_load_config(o, true);
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

int
options_parse(int argc, char **argv, options *o)
{
	int c;

	*o = (options){.config_path = CONFIG_DEFAULT_PATH, .log_level = -1};
	opterr = 0;
	while ((c = getopt(argc, argv, ":c:p:fnTu:P:l:Vh")) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_path_given = true;
			break;
		case 'p':
			o->socket = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
			o->check_only = true;
			break;
		case 'T':
			o->print_config = true;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'P':
			o->pid_file = optarg;
			break;
		case 'l':
			if (!log_level_from_name(optarg, &o->log_level)) {
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
	return -1;
}
