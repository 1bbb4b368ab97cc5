/*
 * Reading and writing the config file. GKeyFile parses; this file knows
 * which groups and keys exist (one typed row each), validates every
 * value, and finds the line of a problem so that the administrator is
 * told "file:line: what is wrong". config_dump() writes the rows back.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

#include "config_lines.h"
#include "name_code.h"

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

/* ---- loading ---------------------------------------------------------- */

typedef struct {
	const char *path;
	const char *text;
	GKeyFile *kf;
	GPtrArray *problems;
} loader;

static void G_GNUC_PRINTF(4, 5)
problem(loader *ld, const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;
	unsigned line = config_key_line(ld->text, group, key);

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	config_add_problem(ld->problems, ld->path, line, msg);
}

/* A GKeyFile parse error, at the line it quotes. */
static void
parse_problem(loader *ld, const GError *error)
{
	config_add_problem(ld->problems, ld->path,
			   config_parse_error_line(ld->text, error),
			   error->message);
}

static char *
get_string(loader *ld, const char *group, const char *key)
{
	g_autoptr(GError) error = NULL;
	char *value = g_key_file_get_string(ld->kf, group, key, &error);

	if (value == NULL) {
		problem(ld, group, key, "%s: %s", key, error->message);
		return NULL;
	}
	return g_strstrip(value);
}

static bool
get_uint(loader *ld, const char *group, const char *key, guint64 max,
	 guint64 *out)
{
	g_autofree char *value = get_string(ld, group, key);

	if (value == NULL)
		return false;
	if (!g_ascii_string_to_unsigned(value, 10, 0, max, out, NULL)) {
		problem(ld, group, key,
			"%s: \"%s\" is not a whole number from 0 to %" G_GUINT64_FORMAT,
			key, value, max);
		return false;
	}
	return true;
}

static bool
get_bool(loader *ld, const char *group, const char *key, bool *out)
{
	g_autofree char *value = get_string(ld, group, key);

	if (value == NULL)
		return false;
	if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
		*out = true;
	else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
		*out = false;
	else {
		problem(ld, group, key, "%s: \"%s\" is not true or false",
			key, value);
		return false;
	}
	return true;
}

/*
 * The config keys: one row each, with the type that says how its value is
 * read, checked, stored at offset in esmtp_config, and written back by
 * config_dump(). A bad value is a problem naming the key; the config
 * keeps its default then (and config_load fails as a whole).
 */
typedef enum {
	KEY_TEXT,		/* char *, any text */
	KEY_TEXT_SET,		/* char *, not empty */
	KEY_LISTEN,		/* char *, HOST:PORT or empty */
	KEY_SOCKET,		/* char *, unix:/PATH, inet:PORT@HOST or empty */
	KEY_OCTAL,		/* guint, 0 .. max, in octal */
	KEY_NAME,		/* int, one of names */
	KEY_BOOL,		/* bool */
	KEY_NETWORKS,		/* GArray of net_addr */
	KEY_NUMBER,		/* guint64, 0 .. max */
	KEY_SMALL_NUMBER,	/* guint, 0 .. max */
	KEY_SIZE_LIMIT,		/* [size_limits]: client:, from:, to: keys */
	KEY_ACTION,		/* [actions]: one key per rule token */
} key_type;

typedef struct {
	const char *group;
	const char *key;	/* NULL: any key of the group */
	key_type type;
	size_t offset;
	guint64 max;
	const name_code *names;
	size_t nnames;
	bool restart;		/* in force only after a restart */
} config_key;

#define FIELD(f) G_STRUCT_OFFSET(esmtp_config, f)
#define NAMES(t) t, G_N_ELEMENTS(t)
#define RESTART NULL, 0, true

/* esmtp-milter.conf(5), in the order config_dump() writes them. */
static const config_key config_keys[] = {
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
	{"stats", "state_file", KEY_TEXT, FIELD(state_file), 0, NULL, 0, false},
	{"stats", "summary_interval", KEY_SMALL_NUMBER, FIELD(summary_interval),
	 G_MAXUINT, NULL, 0, false},
};

#define AT(c, k, type) ((type *)(void *)((char *)(c) + (k)->offset))

static bool
valid_domain(const char *d)
{
	if (*d == '.')
		d++;
	if (*d == '\0' || *d == '.')
		return false;
	for (; *d != '\0'; d++)
		if (!g_ascii_isalnum(*d) && *d != '-' && *d != '.' && *d != '_')
			return false;
	return d[-1] != '.';
}

