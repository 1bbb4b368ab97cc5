/*
 * Reading the config file. GKeyFile parses; the key table (config_keys.h)
 * says which groups and keys exist, this file validates every value by
 * its row and finds the line of a problem so that the administrator is
 * told "file:line: what is wrong".
 */
#include "config_keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

#include "config_lines.h"
#include "name_code.h"

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
load_action(loader *ld, esmtp_config *c, const config_key *k, const char *g,
	    const char *key)
{
	g_autofree char *v = NULL;
	rule_id rule;

	if (!rule_from_token(key, &rule)) {
		problem(ld, g, key, "unknown rule \"%s\" in [%s]", key, g);
		return;
	}
	v = get_string(ld, g, key);
	if (v != NULL && !action_from_name(v, &CONFIG_AT(c, k, rule_action)[rule])) {
		g_autofree char *allowed = action_names_list();

		problem(ld, g, key, "%s: \"%s\" is not %s", key, v, allowed);
	}
}

/* A value read as text: checked by its row's type, then stored. */
static void
load_text(loader *ld, esmtp_config *c, const config_key *k, const char *g,
	  const char *key, const char *v)
{
	guint64 n;
	int code;

	switch (k->type) {
	case KEY_TEXT_SET:
		if (*v == '\0') {
			problem(ld, g, key, "%s: must not be empty", key);
			return;
		}
		/* fall through */
	case KEY_TEXT:
		g_free(*CONFIG_AT(c, k, char *));
		*CONFIG_AT(c, k, char *) = g_strdup(v);
		return;
	case KEY_LISTEN:
		if (!valid_listen(v)) {
			problem(ld, g, key, "%s: \"%s\" is not HOST:PORT", key, v);
			return;
		}
		g_free(*CONFIG_AT(c, k, char *));
		*CONFIG_AT(c, k, char *) = g_strdup(v);
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
		g_free(*CONFIG_AT(c, k, char *));
		*CONFIG_AT(c, k, char *) = g_strdup(v);
		return;
	}
	case KEY_OCTAL:
		if (!g_ascii_string_to_unsigned(v, 8, 0, k->max, &n, NULL))
			problem(ld, g, key,
				"%s: \"%s\" is not an octal mode from 0 to %04" G_GINT64_MODIFIER "o",
				key, v, k->max);
		else
			*CONFIG_AT(c, k, guint) = (guint)n;
		return;
	case KEY_NAME:
		if (name_code_find(k->names, k->nnames, v, &code)) {
			*CONFIG_AT(c, k, int) = code;
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
load_value(loader *ld, esmtp_config *c, const config_key *k, const char *g,
	   const char *key)
{
	g_autofree char *v = NULL;
	guint64 n;

	switch (k->type) {
	case KEY_SIZE_LIMIT:
		load_size_limit(ld, c, g, key);
		return;
	case KEY_NETWORKS:
		load_networks(ld, *CONFIG_AT(c, k, GArray *), g, key);
		return;
	case KEY_ACTION:
		load_action(ld, c, k, g, key);
		return;
	case KEY_BOOL:
		get_bool(ld, g, key, CONFIG_AT(c, k, bool));
		return;
	case KEY_NUMBER:
		get_uint(ld, g, key, k->max, CONFIG_AT(c, k, guint64));
		return;
	case KEY_SMALL_NUMBER:
		if (get_uint(ld, g, key, k->max, &n))
			*CONFIG_AT(c, k, guint) = (guint)n;
		return;
	default:
		break;
	}
	v = get_string(ld, g, key);
	if (v != NULL)
		load_text(ld, c, k, g, key, v);
}

static void
load_key(loader *ld, esmtp_config *c, const char *group, const char *key)
{
	bool group_known = false;

	for (size_t i = 0; i < config_keys_count; i++) {
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
	for (size_t i = 0; i < config_keys_count; i++)
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
