/* Config loading: every key, its default, and the errors with file:line. */
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <glib.h>

#include "config.h"
#include "unit.h"

static char *
write_conf(const char *text)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("esmtp-milter-test-XXXXXX.conf", &path, &error);

	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Loads text; returns the config or NULL, and the problems joined. */
static esmtp_config *
load(const char *text, char **problems_out)
{
	g_autofree char *path = write_conf(text);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	esmtp_config *c = config_load(path, problems);
	GString *all = g_string_new(NULL);

	for (guint i = 0; i < problems->len; i++) {
		const char *p = g_ptr_array_index(problems, i);

		/* strip the temporary path: "PATH:LINE: ..." -> ":LINE: ..." */
		g_string_append(all, p + strlen(path));
		g_string_append_c(all, '\n');
	}
	unlink(path);
	*problems_out = g_string_free(all, FALSE);
	return c;
}

START_TEST(test_defaults)
{
	g_autoptr(esmtp_config) c = config_new_defaults();

	ck_assert_str_eq(c->socket, "unix:/run/esmtp-milter/esmtp-milter.sock");
	ck_assert_uint_eq(c->socket_mode, 0660);
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert_int_eq(c->syslog_facility, LOG_MAIL);
	ck_assert(!c->dry_run);
	ck_assert_uint_eq(c->trusted_networks->len, 2);
	ck_assert(c->exempt_authenticated);
	ck_assert_uint_eq(c->size_max, 10485760);
	ck_assert_uint_eq(c->overrun_percent, 10);
	ck_assert_uint_eq(c->overrun_bytes, 4096);
	ck_assert_int_eq(c->actions[RULE_PARAM_PRIVATE], ACTION_IGNORE);
	ck_assert_int_eq(c->actions[RULE_SIZE_OVERRUN], ACTION_REJECT);
	ck_assert_int_eq(c->actions[RULE_UTF8_UNDECLARED], ACTION_LOG);
	ck_assert_str_eq(c->stats_listen, "127.0.0.1:9464");
	ck_assert_str_eq(c->policy_listen, "");
	ck_assert_str_eq(c->state_file, "");
	ck_assert_uint_eq(c->summary_interval, 3600);
	ck_assert(config_needs_content(c));
	ck_assert(!config_needs_addheader(c));
}
END_TEST

START_TEST(test_every_key)
{
	g_autofree char *problems = NULL;
	g_autoptr(esmtp_config) c = load(
		"# comment\n"
		"[milter]\n"
		"socket = inet:8891@127.0.0.1\n"
		"socket_mode = 0600\n"
		"user = nobody\n"
		"pid_file = /run/x.pid\n"
		"log_level = debug\n"
		"syslog_facility = local3\n"
		"dry_run = true\n"
		"trusted_networks = 10.0.0.0/8; 2001:db8::/32 ;\n"
		"exempt_authenticated = false\n"
		"[size]\n"
		"max = 0\n"
		"overrun_percent = 5\n"
		"overrun_bytes = 10\n"
		"[size_limits]\n"
		"client:192.0.2.0/24 = 1048576\n"
		"client:2001:db8::/32 = 1048577\n"
		"from:Example.org = 2097152\n"
		"to:lists.example.net = 524288\n"
		"[actions]\n"
		"size_overrun = tag\n"
		"body_8bit_undeclared = ignore\n"
		"size_actual_limit = ignore\n"
		"[policy]\n"
		"listen = inet:10030@127.0.0.1\n"
		"[milter]\n"
		"timeout = 30\n"
		"max_sessions = 500\n"
		"shutdown_grace = 0\n"
		"[stats]\n"
		"listen =\n"
		"state_file = /var/lib/esmtp-milter/state\n"
		"summary_interval = 0\n", &problems);

	ck_assert_msg(c != NULL, "%s", problems);
	ck_assert_str_eq(c->socket, "inet:8891@127.0.0.1");
	ck_assert_uint_eq(c->socket_mode, 0600);
	ck_assert_str_eq(c->user, "nobody");
	ck_assert_str_eq(c->pid_file, "/run/x.pid");
	ck_assert_int_eq(c->log_level, LOG_DEBUG);
	ck_assert_int_eq(c->syslog_facility, LOG_LOCAL3);
	ck_assert(c->dry_run);
	ck_assert_uint_eq(c->trusted_networks->len, 2);
	ck_assert(!c->exempt_authenticated);
	ck_assert_uint_eq(c->size_max, 0);
	ck_assert_uint_eq(c->overrun_percent, 5);
	ck_assert_uint_eq(c->overrun_bytes, 10);
	ck_assert_uint_eq(c->client_limits->len, 2);
	ck_assert_uint_eq(g_array_index(c->client_limits, client_limit, 1).limit,
			  1048577);
	ck_assert_uint_eq(c->from_limits->len, 1);
	ck_assert_str_eq(g_array_index(c->from_limits, domain_limit, 0).domain,
			 "example.org");
	ck_assert_uint_eq(c->to_limits->len, 1);
	ck_assert_int_eq(c->actions[RULE_SIZE_OVERRUN], ACTION_TAG);
	ck_assert(config_needs_addheader(c));
	ck_assert(config_needs_content(c));
	ck_assert_str_eq(c->policy_listen, "inet:10030@127.0.0.1");
	ck_assert_uint_eq(c->timeout, 30);
	ck_assert_uint_eq(c->max_sessions, 500);
	ck_assert_uint_eq(c->shutdown_grace, 0);
	ck_assert_str_eq(c->stats_listen, "");
	ck_assert_str_eq(c->state_file, "/var/lib/esmtp-milter/state");
	ck_assert_uint_eq(c->summary_interval, 0);
}
END_TEST

