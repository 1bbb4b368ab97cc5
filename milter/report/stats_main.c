/*
 * esmtp-milter-stats [--url http[s]://HOST:PORT ...] [--state FILE ...]
 *                    [--json | --html] [--ca-file FILE] [--user NAME
 *                    --password-file FILE] [--cert FILE --key FILE]
 * Reads running daemons' /stats.json (by default at the listen address of
 * the default config) and saved state files, any number of each, and
 * prints one report of them all: merged, with a line per instance. A
 * source that cannot be read is named on stderr and the others reported.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <curl/curl.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "report.h"
#include "report_window.h"

static size_t
collect(char *data, size_t size, size_t n, void *userdata)
{
	GString *body = userdata;

	if (body->len + size * n > 64 * 1024 * 1024)
		return 0;	/* no stats document is that large */
	g_string_append_len(body, data, (gssize)(size * n));
	return size * n;
}

/* How each --url is reached: the same for every daemon of a fleet. */
typedef struct {
	const char *ca_file;
	const char *user;
	char *password;		/* read from --password-file, never printed */
	const char *cert, *key;
} client_opts;

/*
 * A URL as it may be shown: without user information (a password given
 * in the URL itself is never printed, in an error or in a report).
 */
static char *
shown_url(const char *url)
{
	CURLU *u;
	char *out = NULL, *text = NULL;

	if (strchr(url, '@') == NULL)
		return g_strdup(url);	/* as given: no user information */
	u = curl_url();
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK
	    && curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK
	    && curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK
	    && curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK)
		out = g_strdup(text);
	curl_free(text);
	curl_url_cleanup(u);
	/* not a URL curl can take apart: nothing after an '@' is shown */
	if (out == NULL)
		out = strchr(url, '@') != NULL ? g_strdup("(a URL with user information)")
					       : g_strdup(url);
	return out;
}

/* What went wrong, in words that say which part to fix. */
static const char *
why_not(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return "the server's certificate is not trusted (give its CA with --ca-file)";
	case CURLE_SSL_CACERT_BADFILE:
		return "the --ca-file cannot be read as certificates";
	case CURLE_SSL_CERTPROBLEM:
		return "the client certificate (--cert) cannot be used";
	case CURLE_SSL_CONNECT_ERROR:
		return "the TLS handshake failed (a client certificate the server does not accept, or no common TLS version)";
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "not an http:// or https:// URL";
	default:
		return NULL;
	}
}

static char *
fetch(const char *url, const client_opts *opt, int *status)
{
	g_autoptr(GString) body = g_string_new(NULL);
	g_autofree char *shown = shown_url(url);
	char detail[CURL_ERROR_SIZE] = "";
	CURL *curl = curl_easy_init();
	CURLcode rc;
	long code = 0;

	if (curl == NULL) {
		*status = EX_SOFTWARE;
		return NULL;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
	if (opt->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, opt->ca_file);
	if (opt->user != NULL) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, opt->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, opt->password);
	}
	if (opt->cert != NULL) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, opt->cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, opt->key);
	}
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		const char *why = why_not(rc);

		/* libcurl's own text names hosts and files, never the password */
		if (why != NULL)
			fprintf(stderr, "esmtp-milter-stats: %s: %s%s%s\n", shown, why,
				detail[0] != '\0' ? ": " : "", detail);
		else
			fprintf(stderr, "esmtp-milter-stats: %s: %s\n", shown,
				detail[0] != '\0' ? detail : curl_easy_strerror(rc));
		*status = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM
			  ? EX_NOPERM : EX_UNAVAILABLE;
		return NULL;
	}
	if (code == 401 || code == 403) {
		fprintf(stderr, "esmtp-milter-stats: %s: %s (HTTP %ld)\n", shown,
			code == 401 ? (opt->user != NULL || strchr(url, '@') != NULL
				       ? "the user name or password was refused"
				       : "the endpoint wants a user name and password (--user, --password-file)")
				    : "refused: the endpoint wants a client certificate it trusts (--cert, --key)",
			code);
		*status = EX_NOPERM;
		return NULL;
	}
	if (code != 200) {
		fprintf(stderr, "esmtp-milter-stats: %s: HTTP status %ld\n", shown,
			code);
		*status = EX_UNAVAILABLE;
		return NULL;
	}
	return g_string_free(g_steal_pointer(&body), FALSE);
}

