/*
 * esmtp-milter-stats [--url http://HOST:PORT | --state FILE] [--json]
 * Reads the running daemon's /stats.json (by default at the listen address
 * of the default config) or a saved state file, and prints the report.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <curl/curl.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "report.h"

static size_t
collect(char *data, size_t size, size_t n, void *userdata)
{
	GString *body = userdata;

	if (body->len + size * n > 64 * 1024 * 1024)
		return 0;	/* no stats document is that large */
	g_string_append_len(body, data, (gssize)(size * n));
	return size * n;
}

static char *
fetch(const char *url, int *status)
{
	g_autoptr(GString) body = g_string_new(NULL);
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
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		fprintf(stderr, "esmtp-milter-stats: %s: %s\n", url,
			curl_easy_strerror(rc));
		*status = EX_UNAVAILABLE;
		return NULL;
	}
	if (code != 200) {
		fprintf(stderr, "esmtp-milter-stats: %s: HTTP status %ld\n", url,
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
	return g_strdup_printf("http://%s", c->stats_listen);
}

int
main(int argc, char **argv)
{
	g_autofree char *url = NULL, *state = NULL, *text = NULL;
	gboolean as_json = FALSE;
	GOptionEntry entries[] = {
		{"url", 0, 0, G_OPTION_ARG_STRING, &url,
		 "the daemon's statistics address (default: [stats] listen of "
		 CONFIG_DEFAULT_PATH ")", "http://HOST:PORT"},
		{"state", 0, 0, G_OPTION_ARG_FILENAME, &state,
		 "read a saved state file instead", "FILE"},
		{"json", 0, 0, G_OPTION_ARG_NONE, &as_json,
		 "print the report's figures as JSON", NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL}};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("- report how clients use ESMTP");
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	const char *source;
	int status = EX_OK;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc > 1) {
		fprintf(stderr, "esmtp-milter-stats: %s\n",
			error != NULL ? error->message : "unexpected argument");
		return EX_USAGE;
	}
	if (url != NULL && state != NULL) {
		fprintf(stderr, "esmtp-milter-stats: --url or --state, not both\n");
		return EX_USAGE;
	}
	if (state != NULL) {
		source = state;
		if (!g_file_get_contents(state, &text, NULL, &error)) {
			fprintf(stderr, "esmtp-milter-stats: %s\n", error->message);
			return EX_NOINPUT;
		}
	} else {
		g_autofree char *full = NULL;

		if (url == NULL && (url = default_url()) == NULL) {
			fprintf(stderr,
				"esmtp-milter-stats: the statistics listener is off in "
				CONFIG_DEFAULT_PATH "; use --url or --state\n");
			return EX_CONFIG;
		}
		full = g_str_has_suffix(url, ".json") ? g_strdup(url)
			: g_strdup_printf("%s%s/stats.json", url,
					  g_str_has_suffix(url, "/") ? "." : "");
		curl_global_init(CURL_GLOBAL_DEFAULT);
		text = fetch(full, &status);
		curl_global_cleanup();
		if (text == NULL)
			return status;
		source = url;
	}
	if (!json_parser_load_from_data(parser, text, -1, &error)) {
		fprintf(stderr, "esmtp-milter-stats: %s: %s\n", source,
			error->message);
		return EX_DATAERR;
	}
	if (as_json) {
		g_autoptr(JsonNode) doc = report_json(json_parser_get_root(parser),
						      &error);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *out = NULL;

		if (doc == NULL) {
			fprintf(stderr, "esmtp-milter-stats: %s: %s\n", source,
				error->message);
			return EX_DATAERR;
		}
		json_generator_set_root(gen, doc);
		json_generator_set_pretty(gen, TRUE);
		out = json_generator_to_data(gen, NULL);
		printf("%s\n", out);
	} else {
		g_autoptr(GString) out = g_string_new(NULL);

		if (!report_text(json_parser_get_root(parser), out, &error)) {
			fprintf(stderr, "esmtp-milter-stats: %s: %s\n", source,
				error->message);
			return EX_DATAERR;
		}
		fputs(out->str, stdout);
	}
	return EX_OK;
}
