/*
 * The configuration (esmtp-milter.conf(5)): loaded whole from a GKeyFile,
 * validated, then shared by reference. A running session keeps the
 * config it started with; a reload swaps the current pointer.
 *
 * Implemented by: config.c, config_file.c (the file's reader) and
 * config_keys.c (the key table: -T, restart-only keys, log levels).
 */
#ifndef ESMTP_CONFIG_H
#define ESMTP_CONFIG_H

#include <stdbool.h>
#include <glib.h>

#include "net_addr.h"
#include "rules.h"

#define CONFIG_DEFAULT_PATH "/etc/esmtp-milter.conf"
#define CONFIG_DEFAULT_SOCKET "unix:/run/esmtp-milter/esmtp-milter.sock"

typedef struct {
	net_addr net;
	guint64 limit;
} client_limit;

typedef struct {
	char *domain;		/* lower case; a leading "." matches below */
	guint64 limit;
} domain_limit;

typedef struct {
	gint refcount;
	char *path;		/* NULL for the built-in defaults */

	/* [milter] */
	char *socket;
	guint socket_mode;
	char *user;
	char *pid_file;
	int log_level;		/* syslog priority */
	int syslog_facility;
	bool dry_run;
	GArray *trusted_networks;	/* net_addr */
	bool exempt_authenticated;
	guint timeout;		/* seconds a milter session may stay silent */
	guint max_sessions;	/* 0: from the open-files limit */
	guint shutdown_grace;	/* seconds SIGTERM waits for sessions */

	/* [size] */
	guint64 size_max;	/* 0 = no limit */
	guint overrun_percent;
	guint64 overrun_bytes;

	/* [size_limits] */
	GArray *client_limits;	/* client_limit */
	GArray *from_limits;	/* domain_limit */
	GArray *to_limits;	/* domain_limit */

	/* [actions] */
	rule_action actions[RULE_COUNT];

	/* [policy] */
	char *policy_listen;	/* "" = no policy service */

	/* [stats] */
	char *stats_listen;
	char *stats_web_config;	/* TLS and basic auth for it, or "" */
	char *state_file;
	guint summary_interval;
} esmtp_config;

esmtp_config *config_new_defaults(void);

/*
 * Loads and validates a file. On failure returns NULL and appends one
 * "FILE:LINE: problem" string per problem found to problems.
 */
esmtp_config *config_load(const char *path, GPtrArray *problems);
/* The same for text already read; path names it in the problems. */
esmtp_config *config_load_data(const char *path, const char *text,
			       GPtrArray *problems);

esmtp_config *config_ref(esmtp_config *config);
void config_unref(esmtp_config *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(esmtp_config, config_unref)

/*
 * The keys that take effect only after a restart, marked so in the key
 * table (config_file.c), as "socket, ..., [stats] listen": all of them,
 * and those that differ between two configs (NULL when none differ).
 * The caller frees either.
 */
char *config_restart_keys(void);
char *config_restart_changes(const esmtp_config *old,
			     const esmtp_config *next);

/* Whether a rule's action needs the message content (headers and body). */
bool config_needs_content(const esmtp_config *config);
/* Whether any action is "tag" (the filter must be allowed to add headers). */
bool config_needs_addheader(const esmtp_config *config);

/*
 * The effective config as a config file: every key of esmtp-milter.conf(5) with
 * its value, defaults filled in, groups in order (esmtp-milter -T). The
 * caller frees it.
 */
char *config_dump(const esmtp_config *config);

/*
 * A listening socket named as libmilter names them: unix:/PATH (or
 * local:/PATH), inet:PORT@HOST, inet6:PORT@HOST; HOST may be omitted
 * for inet (all addresses). Returns false for anything else.
 */
typedef struct {
	bool is_unix;
	char *path;		/* unix */
	char *host;		/* inet, inet6; NULL: any */
	guint port;
	bool inet6;
} socket_spec;

bool socket_spec_parse(const char *text, socket_spec *out);
void socket_spec_clear(socket_spec *spec);
/*
 * The rule table as comment lines: token, stages, the action in force
 * with this config, the reject and tempfail replies, and the registry
 * rows that name a reply of their own. The caller frees it.
 */
char *config_dump_rules(const esmtp_config *config);

const char *log_level_name(int priority);
bool log_level_from_name(const char *name, int *priority);

#endif
