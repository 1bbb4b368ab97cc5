/*
 * Config loading with GKeyFile. GKeyFile parses; this file knows which
 * groups and keys exist, validates every value, and finds the line of a
 * problem so that the administrator is told "file:line: what is wrong".
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

static const struct {
	const char *name;
	int priority;
} log_levels[] = {
	{"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	{"info", LOG_INFO}, {"debug", LOG_DEBUG},
};

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

const char *
log_level_name(int priority)
{
	for (size_t i = 0; i < G_N_ELEMENTS(log_levels); i++)
		if (log_levels[i].priority == priority)
			return log_levels[i].name;
	return "info";
}

bool
log_level_from_name(const char *name, int *priority)
{
	for (size_t i = 0; i < G_N_ELEMENTS(log_levels); i++) {
		if (g_strcmp0(name, log_levels[i].name) == 0) {
			*priority = log_levels[i].priority;
			return true;
		}
	}
	return false;
}

bool
net_addr_parse(const char *text, net_addr *out)
{
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = 4;
		out->prefix = 32;
		return true;
	}
	if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->family = 6;
		out->prefix = 128;
		return true;
	}
	return false;
}

/* "ADDR/LEN" or a bare address; host bits must be zero, as in Postfix. */
bool
net_addr_parse_cidr(const char *text, net_addr *out)
{
	g_autofree char *copy = g_strdup(text);
	char *slash = strchr(copy, '/');
	guint64 prefix;

	if (slash != NULL)
		*slash = '\0';
	if (!net_addr_parse(copy, out))
		return false;
	if (slash == NULL)
		return true;
	if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, out->prefix,
					&prefix, NULL))
		return false;
	out->prefix = (guint8)prefix;
	for (unsigned bit = out->prefix; bit < (out->family == 4 ? 32u : 128u);
	     bit++)
		if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