/* The listen address of the default config, or its built-in default. */
static char *
default_url(void)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(esmtp_config) c = NULL;

	if (g_file_test(CONFIG_DEFAULT_PATH, G_FILE_TEST_EXISTS))
		c = config_load(CONFIG_DEFAULT_PATH, problems);
	if (c == NULL)
		c = config_new_defaults();
	if (c->stats_listen[0] == '\0')
		return NULL;
	/* a web_config means TLS (the exporters' format: HTTPS when it has
	   a tls_server_config, which is what it is for here) */
	return g_strdup_printf("%s://%s", c->stats_web_config[0] != '\0' ? "https" : "http",
			       c->stats_listen);
}

/* One source's document, or NULL with the reason on stderr. */
static JsonNode *
load_source(const char *source, bool is_state, const client_opts *opt,
	    int *status)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *text = NULL;

	if (is_state) {
		if (!g_file_get_contents(source, &text, NULL, &error)) {
			fprintf(stderr, "esmtp-milter-stats: %s\n", error->message);
			*status = EX_NOINPUT;
			return NULL;
		}
	} else {
		g_autofree char *full = g_str_has_suffix(source, ".json")
			? g_strdup(source)
			: g_strdup_printf("%s%s/stats.json", source,
					  g_str_has_suffix(source, "/") ? "." : "");

		if ((text = fetch(full, opt, status)) == NULL)
			return NULL;
	}
	if (!json_parser_load_from_data(parser, text, -1, &error)
	    || !report_valid(json_parser_get_root(parser), &error)) {
		g_autofree char *shown = is_state ? g_strdup(source) : shown_url(source);

		fprintf(stderr, "esmtp-milter-stats: %s: %s\n", shown,
			error->message);
		*status = EX_DATAERR;
		return NULL;
	}
	return json_node_copy(json_parser_get_root(parser));
}

/*
 * Every source that can be read, URLs first, into docs and names; the
 * exit status of the first that cannot (each is named on stderr).
 */
static int
load_all(char **urls, char **states, const client_opts *opt, GPtrArray *docs,
	 GPtrArray *names)
{
	int status = EX_OK;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (int pass = 0; pass < 2; pass++) {
		char **list = pass == 0 ? urls : states;

		for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
			int st = EX_OK;
			JsonNode *doc = load_source(list[i], pass == 1, opt, &st);

			if (doc == NULL) {
				if (status == EX_OK)
					status = st;
				continue;
			}
			g_ptr_array_add(docs, doc);
			g_ptr_array_add(names, pass == 1 ? g_strdup(list[i])
						       : shown_url(list[i]));
		}
	}
	curl_global_cleanup();
	return status;
}

/* The report on stdout, over span's window when span is not NULL; false
   with the reason on stderr. */
static bool
print_report(GPtrArray *all, GPtrArray *names, const report_span *span,
	     bool as_json, bool as_html)
{
	g_autoptr(GPtrArray) window = span != NULL
		? report_window_docs((JsonNode *const *)all->pdata, all->len, span) : NULL;
	GPtrArray *docs = window != NULL ? window : all;
	JsonNode *const *d = (JsonNode *const *)docs->pdata;
	const char *const *n = (const char *const *)names->pdata;
	g_autoptr(GError) error = NULL;

	if (as_html) {
		g_autoptr(GString) out = g_string_new(NULL);

		if (!report_html_many(d, n, docs->len, false, out, &error))
			goto fail;
		fputs(out->str, stdout);
	} else if (as_json) {
		g_autoptr(JsonNode) doc = report_json_many(d, n, docs->len, &error);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *out = NULL;

		if (doc == NULL)
			goto fail;
		json_generator_set_root(gen, doc);
		json_generator_set_pretty(gen, TRUE);
		out = json_generator_to_data(gen, NULL);
		printf("%s\n", out);
	} else {
		g_autoptr(GString) out = g_string_new(NULL);

		if (!report_text_many(d, n, docs->len, out, &error))
			goto fail;
		fputs(out->str, stdout);
	}
	return true;
fail:
	fprintf(stderr, "esmtp-milter-stats: %s\n", error->message);
	return false;
}

/*
 * The password from --password-file: its first line, the line end left
 * out. Only --user with --password-file, --cert with --key: anything
 * else is a usage error, said on stderr (false).
 */