/* [size_limits] client:NETWORK, from:DOMAIN, to:DOMAIN */
static void
load_size_limit(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	const char *colon = strchr(k, ':');
	bool is_client = g_str_has_prefix(k, "client:");
	bool is_domain = g_str_has_prefix(k, "from:")
			 || g_str_has_prefix(k, "to:");
	guint64 n;

	if (colon == NULL || (!is_client && !is_domain)) {
		problem(ld, g, k,
			"\"%s\" is not client:NETWORK, from:DOMAIN or to:DOMAIN", k);
		return;
	}
	if (!get_uint(ld, g, k, G_MAXUINT64, &n))
		return;
	if (is_client) {
		client_limit cl = {.limit = n};

		if (!net_addr_parse_cidr(colon + 1, &cl.net))
			problem(ld, g, k,
				"\"%s\" is not an IPv4 or IPv6 network (ADDRESS/PREFIX, host bits zero)",
				colon + 1);
		else
			g_array_append_val(c->client_limits, cl);
	} else if (!valid_domain(colon + 1)) {
		problem(ld, g, k, "\"%s\" is not a domain name", colon + 1);
	} else {
		domain_limit dl = {g_ascii_strdown(colon + 1, -1), n};

		g_array_append_val(k[0] == 'f' ? c->from_limits : c->to_limits,
				   dl);
	}
}

static void
load_networks(loader *ld, GArray *nets, const char *g, const char *k)
{
	g_auto(GStrv) list = g_key_file_get_string_list(ld->kf, g, k, NULL, NULL);

	g_array_set_size(nets, 0);
	for (unsigned j = 0; list != NULL && list[j] != NULL; j++) {
		net_addr net;
		char *item = g_strstrip(list[j]);

		if (*item == '\0')
			continue;
		if (!net_addr_parse_cidr(item, &net))
			problem(ld, g, k,
				"%s: \"%s\" is not an IPv4 or IPv6 network (ADDRESS/PREFIX, host bits zero)",
				k, item);
		else
			g_array_append_val(nets, net);
	}
}

static bool
valid_listen(const char *v)
{
	const char *colon = strrchr(v, ':');

	return *v == '\0'
	       || (colon != NULL && colon != v
		   && g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, NULL,
						 NULL));
}

static void
load_value(loader *ld, esmtp_config *c, const config_key *k, const char *g,
	   const char *key)
{
	g_autofree char *v = NULL;
	guint64 n;
	int code;

	switch (k->type) {
	case KEY_SIZE_LIMIT:
		load_size_limit(ld, c, g, key);
		return;
	case KEY_NETWORKS:
		load_networks(ld, *AT(c, k, GArray *), g, key);
		return;
	case KEY_ACTION: {
		rule_id rule;

		if (!rule_from_token(key, &rule)) {
			problem(ld, g, key, "unknown rule \"%s\" in [%s]", key, g);
			return;
		}
		v = get_string(ld, g, key);
		if (v != NULL && !action_from_name(v, &AT(c, k, rule_action)[rule])) {
			g_autofree char *allowed = action_names_list();

			problem(ld, g, key, "%s: \"%s\" is not %s", key, v, allowed);
		}
		return;
	}
	case KEY_BOOL:
		get_bool(ld, g, key, AT(c, k, bool));
		return;
	case KEY_NUMBER:
		get_uint(ld, g, key, k->max, AT(c, k, guint64));
		return;
	case KEY_SMALL_NUMBER:
		if (get_uint(ld, g, key, k->max, &n))
			*AT(c, k, guint) = (guint)n;
		return;
	default:
		break;
	}
	v = get_string(ld, g, key);
	if (v == NULL)
		return;
	switch (k->type) {
	case KEY_TEXT_SET:
		if (*v == '\0') {
			problem(ld, g, key, "%s: must not be empty", key);
			return;
		}
		/* fall through */
	case KEY_TEXT:
		g_free(*AT(c, k, char *));
		*AT(c, k, char *) = g_steal_pointer(&v);
		return;
	case KEY_LISTEN:
		if (!valid_listen(v)) {
			problem(ld, g, key, "%s: \"%s\" is not HOST:PORT", key, v);
			return;
		}
		g_free(*AT(c, k, char *));
		*AT(c, k, char *) = g_steal_pointer(&v);
		return;
	case KEY_SOCKET: {
		socket_spec spec;

		if (*v != '\0' && !socket_spec_parse(v, &spec)) {
			problem(ld, g, key,
				"%s: \"%s\" is not unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST",
				key, v);
			return;
		}
		if (*v != '\0')
			socket_spec_clear(&spec);
		g_free(*AT(c, k, char *));
		*AT(c, k, char *) = g_steal_pointer(&v);
		return;
	}
	case KEY_OCTAL:
		if (!g_ascii_string_to_unsigned(v, 8, 0, k->max, &n, NULL))
			problem(ld, g, key,
				"%s: \"%s\" is not an octal mode from 0 to %04" G_GINT64_MODIFIER "o",
				key, v, k->max);
		else
			*AT(c, k, guint) = (guint)n;
		return;
	case KEY_NAME:
		if (name_code_find(k->names, k->nnames, v, &code)) {
			*AT(c, k, int) = code;
		} else {
			g_autofree char *allowed = name_code_list(k->names,
								  k->nnames);

			problem(ld, g, key, "%s: \"%s\" is not %s", key, v, allowed);
		}
		return;
	default:
		return;
	}
}

