/*
 * The report over a window of the history, and the recent figures
 * (report_window.h).
 */
#include "report_window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats_export.h"
#include "stats_history.h"

#define HOUR 3600
#define DAY 86400

bool
report_span_parse(const char *text, report_span *out, GError **error)
{
	char *end = NULL;
	unsigned long n;

	errno = 0;
	n = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
	if (errno == 0 && end != NULL && end[0] != '\0' && end[1] == '\0' && n > 0) {
		if (end[0] == 'h' && n <= STATS_HISTORY_HOURS) {
			*out = (report_span){(unsigned)n, false};
			return true;
		}
		if (end[0] == 'd' && n <= STATS_HISTORY_DAYS) {
			*out = (report_span){(unsigned)n, true};
			return true;
		}
		if (end[0] == 'w' && n * 7 <= STATS_HISTORY_DAYS) {
			*out = (report_span){(unsigned)n * 7, true};
			return true;
		}
	}
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "--since %s: a number of hours up to %d (24h), of days up to %d "
		    "(7d) or of weeks (2w); the daemon keeps no more",
		    text, STATS_HISTORY_HOURS, STATS_HISTORY_DAYS);
	return false;
}

static int64_t
member_int(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n && JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : 0;
}

/* A document's history, or an empty one (an older daemon, a bad member). */
static stats_history *
history_of(JsonNode *doc, bool *present)
{
	stats_history *h = stats_history_new();
	JsonObject *o = json_node_get_object(doc);
	JsonNode *n = json_object_get_member(o, "history");

	*present = n != NULL && stats_history_load(h, n, NULL);
	return h;
}

static int64_t
latest_time(JsonNode *const *docs, size_t ndocs)
{
	int64_t now = 0;

	for (size_t i = 0; i < ndocs; i++)
		now = MAX(now, member_int(json_node_get_object(docs[i]), "time"));
	return now > 0 ? now : g_get_real_time() / G_USEC_PER_SEC;
}

GPtrArray *
report_window_docs(JsonNode *const *docs, size_t ndocs, const report_span *span)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	int64_t now = latest_time(docs, ndocs);
	int64_t width = span->by_day ? DAY : HOUR;
	int64_t from = now - now % width - (int64_t)(span->n - 1) * width;

	for (size_t i = 0; i < ndocs; i++) {
		bool present;
		stats_history *h = history_of(docs[i], &present);
		stats *st = g_new0(stats, 1);
		int64_t since = 0;
		unsigned held;
		JsonNode *doc;
		JsonObject *o, *w = json_object_new();

		stats_init(st);
		held = stats_history_window(h, now, span->n, span->by_day, st, &since);
		doc = stats_to_json(st);
		o = json_node_get_object(doc);
		json_object_set_int_member(o, "start_time", from);
		json_object_set_int_member(o, "time", member_int(
			json_node_get_object(docs[i]), "time"));
		json_object_set_int_member(w, span->by_day ? "days" : "hours", span->n);
		json_object_set_int_member(w, "from", from);
		json_object_set_int_member(w, "to", now);
		json_object_set_int_member(w, "held", held);
		json_object_set_int_member(w, "since", since);
		json_object_set_boolean_member(w, "history", present);
		json_object_set_object_member(o, "window", w);
		g_ptr_array_add(out, doc);
		stats_clear(st);
		g_free(st);
		stats_history_free(h);
	}
	return out;
}

