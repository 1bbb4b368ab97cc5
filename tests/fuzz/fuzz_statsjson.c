/*
 * Fuzz target: the statistics JSON reader, as the daemon reads its state
 * file and as esmtp-milter-stats reads the /stats.json of other daemons
 * and state files. Whatever the input: no crash, no leak; what the
 * daemon restores it writes again as valid UTF-8 JSON that reads back
 * without loss to the same text; the report renders a document it
 * accepts (text, JSON, HTML, and over a window of its history) as valid
 * UTF-8. The history member is read and written as the daemon does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "report.h"
#include "report_window.h"
#include "stats_export.h"
#include "stats_history.h"
#include "stats_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_statsjson: %s\n", what);
		abort();
	}
}

/* What the daemon does with a state file, and the JSON it saves next. */
static void
as_state_file(const uint8_t *data, size_t size)
{
	stats st, again;
	stats_load_outcome out = {0}, out2 = {0};
	g_autofree char *text = NULL;

	stats_init(&st);
	stats_init(&again);
	st.history = stats_history_new();
	again.history = stats_history_new();
	if (stats_load_text(&st, (const char *)data, size, &out, NULL)) {
		text = stats_json_text(&st, false);
		must(g_utf8_validate(text, -1, NULL), "the saved JSON is not UTF-8");
		must(stats_load_text(&again, text, strlen(text), &out2, NULL),
		     "the saved JSON does not read back");
		must(out2.lost->len == 0 && out2.replaced == 0,
		     "the saved JSON reads back with a loss");
	}
	stats_load_outcome_clear(&out);
	stats_load_outcome_clear(&out2);
	stats_history_free(st.history);
	stats_history_free(again.history);
	stats_clear(&st);
	stats_clear(&again);
}

/* What esmtp-milter-stats does with a source. */
static void
as_report_source(const uint8_t *data, size_t size)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) html = g_string_new(NULL);
	g_autoptr(JsonNode) json = NULL;
	JsonNode *doc;
	const char *name = "fuzz";

	if (!json_parser_load_from_data(parser, (const char *)data, (gssize)size, NULL))
		return;
	doc = json_parser_get_root(parser);
	if (!report_valid(doc, NULL))
		return;
	must(report_text_many(&doc, &name, 1, out, NULL), "no text report");
	must(g_utf8_validate(out->str, (gssize)out->len, NULL), "the text report is not UTF-8");
	for (size_t i = 0; i < out->len; i++)
		must((unsigned char)out->str[i] >= 0x20 || out->str[i] == '\n',
		     "the text report has a control character");
	json = report_json_many(&doc, &name, 1, NULL);
	must(json != NULL, "no JSON report");
	{
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *text = NULL;

		json_generator_set_root(gen, json);
		text = json_generator_to_data(gen, NULL);
		must(g_utf8_validate(text, -1, NULL), "the JSON report is not UTF-8");
	}
	must(report_html_many(&doc, &name, 1, true, html, NULL), "no page");
	must(g_utf8_validate(html->str, (gssize)html->len, NULL), "the page is not UTF-8");
	/* and over a window of its history (--since 7d) */
	{
		report_span span = {7, true};
		g_autoptr(GPtrArray) window = report_window_docs(&doc, 1, &span);
		g_autoptr(GString) w = g_string_new(NULL);

		must(report_text_many((JsonNode *const *)window->pdata, &name, 1, w, NULL),
		     "no report over a window");
		must(g_utf8_validate(w->str, (gssize)w->len, NULL), "the window is not UTF-8");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_state_file(data, size);
	as_report_source(data, size);
	return 0;
}
