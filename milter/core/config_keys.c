/*
 * The config keys (config_keys.h): the table, with the names of the
 * levels and facilities it takes, and writing a config back by it:
 * config_dump() for -T, the keys only a restart changes and those that
 * differ between two configs. A bad value is a problem naming the key
 * (config_file.c); the config keeps its default then, and loading fails
 * as a whole.
 */
#include "config_keys.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

static const name_code log_levels[] = {
	{"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	{"info", LOG_INFO}, {"debug", LOG_DEBUG},
};

static const name_code facilities[] = {
	{"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

const char *
log_level_name(int priority)
{
	return name_code_name(log_levels, G_N_ELEMENTS(log_levels), priority,
			      "info");
}

bool
log_level_from_name(const char *name, int *priority)
{
	return name_code_find(log_levels, G_N_ELEMENTS(log_levels), name,
			      priority);
}


#define FIELD(f) G_STRUCT_OFFSET(esmtp_config, f)
#define NAMES(t) t, G_N_ELEMENTS(t)
#define RESTART NULL, 0, true

const config_key config_keys[] = {
	{"milter", "socket", KEY_TEXT_SET, FIELD(socket), 0, RESTART},
	{"milter", "socket_mode", KEY_OCTAL, FIELD(socket_mode), 0777, RESTART},
	{"milter", "user", KEY_TEXT, FIELD(user), 0, RESTART},
	{"milter", "pid_file", KEY_TEXT, FIELD(pid_file), 0, RESTART},
	{"milter", "log_level", KEY_NAME, FIELD(log_level), 0, NAMES(log_levels), false},
	{"milter", "syslog_facility", KEY_NAME, FIELD(syslog_facility), 0,
	 NAMES(facilities), true},
	{"milter", "dry_run", KEY_BOOL, FIELD(dry_run), 0, NULL, 0, false},
	{"milter", "trusted_networks", KEY_NETWORKS, FIELD(trusted_networks), 0,
	 NULL, 0, false},
	{"milter", "timeout", KEY_SMALL_NUMBER, FIELD(timeout), 86400, RESTART},
	{"milter", "max_sessions", KEY_SMALL_NUMBER, FIELD(max_sessions),
	 1000000, NULL, 0, false},
	{"milter", "shutdown_grace", KEY_SMALL_NUMBER, FIELD(shutdown_grace),
	 3600, NULL, 0, false},
	{"milter", "exempt_authenticated", KEY_BOOL, FIELD(exempt_authenticated),
	 0, NULL, 0, false},
	{"size", "max", KEY_NUMBER, FIELD(size_max), G_MAXUINT64, NULL, 0, false},
	{"size", "overrun_percent", KEY_SMALL_NUMBER, FIELD(overrun_percent),
	 1000000, NULL, 0, false},
	{"size", "overrun_bytes", KEY_NUMBER, FIELD(overrun_bytes), G_MAXUINT64,
	 NULL, 0, false},
	{"size_limits", NULL, KEY_SIZE_LIMIT, 0, G_MAXUINT64, NULL, 0, false},
	{"actions", NULL, KEY_ACTION, FIELD(actions), 0, NULL, 0, false},
	{"policy", "listen", KEY_SOCKET, FIELD(policy_listen), 0, RESTART},
	{"stats", "listen", KEY_LISTEN, FIELD(stats_listen), 0, RESTART},
	{"stats", "web_config", KEY_TEXT, FIELD(stats_web_config), 0, RESTART},
	{"stats", "state_file", KEY_TEXT, FIELD(state_file), 0, NULL, 0, false},
	{"stats", "summary_interval", KEY_SMALL_NUMBER, FIELD(summary_interval),
	 G_MAXUINT, NULL, 0, false},
};

const size_t config_keys_count = G_N_ELEMENTS(config_keys);

static void
dump_value(GString *out, const esmtp_config *c, const config_key *k)
{
	char net[INET6_ADDRSTRLEN + 8];

	switch (k->type) {
	case KEY_TEXT:
	case KEY_TEXT_SET:
	case KEY_LISTEN:
	case KEY_SOCKET: {
		const char *v = *CONFIG_AT(c, k, char *const);

		g_string_append_printf(out, "%s =%s%s\n", k->key,
				       *v != '\0' ? " " : "", v);
		break;
	}
	case KEY_OCTAL:
		g_string_append_printf(out, "%s = %04o\n", k->key,
				       *CONFIG_AT(c, k, const guint));
		break;
	case KEY_NAME:
		g_string_append_printf(out, "%s = %s\n", k->key,
				       name_code_name(k->names, k->nnames,
						      *CONFIG_AT(c, k, const int), "?"));
		break;
	case KEY_BOOL:
		g_string_append_printf(out, "%s = %s\n", k->key,
				       *CONFIG_AT(c, k, const bool) ? "true" : "false");
		break;
	case KEY_NETWORKS: {
		const GArray *nets = *CONFIG_AT(c, k, GArray *const);

		g_string_append_printf(out, "%s =", k->key);
		for (guint i = 0; i < nets->len; i++) {
			net_addr_format(&g_array_index(nets, net_addr, i), net,
					sizeof net);
			g_string_append_printf(out, "%s%s", i ? ";" : " ", net);
		}
		g_string_append_c(out, '\n');
		break;
	}
	case KEY_NUMBER:
		g_string_append_printf(out, "%s = %" G_GUINT64_FORMAT "\n",
				       k->key, *CONFIG_AT(c, k, const guint64));
		break;
	case KEY_SMALL_NUMBER:
		g_string_append_printf(out, "%s = %u\n", k->key,
				       *CONFIG_AT(c, k, const guint));
		break;
	case KEY_SIZE_LIMIT:
		for (guint i = 0; i < c->client_limits->len; i++) {
			const client_limit *cl = &g_array_index(c->client_limits,
								client_limit, i);

			net_addr_format(&cl->net, net, sizeof net);
			g_string_append_printf(out, "client:%s = %" G_GUINT64_FORMAT "\n",
					       net, cl->limit);
		}
		for (guint i = 0; i < c->from_limits->len; i++)
			g_string_append_printf(out, "from:%s = %" G_GUINT64_FORMAT "\n",
					       g_array_index(c->from_limits, domain_limit, i).domain,
					       g_array_index(c->from_limits, domain_limit, i).limit);
		for (guint i = 0; i < c->to_limits->len; i++)
			g_string_append_printf(out, "to:%s = %" G_GUINT64_FORMAT "\n",
					       g_array_index(c->to_limits, domain_limit, i).domain,
					       g_array_index(c->to_limits, domain_limit, i).limit);
		break;
	case KEY_ACTION:
		for (unsigned r = 0; r < RULE_COUNT; r++)
			g_string_append_printf(out, "%s = %s\n", rule_token(r),
					       action_name(CONFIG_AT(c, k, const rule_action)[r]));
		break;
	}
}

char *
config_dump(const esmtp_config *c)
{
	GString *out = g_string_new(NULL);
	const char *group = NULL;

	for (size_t i = 0; i < config_keys_count; i++) {
		if (g_strcmp0(group, config_keys[i].group) != 0) {
			group = config_keys[i].group;
			g_string_append_printf(out, "%s[%s]\n", i ? "\n" : "", group);
		}
		dump_value(out, c, &config_keys[i]);
	}
	return g_string_free(out, FALSE);
}

/* "socket", or "[stats] listen" outside [milter] */
static void
key_name(GString *out, const config_key *k)
{
	if (strcmp(k->group, "milter") == 0)
		g_string_append(out, k->key);
	else
		g_string_append_printf(out, "[%s] %s", k->group, k->key);
}

char *
config_restart_keys(void)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < config_keys_count; i++) {
		if (!config_keys[i].restart)
			continue;
		if (out->len > 0)
			g_string_append(out, ", ");
		key_name(out, &config_keys[i]);
	}
	return g_string_free(out, FALSE);
}

/* Two values differ when config_dump() would write them differently. */
char *
config_restart_changes(const esmtp_config *a, const esmtp_config *b)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < config_keys_count; i++) {
		g_autoptr(GString) va = g_string_new(NULL);
		g_autoptr(GString) vb = g_string_new(NULL);

		if (!config_keys[i].restart)
			continue;
		dump_value(va, a, &config_keys[i]);
		dump_value(vb, b, &config_keys[i]);
		if (g_string_equal(va, vb))
			continue;
		if (out->len > 0)
			g_string_append(out, ", ");
		key_name(out, &config_keys[i]);
	}
	return g_string_free(out, out->len == 0);
}