char *
report_window_note(JsonNode *doc)
{
	JsonObject *o = json_node_get_object(doc);
	JsonNode *wn = json_object_get_member(o, "window");
	JsonObject *w = wn != NULL && JSON_NODE_HOLDS_OBJECT(wn)
		? json_node_get_object(wn) : NULL;
	bool by_day;
	int64_t n, held, since;
	g_autoptr(GDateTime) at = NULL;
	g_autofree char *begins = NULL;

	if (w == NULL)
		return NULL;
	if (!json_object_get_boolean_member_with_default(w, "history", false))
		return g_strdup("keeps no history (a daemon or a state file from before "
				"it): nothing counted in the window");
	by_day = json_object_has_member(w, "days");
	n = member_int(w, by_day ? "days" : "hours");
	held = member_int(w, "held");
	since = member_int(w, "since");
	if (held >= n)
		return NULL;
	if (since > 0) {
		at = g_date_time_new_from_unix_utc(since);
		begins = g_date_time_format(at, "%Y-%m-%d %H:%M UTC");
	}
	return g_strdup_printf("its history holds %" G_GINT64_FORMAT " of these %"
			       G_GINT64_FORMAT " %s%s%s%s", held, n,
			       by_day ? "days" : "hours",
			       begins ? " (it begins " : "", begins ? begins : "",
			       begins ? "; the daemon was not running in the others, "
			       "or not counting them)" : "");
}

const char *const report_recent_names[RECENT_COUNT] = {
	"sessions", "transactions", "messages", "rejected", "violations",
	"SIZE lies (size_overrun fired)", "HELO sessions"};

char *
report_window_text(const report_window *w)
{
	g_autoptr(GDateTime) from = g_date_time_new_from_unix_utc(w->from);
	g_autoptr(GDateTime) to = g_date_time_new_from_unix_utc(w->to);
	g_autofree char *a = g_date_time_format(from, "%Y-%m-%d %H:%M");
	g_autofree char *b = g_date_time_format(to, "%Y-%m-%d %H:%M UTC");

	return g_strdup_printf("over the last %u %s%s, %s to %s", w->n,
			       w->by_day ? "day" : "hour", w->n == 1 ? "" : "s", a, b);
}

uint64_t
report_recent_figure(stats *st, recent_figure f)
{
	uint64_t n = 0;

	switch (f) {
	case RECENT_SESSIONS:
		return stats_get(&st->connections);
	case RECENT_TRANSACTIONS:
		return stats_get(&st->transactions);
	case RECENT_MESSAGES:
		return stats_get(&st->messages);
	case RECENT_REJECTED:
		return stats_get(&st->verdicts[VERDICT_REJECT]);
	case RECENT_VIOLATIONS: {
		/* the summary line's sum, every rule and action */
		summary_totals t;

		summary_read(st, &t);
		return t.violations;
	}
	case RECENT_SIZE_LIES:
		for (unsigned a = 0; a <= ACTION_COUNT; a++)
			n += stats_get(&st->violations[RULE_SIZE_OVERRUN][a]);
		return n;
	case RECENT_HELO:
		return stats_get(&st->greetings[GREETING_HELO]);
	case RECENT_COUNT:
		break;
	}
	return 0;
}

static void
window_figures(stats_history *h, int64_t now, unsigned n, bool by_day,
	       uint64_t *out)
{
	stats *st = g_new0(stats, 1);

	stats_init(st);
	stats_history_window(h, now, n, by_day, st, NULL);
	for (unsigned f = 0; f < RECENT_COUNT; f++)
		out[f] = report_recent_figure(st, (recent_figure)f);
	stats_clear(st);
	g_free(st);
}

void
report_recent_build(JsonNode *const *docs, size_t ndocs, report_recent *out)
{
	static const char *const prefix[SERIES_COUNT] = {
		"transactions", "violations", "violations/size_overrun"};
	stats_history *h = stats_history_new();

	memset(out, 0, sizeof *out);
	out->now = latest_time(docs, ndocs);
	for (size_t i = 0; i < ndocs; i++) {
		JsonNode *n = json_object_get_member(json_node_get_object(docs[i]),
						     "history");

		if (n != NULL && stats_history_load(h, n, NULL))
			out->present = true;
	}
	if (out->present) {
		window_figures(h, out->now, 24, false, out->day);
		window_figures(h, out->now, 7, true, out->week);
		for (unsigned s = 0; s < SERIES_COUNT; s++) {
			stats_history_series(h, prefix[s], out->now, REPORT_HOURS,
					     false, out->hours[s]);
			stats_history_series(h, prefix[s], out->now, REPORT_DAYS,
					     true, out->days[s]);
		}
	}
	stats_history_free(h);
}