START_TEST(test_no_content_needed)
{
	g_autofree char *problems = NULL;
	g_autoptr(esmtp_config) c = load(
		"[actions]\nsize_overrun = ignore\nsize_actual_limit = ignore\n"
		"body_8bit_undeclared = ignore\n", &problems);

	ck_assert_ptr_nonnull(c);
	ck_assert(!config_needs_content(c));
}
END_TEST

static const struct {
	const char *text;
	const char *problem;	/* expected fragment, with ":LINE:" */
} bad[] = {
	{"[milter]\nbogus = 1\n", ":2: unknown key \"bogus\" in [milter]"},
	{"[nope]\n", ":1: unknown group [nope]"},
	{"[milter]\nlog_level = loud\n", ":2: log_level: \"loud\" is not"},
	{"[milter]\nlog_level = informative\n",
	 ":2: log_level: \"informative\" is not error, warning, notice, info or debug"},
	{"[milter]\nsyslog_facility = kern\n", ":2: syslog_facility"},
	{"[milter]\nsocket_mode = 0999\n", ":2: socket_mode"},
	{"[milter]\nsocket =\n", ":2: socket: must not be empty"},
	{"[milter]\ndry_run = maybe\n", ":2: dry_run: \"maybe\" is not true"},
	/* booleans: true, false, yes, no (esmtp-milter.conf(5)), no more */
	{"[milter]\ndry_run = True\n", ":2: dry_run: \"True\" is not true"},
	{"[milter]\ndry_run = 1\n", ":2: dry_run: \"1\" is not true"},
	{"[milter]\ndry_run = 0\n", ":2: dry_run: \"0\" is not true"},
	{"[milter]\ndry_run = on\n", ":2: dry_run: \"on\" is not true"},
	{"[milter]\nexempt_authenticated = off\n",
	 ":2: exempt_authenticated: \"off\" is not true"},
	{"[milter]\n\ntrusted_networks = 10.0.0.1/8\n",
	 ":3: trusted_networks: \"10.0.0.1/8\""},
	/* the first host bit after the prefix counts too */
	{"[milter]\ntrusted_networks = 10.128.0.0/8\n",
	 ":2: trusted_networks: \"10.128.0.0/8\""},
	{"[milter]\ntrusted_networks = 10.0.0.0/8;bogus\n",
	 ":2: trusted_networks: \"bogus\""},
	{"[milter]\ntimeout = 86401\n", ":2: timeout: \"86401\""},
	{"[milter]\nmax_sessions = -5\n", ":2: max_sessions: \"-5\""},
	{"[milter]\nshutdown_grace = soon\n", ":2: shutdown_grace: \"soon\""},
	{"[policy]\nlisten = /run/policy.sock\n",
	 ":2: listen: \"/run/policy.sock\" is not unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST"},
	{"[policy]\nlisten = unix:relative.sock\n", ":2: listen: \"unix:relative.sock\""},
	{"[policy]\nlisten = inet:70000@127.0.0.1\n", ":2: listen: \"inet:70000@127.0.0.1\""},
	{"[policy]\nlisten = inet:10030@\n", ":2: listen: \"inet:10030@\""},
	{"[policy]\nsocket = x\n", ":2: unknown key \"socket\" in [policy]"},
	{"[size]\nmax = -1\n", ":2: max: \"-1\" is not a whole number"},
	{"[size]\nmax = 10 # ten\n", ":2: max: \"10 # ten\""},
	{"[size]\nmaximum = 1\n", ":2: unknown key \"maximum\" in [size]"},
	{"[size_limits]\nclient:300.0.0.0/8 = 1\n", ":2: \"300.0.0.0/8\""},
	{"[size_limits]\nhost:example.org = 1\n", ":2: \"host:example.org\""},
	{"[size_limits]\nexample.org = 1\n", ":2: \"example.org\" is not"},
	{"[size_limits]\nfrom:exa mple.org = 1\n", ":2: \"exa mple.org\""},
	{"[size_limits]\nto:example.org = big\n", ":2: to:example.org"},
	{"[actions]\nsize_overrun = bounce\n", ":2: size_overrun: \"bounce\""},
	{"[actions]\nsize_overun = log\n", ":2: unknown rule \"size_overun\""},
	{"[stats]\nlisten = localhost\n", ":2: listen: \"localhost\""},
	{"[stats]\nlisten = 127.0.0.1:99999\n", ":2: listen"},
	{"[stats]\nsummary_interval = often\n", ":2: summary_interval"},
	{"[size]\nmax = 1\ngarbage\n", ":3: Key file contains line"},
	{"# comment\n\nmax = 1\n[size]\n", ":3: Key file does not start with a group"},
};