static void
load_key(loader *ld, esmtp_config *c, const char *group, const char *key)
{
	bool group_known = false;

	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		if (strcmp(config_keys[i].group, group) != 0)
			continue;
		group_known = true;
		if (config_keys[i].key == NULL
		    || strcmp(config_keys[i].key, key) == 0) {
			load_value(ld, c, &config_keys[i], group, key);
			return;
		}
	}
	if (group_known)
		problem(ld, group, key, "unknown key \"%s\" in [%s]", key, group);
}

static bool
group_known(const char *group)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
		if (strcmp(config_keys[i].group, group) == 0)
			return true;
	return false;
}

/* ---- writing ------------------------------------------------------------- */

static void
dump_value(GString *out, const esmtp_config *c, const config_key *k)
{
	char net[INET6_ADDRSTRLEN + 8];

	switch (k->type) {
	case KEY_TEXT:
	case KEY_TEXT_SET:
	case KEY_LISTEN:
	case KEY_SOCKET: {
		const char *v = *AT(c, k, char *const);

		g_string_append_printf(out, "%s =%s%s\n", k->key,
				       *v != '\0' ? " " : "", v);
		break;
	}
	case KEY_OCTAL:
		g_string_append_printf(out, "%s = %04o\n", k->key,
				       *AT(c, k, const guint));
		break;
	case KEY_NAME:
		g_string_append_printf(out, "%s = %s\n", k->key,
				       name_code_name(k->names, k->nnames,
						      *AT(c, k, const int), "?"));
		break;
	case KEY_BOOL:
		g_string_append_printf(out, "%s = %s\n", k->key,
				       *AT(c, k, const bool) ? "true" : "false");
		break;
	case KEY_NETWORKS: {
		const GArray *nets = *AT(c, k, GArray *const);

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
				       k->key, *AT(c, k, const guint64));
		break;
	case KEY_SMALL_NUMBER:
		g_string_append_printf(out, "%s = %u\n", k->key,
				       *AT(c, k, const guint));
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
					       action_name(AT(c, k, const rule_action)[r]));
		break;
	}
}

char *
config_dump(const esmtp_config *c)
{
	GString *out = g_string_new(NULL);
	const char *group = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
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

	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
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

	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
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

esmtp_config *
config_load(const char *path, GPtrArray *problems)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, &error)) {
		g_ptr_array_add(problems, g_strdup_printf("%s: %s", path,
							  error->message));
		return NULL;
	}
	return config_load_data(path, text, problems);
}

esmtp_config *
config_load_data(const char *path, const char *text, GPtrArray *problems)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(esmtp_config) c = NULL;
	g_auto(GStrv) groups = NULL;
	guint before = problems->len;
	loader ld = {.path = path, .text = text, .kf = kf,
		     .problems = problems};

	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE,
				       &error)) {
		parse_problem(&ld, error);
		return NULL;
	}

	c = config_new_defaults();
	c->path = g_strdup(path);
	groups = g_key_file_get_groups(kf, NULL);
	for (unsigned i = 0; groups[i] != NULL; i++) {
		g_auto(GStrv) keys = NULL;

		if (!group_known(groups[i])) {
			problem(&ld, groups[i], NULL, "unknown group [%s]",
				groups[i]);
			continue;
		}
		keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (unsigned j = 0; keys != NULL && keys[j] != NULL; j++)
			load_key(&ld, c, groups[i], keys[j]);
	}
	if (problems->len > before)
		return NULL;
	return g_steal_pointer(&c);
}