bool
net_addr_in(const net_addr *addr, const net_addr *net)
{
	unsigned full, rest;

	if (addr->family == 0 || addr->family != net->family)
		return false;
	full = net->prefix / 8;
	rest = net->prefix % 8;
	if (memcmp(addr->addr, net->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((addr->addr[full] ^ net->addr[full]) & (0xffu << (8 - rest)))
	       == 0;
}

static void
domain_limit_clear(gpointer p)
{
	g_free(((domain_limit *)p)->domain);
}

esmtp_config *
config_new_defaults(void)
{
	esmtp_config *c = g_new0(esmtp_config, 1);
	net_addr net;

	c->refcount = 1;
	c->socket = g_strdup(CONFIG_DEFAULT_SOCKET);
	c->socket_mode = 0660;
	c->user = g_strdup("");
	c->pid_file = g_strdup("");
	c->log_level = LOG_INFO;
	c->syslog_facility = LOG_MAIL;
	c->trusted_networks = g_array_new(FALSE, FALSE, sizeof(net_addr));
	net_addr_parse_cidr("127.0.0.0/8", &net);
	g_array_append_val(c->trusted_networks, net);
	net_addr_parse_cidr("::1", &net);
	g_array_append_val(c->trusted_networks, net);
	c->exempt_authenticated = true;
	c->size_max = 10485760;
	c->overrun_percent = 10;
	c->overrun_bytes = 4096;
	c->client_limits = g_array_new(FALSE, FALSE, sizeof(client_limit));
	c->from_limits = g_array_new(FALSE, FALSE, sizeof(domain_limit));
	g_array_set_clear_func(c->from_limits, domain_limit_clear);
	c->to_limits = g_array_new(FALSE, FALSE, sizeof(domain_limit));
	g_array_set_clear_func(c->to_limits, domain_limit_clear);
	for (unsigned i = 0; i < RULE_COUNT; i++)
		c->actions[i] = rule_table[i].default_action;
	c->stats_listen = g_strdup("127.0.0.1:9464");
	c->state_file = g_strdup("");
	c->summary_interval = 3600;
	return c;
}

esmtp_config *
config_ref(esmtp_config *config)
{
	g_atomic_int_inc(&config->refcount);
	return config;
}

void
config_unref(esmtp_config *c)
{
	if (c == NULL || !g_atomic_int_dec_and_test(&c->refcount))
		return;
	g_free(c->path);
	g_free(c->socket);
	g_free(c->user);
	g_free(c->pid_file);
	g_array_unref(c->trusted_networks);
	g_array_unref(c->client_limits);
	g_array_unref(c->from_limits);
	g_array_unref(c->to_limits);
	g_free(c->stats_listen);
	g_free(c->state_file);
	g_free(c);
}

bool
config_needs_content(const esmtp_config *c)
{
	for (unsigned r = 0; r < RULE_COUNT; r++)
		if ((rule_table[r].stages & STAGE_EOM)
		    && c->actions[r] != ACTION_IGNORE)
			return true;
	return false;
}

char *
config_restart_changes(const esmtp_config *a, const esmtp_config *b)
{
	GString *out = g_string_new(NULL);
	const struct {
		bool differs;
		const char *name;
	} keys[] = {
		{g_strcmp0(a->socket, b->socket) != 0, "socket"},
		{a->socket_mode != b->socket_mode, "socket_mode"},
		{g_strcmp0(a->user, b->user) != 0, "user"},
		{g_strcmp0(a->pid_file, b->pid_file) != 0, "pid_file"},
		{a->syslog_facility != b->syslog_facility, "syslog_facility"},
		{g_strcmp0(a->stats_listen, b->stats_listen) != 0,
		 "[stats] listen"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (!keys[i].differs)
			continue;
		if (out->len > 0)
			g_string_append(out, ", ");
		g_string_append(out, keys[i].name);
	}
	return g_string_free(out, out->len == 0);
}

bool
config_needs_addheader(const esmtp_config *c)
{
	for (unsigned i = 0; i < RULE_COUNT; i++)
		if (c->actions[i] == ACTION_TAG)
			return true;
	return false;
}

/* ---- loading ---------------------------------------------------------- */

typedef struct {
	const char *path;
	const char *text;
	GKeyFile *kf;
	GPtrArray *problems;
} loader;

static bool
line_is_group(const char *line, size_t len, const char *group)
{
	return len == strlen(group) + 2 && line[0] == '['
	       && strncmp(line + 1, group, len - 2) == 0
	       && line[len - 1] == ']';
}

/*
 * The line number of a key (or of the group header when key is NULL):
 * only to point the administrator at the right line.
 */
static unsigned
find_line(const char *text, const char *group, const char *key)
{
	const char *p = text;
	bool in_group = false;
	unsigned lineno = 0;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		g_autofree char *line = g_strstrip(g_strndup(p, len));
		size_t l = strlen(line);

		lineno++;
		if (l > 0 && line[0] == '[') {
			in_group = line_is_group(line, l, group);
			if (in_group && key == NULL)
				return lineno;
		} else if (in_group && key != NULL && l > 0 && line[0] != '#') {
			char *eq = strchr(line, '=');

			if (eq != NULL) {
				*eq = '\0';
				if (strcmp(g_strchomp(line), key) == 0)
					return lineno;
			}
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return 0;
}

static void G_GNUC_PRINTF(4, 5)
problem(loader *ld, const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;
	unsigned line = find_line(ld->text, group, key);

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		g_ptr_array_add(ld->problems,
				g_strdup_printf("%s:%u: %s", ld->path, line, msg));
	else
		g_ptr_array_add(ld->problems,
				g_strdup_printf("%s: %s", ld->path, msg));
}

/* GKeyFile's own parse errors quote the offending line: find its number. */
static void
parse_problem(loader *ld, const GError *error)
{
	const char *open = strstr(error->message, "\xe2\x80\x9c");
	const char *close = open != NULL ? strstr(open, "\xe2\x80\x9d") : NULL;
	unsigned lineno = 0;

	if (open != NULL && close != NULL) {
		g_autofree char *quoted = g_strndup(open + 3,
						    (size_t)(close - open - 3));
		g_auto(GStrv) lines = g_strsplit(ld->text, "\n", -1);

		g_strstrip(quoted);
		for (unsigned i = 0; lines[i] != NULL; i++) {
			if (strcmp(g_strstrip(lines[i]), quoted) == 0) {
				lineno = i + 1;
				break;
			}
		}
	} else {
		/* "does not start with a group": the first line that counts */
		g_auto(GStrv) lines = g_strsplit(ld->text, "\n", -1);

		for (unsigned i = 0; lines[i] != NULL && lineno == 0; i++) {
			const char *l = g_strstrip(lines[i]);

			if (*l != '\0' && *l != '#')
				lineno = i + 1;
		}
	}
	if (lineno > 0)
		g_ptr_array_add(ld->problems, g_strdup_printf("%s:%u: %s",
				ld->path, lineno, error->message));
	else
		g_ptr_array_add(ld->problems, g_strdup_printf("%s: %s",
				ld->path, error->message));
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
 * One handler per key. Each reads and validates its value and reports a
 * problem naming the key; the config keeps its default when a value is bad
 * (and config_load then fails as a whole).
 */
typedef void (*key_handler)(loader *ld, esmtp_config *c, const char *group,
			    const char *key);

static void
replace_string(char **field, char *value)
{
	g_free(*field);
	*field = value;
}

static void
key_socket(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	char *v = get_string(ld, g, k);

	if (v != NULL && *v == '\0') {
		problem(ld, g, k, "socket: must not be empty");
		g_free(v);
	} else if (v != NULL) {
		replace_string(&c->socket, v);
	}
}

static void
key_socket_mode(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	g_autofree char *v = get_string(ld, g, k);
	guint64 n;

	if (v == NULL)
		return;
	if (!g_ascii_string_to_unsigned(v, 8, 0, 0777, &n, NULL))
		problem(ld, g, k,
			"socket_mode: \"%s\" is not an octal mode from 0 to 0777", v);
	else
		c->socket_mode = (guint)n;
}

static void
key_user(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	char *v = get_string(ld, g, k);

	if (v != NULL)
		replace_string(&c->user, v);
}

static void
key_pid_file(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	char *v = get_string(ld, g, k);

	if (v != NULL)
		replace_string(&c->pid_file, v);
}

static void
key_log_level(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	g_autofree char *v = get_string(ld, g, k);

	if (v != NULL && !log_level_from_name(v, &c->log_level))
		problem(ld, g, k,
			"log_level: \"%s\" is not error, warning, notice, info or debug",
			v);
}

static void
key_syslog_facility(loader *ld, esmtp_config *c, const char *g,
		    const char *k)
{
	g_autofree char *v = get_string(ld, g, k);

	if (v == NULL)
		return;
	for (size_t j = 0; j < G_N_ELEMENTS(facilities); j++) {
		if (strcmp(v, facilities[j].name) == 0) {
			c->syslog_facility = facilities[j].facility;
			return;
		}
	}
	problem(ld, g, k,
		"syslog_facility: \"%s\" is not mail, daemon, user or local0 to local7",
		v);
}

static void
key_dry_run(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	get_bool(ld, g, k, &c->dry_run);
}

static void
key_exempt_authenticated(loader *ld, esmtp_config *c, const char *g,
			 const char *k)
{
	get_bool(ld, g, k, &c->exempt_authenticated);
}

static void
key_trusted_networks(loader *ld, esmtp_config *c, const char *g,
		     const char *k)
{
	g_auto(GStrv) list = g_key_file_get_string_list(ld->kf, g, k, NULL, NULL);

	g_array_set_size(c->trusted_networks, 0);
	for (unsigned j = 0; list != NULL && list[j] != NULL; j++) {
		net_addr net;
		char *item = g_strstrip(list[j]);

		if (*item == '\0')
			continue;
		if (!net_addr_parse_cidr(item, &net))
			problem(ld, g, k,
				"trusted_networks: \"%s\" is not an IPv4 or IPv6 network (ADDRESS/PREFIX, host bits zero)",
				item);
		else
			g_array_append_val(c->trusted_networks, net);
	}
}

static void
key_size_max(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	get_uint(ld, g, k, G_MAXUINT64, &c->size_max);
}

static void
key_overrun_percent(loader *ld, esmtp_config *c, const char *g,
		    const char *k)
{
	guint64 n;

	if (get_uint(ld, g, k, 1000000, &n))
		c->overrun_percent = (guint)n;
}

static void
key_overrun_bytes(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	get_uint(ld, g, k, G_MAXUINT64, &c->overrun_bytes);
}

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
key_size_limit(loader *ld, esmtp_config *c, const char *g, const char *k)
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

/* [actions] RULE = ACTION */
static void
key_action(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	g_autofree char *v = NULL;
	rule_id rule;

	if (!rule_from_token(k, &rule)) {
		problem(ld, g, k, "unknown rule \"%s\" in [%s]", k, g);
		return;
	}
	v = get_string(ld, g, k);
	if (v != NULL && !action_from_name(v, &c->actions[rule]))
		problem(ld, g, k,
			"%s: \"%s\" is not reject, tempfail, tag, log or ignore",
			k, v);
}

static void
key_stats_listen(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	char *v = get_string(ld, g, k);
	const char *colon;

	if (v == NULL)
		return;
	colon = strrchr(v, ':');
	if (*v != '\0' && (colon == NULL || colon == v
	    || !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, NULL,
					   NULL))) {
		problem(ld, g, k, "listen: \"%s\" is not HOST:PORT", v);
		g_free(v);
		return;
	}
	replace_string(&c->stats_listen, v);
}

static void
key_state_file(loader *ld, esmtp_config *c, const char *g, const char *k)
{
	char *v = get_string(ld, g, k);

	if (v != NULL)
		replace_string(&c->state_file, v);
}

static void
key_summary_interval(loader *ld, esmtp_config *c, const char *g,
		     const char *k)
{
	guint64 n;

	if (get_uint(ld, g, k, G_MAXUINT, &n))
		c->summary_interval = (guint)n;
}

/* Every group and key of SPEC section 4; key NULL takes any key. */
static const struct {
	const char *group;
	const char *key;
	key_handler load;
} config_keys[] = {
	{"milter", "socket", key_socket},
	{"milter", "socket_mode", key_socket_mode},
	{"milter", "user", key_user},
	{"milter", "pid_file", key_pid_file},
	{"milter", "log_level", key_log_level},
	{"milter", "syslog_facility", key_syslog_facility},
	{"milter", "dry_run", key_dry_run},
	{"milter", "trusted_networks", key_trusted_networks},
	{"milter", "exempt_authenticated", key_exempt_authenticated},
	{"size", "max", key_size_max},
	{"size", "overrun_percent", key_overrun_percent},
	{"size", "overrun_bytes", key_overrun_bytes},
	{"size_limits", NULL, key_size_limit},
	{"actions", NULL, key_action},
	{"stats", "listen", key_stats_listen},
	{"stats", "state_file", key_state_file},
	{"stats", "summary_interval", key_summary_interval},
};

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
			config_keys[i].load(ld, c, group, key);
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