START_TEST(test_bad_values)
{
	g_autofree char *problems = NULL;
	esmtp_config *c = load(bad[_i].text, &problems);

	ck_assert_msg(c == NULL, "accepted: %s", bad[_i].text);
	ck_assert_msg(strstr(problems, bad[_i].problem) != NULL,
		      "want %s, got %s", bad[_i].problem, problems);
}
END_TEST

START_TEST(test_all_problems_reported)
{
	g_autofree char *problems = NULL;
	esmtp_config *c = load("[milter]\na = 1\nb = 2\n[size]\nmax = x\n",
			       &problems);

	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(problems, ":2:"));
	ck_assert_ptr_nonnull(strstr(problems, ":3:"));
	ck_assert_ptr_nonnull(strstr(problems, ":5:"));
}
END_TEST

START_TEST(test_missing_file)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	ck_assert_ptr_null(config_load("/nonexistent/esmtp-milter.conf",
				       problems));
	ck_assert_uint_eq(problems->len, 1);
}
END_TEST

/*
 * The shipped sample shows the built-in defaults, but for one key it sets
 * for a packaged deployment: state_file in the unit's StateDirectory.
 */
START_TEST(test_sample_is_defaults)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(esmtp_config) c = config_load("contrib/esmtp-milter.conf",
						problems);
	g_autoptr(esmtp_config) d = config_new_defaults();

	ck_assert_msg(c != NULL, "%s", problems->len
		      ? (char *)g_ptr_array_index(problems, 0) : "");
	ck_assert_str_eq(c->socket, d->socket);
	ck_assert_uint_eq(c->socket_mode, d->socket_mode);
	ck_assert_str_eq(c->user, d->user);
	ck_assert_str_eq(c->pid_file, d->pid_file);
	ck_assert_int_eq(c->log_level, d->log_level);
	ck_assert_int_eq(c->syslog_facility, d->syslog_facility);
	ck_assert(c->dry_run == d->dry_run);
	ck_assert_uint_eq(c->trusted_networks->len, d->trusted_networks->len);
	for (guint i = 0; i < c->trusted_networks->len; i++)
		ck_assert(memcmp(&g_array_index(c->trusted_networks, net_addr, i),
				 &g_array_index(d->trusted_networks, net_addr, i),
				 sizeof(net_addr)) == 0);
	ck_assert(c->exempt_authenticated == d->exempt_authenticated);
	ck_assert_uint_eq(c->size_max, d->size_max);
	ck_assert_uint_eq(c->overrun_percent, d->overrun_percent);
	ck_assert_uint_eq(c->overrun_bytes, d->overrun_bytes);
	ck_assert_uint_eq(c->client_limits->len + c->from_limits->len
			  + c->to_limits->len, 0);
	for (unsigned r = 0; r < RULE_COUNT; r++)
		ck_assert_msg(c->actions[r] == d->actions[r], "%s",
			      rule_token(r));
	ck_assert_str_eq(c->stats_listen, d->stats_listen);
	ck_assert_str_eq(d->state_file, "");
	ck_assert_str_eq(c->state_file, "/var/lib/esmtp-milter/state.json");
	ck_assert_uint_eq(c->summary_interval, d->summary_interval);
}
END_TEST

