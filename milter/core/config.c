/*
 * The configuration in memory: the built-in defaults, reference counting
 * for per-session snapshots, what a config asks of the MTA (content,
 * header changes), which keys a reload cannot apply, and the rule table
 * as the config puts it in force. Reading and writing the file is
 * config_file.c.
 */
#include "config.h"

#include "name_code.h"
#include "registry.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

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
	/* above Postfix's smtpd_timeout and RFC 5321's five minutes: the MTA
	   may wait that long for its client between two milter commands */
	c->timeout = 600;
	c->max_sessions = 0;
	c->shutdown_grace = 10;
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
	c->policy_listen = g_strdup("");
	c->stats_listen = g_strdup("127.0.0.1:9464");
	c->stats_web_config = g_strdup("");
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
	g_free(c->policy_listen);
	g_free(c->stats_listen);
	g_free(c->stats_web_config);
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

bool
config_needs_addheader(const esmtp_config *c)
{
	for (unsigned i = 0; i < RULE_COUNT; i++)
		if (c->actions[i] == ACTION_TAG)
			return true;
	return false;
}

char *
config_dump_rules(const esmtp_config *c)
{
	GString *out = g_string_new(NULL);

	g_string_append(out,
		"# rules: token, stages, action in force, reject reply, tempfail reply;\n"
		"# each {fact} in a reply text is filled in from the command\n");
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		const rule_def *def = &rule_table[r];
		g_autofree char *stages = rule_stages_text(def);
		g_autofree char *reject = NULL;
		rule_action a = c->actions[r];

		if (def->reject_rcpt.code != NULL)
			reject = g_strdup_printf("%s %s (%s %s at rcpt)",
						 def->reject.code,
						 def->reject.enhanced,
						 def->reject_rcpt.code,
						 def->reject_rcpt.enhanced);
		else
			reject = g_strdup_printf("%s %s", def->reject.code,
						 def->reject.enhanced);
		g_string_append_printf(out, "# %-21s %-10s %-16s %-30s %s %s\n",
				       def->token, stages,
				       c->dry_run && a != ACTION_IGNORE
				       ? "log (dry_run)" : action_name(a),
				       reject, def->tempfail.code,
				       def->tempfail.enhanced);
		g_string_append_printf(out, "#   reply text: %s (%s)\n", def->text,
				       def->token);
		for (size_t i = 0; i < registry_count; i++) {
			const registry_entry *row = &registry_table[i];

			if (row->bad_value_rule == (rule_id)r
			    && row->bad_value_reply.code != NULL)
				g_string_append_printf(out,
					"#   %s=: %s %s (%s)\n", row->keyword,
					row->bad_value_reply.code,
					row->bad_value_reply.enhanced, row->rfc);
		}
	}
	return g_string_free(out, FALSE);
}

bool
socket_spec_parse(const char *text, socket_spec *out)
{
	const char *rest, *at;
	guint64 port;

	memset(out, 0, sizeof *out);
	if ((rest = g_str_has_prefix(text, "unix:") ? text + 5
		    : g_str_has_prefix(text, "local:") ? text + 6 : NULL)
	    != NULL) {
		if (rest[0] != '/' || rest[1] == '\0')
			return false;
		out->is_unix = true;
		out->path = g_strdup(rest);
		return true;
	}
	if (g_str_has_prefix(text, "inet6:")) {
		out->inet6 = true;
		rest = text + 6;
	} else if (g_str_has_prefix(text, "inet:")) {
		rest = text + 5;
	} else {
		return false;
	}
	at = strchr(rest, '@');
	{
		g_autofree char *num = g_strndup(rest, at != NULL
						 ? (gsize)(at - rest)
						 : strlen(rest));

		if (!g_ascii_string_to_unsigned(num, 10, 1, 65535, &port, NULL))
			return false;
	}
	out->port = (guint)port;
	if (at != NULL) {
		const char *h = at + 1;
		size_t n = strlen(h);

		/* inet6:PORT@[ADDR] as libmilter writes it */
		if (n > 2 && h[0] == '[' && h[n - 1] == ']')
			out->host = g_strndup(h + 1, n - 2);
		else if (n > 0)
			out->host = g_strdup(h);
		else
			return false;
	}
	return true;
}

void
socket_spec_clear(socket_spec *spec)
{
	g_free(spec->path);
	g_free(spec->host);
	memset(spec, 0, sizeof *spec);
}
