/*
 * The command line, and the config it names with its values in force:
 * what main() parses once and what a reload loads again.
 */
#ifndef ESMTP_OPTIONS_H
#define ESMTP_OPTIONS_H

#include <stdbool.h>

#include "config.h"

typedef struct {
	const char *config_path;
	bool config_path_given;
	/* values that win over the config file, also on reload */
	const char *socket;
	const char *user;
	const char *pid_file;
	int log_level;		/* -1 when not given */
	bool foreground, check_only, print_config;
} options;

/* -1 to go on, or the exit status (a usage error, -V, -h). */
int options_parse(int argc, char **argv, options *o);
/*
 * The config file with the command line's values applied; NULL with the
 * problems logged, never half a config. quiet_missing_default: a default
 * path that does not exist means the built-in defaults.
 */
esmtp_config *options_load_config(const options *o, bool quiet_missing_default);
/* -n and -T: the exit status. */
int options_check_config(const options *o);
int options_print_config(const options *o);

#endif