/* Every boolean spelling esmtp-milter.conf(5) names, both ways. */
static const struct {
	const char *text;
	bool value;
} booleans[] = {
	{"true", true}, {"yes", true}, {"false", false}, {"no", false},
};

START_TEST(test_boolean_spellings)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *text = g_strdup_printf(
		"[milter]\ndry_run = %s\nexempt_authenticated = %s\n",
		booleans[_i].text, booleans[_i].text);
	g_autoptr(esmtp_config) c = config_load_data("t.conf", text, problems);

	ck_assert_msg(c != NULL, "%s rejected", booleans[_i].text);
	ck_assert(c->dry_run == booleans[_i].value);
	ck_assert(c->exempt_authenticated == booleans[_i].value);
}
END_TEST

/* A reload names exactly the restart-only keys that changed. */
START_TEST(test_restart_changes)
{
	g_autoptr(esmtp_config) a = config_new_defaults();
	g_autoptr(esmtp_config) b = config_new_defaults();
	g_autofree char *none = config_restart_changes(a, b);
	g_autofree char *two = NULL;

	ck_assert_ptr_null(none);
	g_free(b->stats_listen);
	b->stats_listen = g_strdup("127.0.0.1:9999");
	b->socket_mode = 0600;
	b->size_max = 5;	/* reloadable: never named */
	two = config_restart_changes(a, b);
	ck_assert_str_eq(two, "socket_mode, [stats] listen");
	g_free(b->policy_listen);
	b->policy_listen = g_strdup("unix:/run/p.sock");
	g_free(two);
	two = config_restart_changes(a, b);
	ck_assert_str_eq(two, "socket_mode, [policy] listen, [stats] listen");
}
END_TEST

/* The policy listener's socket names, as libmilter writes its own. */
START_TEST(test_socket_spec)
{
	socket_spec s;

	ck_assert(socket_spec_parse("unix:/run/esmtp-milter/policy.sock", &s));
	ck_assert(s.is_unix);
	ck_assert_str_eq(s.path, "/run/esmtp-milter/policy.sock");
	socket_spec_clear(&s);
	ck_assert(socket_spec_parse("local:/p", &s) && s.is_unix);
	socket_spec_clear(&s);
	ck_assert(socket_spec_parse("inet:10030@127.0.0.1", &s));
	ck_assert(!s.is_unix && !s.inet6 && s.port == 10030);
	ck_assert_str_eq(s.host, "127.0.0.1");
	socket_spec_clear(&s);
	ck_assert(socket_spec_parse("inet6:10030@[::1]", &s) && s.inet6);
	ck_assert_str_eq(s.host, "::1");
	socket_spec_clear(&s);
	ck_assert(socket_spec_parse("inet:10030", &s) && s.host == NULL);
	socket_spec_clear(&s);
	ck_assert(!socket_spec_parse("inet:0@127.0.0.1", &s));
	socket_spec_clear(&s);
	ck_assert(!socket_spec_parse("inet:x@127.0.0.1", &s));
	socket_spec_clear(&s);
	ck_assert(!socket_spec_parse("unix:", &s));
	socket_spec_clear(&s);
	ck_assert(!socket_spec_parse("127.0.0.1:10030", &s));
	socket_spec_clear(&s);
}
END_TEST

START_TEST(test_refcount)
{
	esmtp_config *c = config_new_defaults();

	ck_assert_ptr_eq(config_ref(c), c);
	config_unref(c);
	ck_assert_int_eq(c->refcount, 1);
	config_unref(c);
	config_unref(NULL);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_no_content_needed);
	tcase_add_loop_test(tc, test_bad_values, 0, G_N_ELEMENTS(bad));
	tcase_add_test(tc, test_all_problems_reported);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_sample_is_defaults);
	tcase_add_loop_test(tc, test_boolean_spellings, 0,
			    G_N_ELEMENTS(booleans));
	tcase_add_test(tc, test_restart_changes);
	tcase_add_test(tc, test_socket_spec);
	tcase_add_test(tc, test_refcount);
	suite_add_tcase(s, tc);
	return s;
}