static bool
client_opts_check(client_opts *opt, const char *password_file, int *status)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	*status = EX_USAGE;
	if ((opt->user == NULL) != (password_file == NULL)) {
		fprintf(stderr, "esmtp-milter-stats: --user and --password-file go together\n");
		return false;
	}
	if ((opt->cert == NULL) != (opt->key == NULL)) {
		fprintf(stderr, "esmtp-milter-stats: --cert and --key go together\n");
		return false;
	}
	if (password_file == NULL)
		return true;
	if (!g_file_get_contents(password_file, &text, NULL, &error)) {
		fprintf(stderr, "esmtp-milter-stats: --password-file: %s\n", error->message);
		*status = EX_NOINPUT;
		return false;
	}
	text[strcspn(text, "\r\n")] = '\0';
	opt->password = g_steal_pointer(&text);
	return true;
}

int
main(int argc, char **argv)
{
	g_auto(GStrv) urls = NULL, states = NULL;
	gboolean as_json = FALSE, as_html = FALSE;
	g_autofree char *since = NULL;
	report_span span = {0, false};
	g_autofree char *ca_file = NULL, *user = NULL, *password_file = NULL;
	g_autofree char *cert = NULL, *key = NULL;
	client_opts opt = {0};
	GOptionEntry entries[] = {
		{"url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &urls,
		 "a daemon's statistics address, as often as there are daemons (default: [stats] listen of "
		 CONFIG_DEFAULT_PATH ")", "http[s]://HOST:PORT"},
		{"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
		 "the CA certificates that an https:// endpoint's certificate is checked against", "FILE"},
		{"user", 0, 0, G_OPTION_ARG_STRING, &user,
		 "the user name for the endpoints' basic authentication", "NAME"},
		{"password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
		 "the file whose first line is that user's password", "FILE"},
		{"cert", 0, 0, G_OPTION_ARG_FILENAME, &cert,
		 "a client certificate, for endpoints that require one", "FILE"},
		{"key", 0, 0, G_OPTION_ARG_FILENAME, &key,
		 "the client certificate's private key", "FILE"},
		{"state", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &states,
		 "a saved state file, as often as there are files", "FILE"},
		{"json", 0, 0, G_OPTION_ARG_NONE, &as_json,
		 "print the report's figures as JSON", NULL},
		{"html", 0, 0, G_OPTION_ARG_NONE, &as_html,
		 "print the report as one self-contained HTML page with charts", NULL},
		{"since", 0, 0, G_OPTION_ARG_STRING, &since,
		 "the report over the daemons' history of the last hours, days or weeks "
		 "(24h, 7d, 2w) instead of since start", "DURATION"},
		{NULL, 0, 0, 0, NULL, NULL, NULL}};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("- report how clients use ESMTP");
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func(
		(GDestroyNotify)json_node_unref);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *default_source = NULL;
	int status;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc > 1 ||
	    (since != NULL && !report_span_parse(since, &span, &error))) {
		fprintf(stderr, "esmtp-milter-stats: %s\n",
			error != NULL ? error->message : "unexpected argument");
		return EX_USAGE;
	}
	if (urls == NULL && states == NULL) {
		if ((default_source = default_url()) == NULL) {
			fprintf(stderr,
				"esmtp-milter-stats: the statistics listener is off in "
				CONFIG_DEFAULT_PATH "; use --url or --state\n");
			return EX_CONFIG;
		}
		urls = g_new0(char *, 2);
		urls[0] = g_strdup(default_source);
	}
	opt = (client_opts){ca_file, user, NULL, cert, key};
	if (!client_opts_check(&opt, password_file, &status))
		return status;
	status = load_all(urls, states, &opt, docs, names);
	if (opt.password != NULL) {
		explicit_bzero(opt.password, strlen(opt.password));
		g_free(opt.password);
	}
	if (docs->len == 0)
		return status;
	if (status != EX_OK)
		fprintf(stderr, "esmtp-milter-stats: reporting the %u sources that could be read\n",
			docs->len);
	if (as_json && as_html) {
		fprintf(stderr, "esmtp-milter-stats: --json or --html, not both\n");
		return EX_USAGE;
	}
	if (!print_report(docs, names, since != NULL ? &span : NULL, as_json, as_html))
		return EX_DATAERR;
	return status;
}
