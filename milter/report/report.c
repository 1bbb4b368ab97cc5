/*
 * The report: greetings, transactions, parameters with their share of
 * transactions, SIZE honesty, violations by rule and action, top clients.
 * Aligned columns and human units. The JSON is read back into counters
 * through the statistics families (stats_export.h), so the report names
 * what the daemon counts and nothing else.
 */
#include "report.h"
#include "report_model.h"
#include "report_window.h"

#include "stats.h"
#include "stats_export.h"
#include "session_log.h"
#include "utf8_text.h"

#include <stdio.h>
#include <string.h>

/*
 * A source's text (addresses, greetings, MTA names, the source's own
 * name) as a terminal may show it: the log's rule, valid UTF-8 without
 * control characters, anything else as "?". A state file or the
 * /stats.json of another daemon is not trusted to be harmless.
 */
typedef struct {
	char text[STATS_HELO_MAX * 2];
} shown_text;

static const char *
printable(shown_text *buf, const char *s)
{
	session_sanitize_text(buf->text, sizeof buf->text, s);
	return buf->text;
}

static void
text_top(GString *out, const char *title, const stats_top_entry *e,
	 unsigned n)
{
	g_string_append_printf(out, "\n%s\n", title);
	if (n == 0) {
		g_string_append(out, "  (none)\n");
		return;
	}
	for (unsigned i = 0; i < MIN(n, 10u); i++) {
		char count[32];
		shown_text a, h;

		report_human_count(e[i].count, count, sizeof count);
		g_string_append_printf(out, "  %-40s %8s  %s\n", printable(&a, e[i].address),
				       count, printable(&h, e[i].helo));
	}
}

/* One line per source: its headline figures beside the others'. */
static bool
text_instances(GString *out, JsonNode *const *docs, const char *const *names,
	       size_t ndocs, GError **error)
{
	g_string_append_printf(out, "\nInstances\n  %-40s %8s %12s %8s %10s\n",
			       "", "sessions", "transactions", "rejected",
			       "violations");
	for (size_t i = 0; i < ndocs; i++) {
		report one = {0};
		char a[32], b[32], c[32], d[32];
		uint64_t violations;
		shown_text nm;

		if (!report_build(&docs[i], 1, &one, error))
			return false;
		violations = report_recent_figure(&one.counters, RECENT_VIOLATIONS);
		report_human_count(one.connections, a, sizeof a);
		report_human_count(one.transactions, b, sizeof b);
		report_human_count(stats_get(&one.counters.verdicts[VERDICT_REJECT]),
				   c, sizeof c);
		report_human_count(violations, d, sizeof d);
		/* a longer source stands whole on a line of its own, its
		   figures under the column heads (as df(1) does) */
		const char *name = printable(&nm, names[i]);

		if (strlen(name) > 40)
			g_string_append_printf(out, "  %s\n", name);
		g_string_append_printf(out, "  %-40s %8s %12s %8s %10s\n",
				       strlen(name) > 40 ? "" : name,
				       a, b, c, d);
		report_free(&one);
	}
	return true;
}

/*
 * The clients with the most violations and what they do wrong: the rules
 * they break, how their SIZE declarations held, how they greet, which
 * keywords they use.
 */
static void
text_misuse(GString *out, const report *r)
{
	unsigned shown = 0;

	g_string_append(out, "\nClients that misuse ESMTP (by violations)\n");
	for (unsigned i = 0; i < r->n_top_violations && shown < 10; i++) {
		const stats_top_entry *e = &r->top_violations[i];
		const stats_profile *p = report_profile_of(r, e);
		GString *rules = g_string_new(NULL), *kws = g_string_new(NULL);
		GString *greets = g_string_new(NULL);
		char count[32];
		shown_text addr;

		if (e->count == 0)
			continue;
		shown++;
		for (unsigned g = 0; g < GREETING_COUNT; g++)
			if (p->greetings & STATS_GREETING_BIT(g))
				g_string_append_printf(greets, "%s%s",
						       greets->len ? "," : "  greetings=",
						       greeting_name((greeting_type)g));
		for (unsigned k = 0; k < RULE_COUNT; k++)
			if (p->violations[k] > 0)
				g_string_append_printf(rules, "%s%s %u",
						       rules->len ? ", " : "",
						       rule_token((rule_id)k),
						       p->violations[k]);
		for (size_t k = 0; k < registry_count; k++)
			if (p->keywords & (1u << k))
				g_string_append_printf(kws, "%s%s", kws->len ? "," : "",
						       registry_table[k].keyword);
		report_human_count(e->count, count, sizeof count);
		g_string_append_printf(out, "  %-40s %8s violations%s%s%s\n",
				       printable(&addr, e->address), count, greets->str,
				       p->tls != TLS_UNKNOWN ? "  tls=" : "",
				       p->tls != TLS_UNKNOWN
				       ? tls_version_log_name((tls_version)p->tls) : "");
		if (rules->len > 0)
			g_string_append_printf(out, "      %s\n", rules->str);
		if (p->size_declared > 0)
			g_string_append_printf(out,
					       "      SIZE overran %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
					       " declarations (at most +%" G_GUINT64_FORMAT " octets)\n",
					       p->size_overruns, p->size_declared,
					       p->size_overrun_max);
		if (kws->len > 0)
			g_string_append_printf(out, "      keywords %s\n", kws->str);
		g_string_free(rules, TRUE);
		g_string_free(kws, TRUE);
		g_string_free(greets, TRUE);
	}
	if (shown == 0)
		g_string_append(out, "  (none)\n");
}

/* What reject would have refused, for the rules that only log. */
static void
text_readiness(GString *out, const report *r)
{
	readiness_row rows[RULE_COUNT];
	unsigned n = report_readiness(r, rows);

	g_string_append(out, "\nWhat reject would have refused (rules at log, or under dry_run)\n");
	if (n == 0)
		g_string_append(out, "  (none)\n");
	for (unsigned i = 0; i < n; i++) {
		char t[32], c[32];

		report_human_count(rows[i].transactions, t, sizeof t);
		report_human_count(rows[i].clients, c, sizeof c);
		if (r->window.on) {
			g_string_append_printf(out, "  %-22s %8s transactions\n",
					       rule_token(rows[i].rule), t);
			continue;
		}
		g_string_append_printf(out, "  %-22s %8s transactions, about %s client%s\n",
				       rule_token(rows[i].rule), t, c,
				       rows[i].clients == 1 ? "" : "s");
		for (unsigned k = 0; k < rows[i].ntop; k++) {
			const stats_profile *p = report_profile_of(r, rows[i].top[k]);
			char others[256], n2[32];
			shown_text addr;

			report_other_rules(p, rows[i].rule, others, sizeof others);
			report_human_count(p->would_refuse[rows[i].rule], n2, sizeof n2);
			g_string_append_printf(out, "      %-36s %8s%s%s\n",
					       printable(&addr, rows[i].top[k]->address), n2,
					       others[0] ? "  also broke: " : "", others);
		}
	}
}

static const char *const recent_keys[RECENT_COUNT] = {
	"sessions", "transactions", "messages", "rejected", "violations",
	"size_lies", "helo_sessions"};

/* A window's sources whose history does not cover it, one line each. */
static void
text_window_notes(GString *out, JsonNode *const *docs, const char *const *names,
		  size_t ndocs)
{
	for (size_t i = 0; i < ndocs; i++) {
		g_autofree char *note = report_window_note(docs[i]);
		shown_text nm;

		if (note != NULL)
			g_string_append_printf(out, "\n  %s: %s", printable(&nm, names[i]), note);
	}
}

/* The last 24 hours and 7 days beside since start. */
static void
text_recent(GString *out, report *r)
{
	if (!r->recent.present)
		return;
	g_string_append_printf(out, "\nRecent (24 hours: this hour and the 23 before; 7 days: "
			       "today and the 6 before, UTC)\n  %-40s %8s %8s %11s\n", "",
			       "24 hours", "7 days", "since start");
	for (unsigned f = 0; f < RECENT_COUNT; f++) {
		char a[32], b[32], c[32];

		report_human_count(r->recent.day[f], a, sizeof a);
		report_human_count(r->recent.week[f], b, sizeof b);
		report_human_count(report_recent_figure(&r->counters, (recent_figure)f),
				   c, sizeof c);
		g_string_append_printf(out, "  %-40s %8s %8s %11s\n",
				       report_recent_names[f], a, b, c);
	}
}

bool
report_text_many(JsonNode *const *docs, const char *const *names,
		 size_t ndocs, GString *out, GError **error)
{
	report r = {0};
	report_headline hl;

	if (!report_build(docs, ndocs, &r, error))
		return false;
	report_headlines(&r, &hl);
	g_string_append_printf(out, "esmtp-milter statistics");
	if (ndocs > 1)
		g_string_append_printf(out, ", %zu instances merged", ndocs);
	if (r.window.on) {
		g_autofree char *span = report_window_text(&r.window);

		g_string_append_printf(out, " %s", span);
	} else if (r.start_time > 0 && r.time >= r.start_time) {
		int64_t up = r.time - r.start_time;

		g_string_append_printf(out, " (daemon up %" G_GINT64_FORMAT "d %02"
				       G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m)",
				       up / 86400, up / 3600 % 24, up / 60 % 60);
	}
	text_window_notes(out, docs, names, ndocs);
	g_string_append_printf(out, "\n\n  %-40s %8s\n  %-40s %8s\n  %-40s %8s\n",
			       "sessions", hl.sessions, "transactions", hl.transactions,
			       "messages", hl.messages);
	/* the history keeps no octets */
	if (!r.window.on)
		g_string_append_printf(out, "  %-40s %8s\n", "message octets", hl.octets);
	text_recent(out, &r);
	if (ndocs > 1 && !text_instances(out, docs, names, ndocs, error)) {
		report_free(&r);
		return false;
	}
	for (guint i = 0; i < r.sections->len; i++) {
		section *s = g_ptr_array_index(r.sections, i);

		g_string_append_printf(out, "\n%s\n", s->title);
		if (s->rows->len == 0)
			g_string_append(out, "  (none)\n");
		for (guint k = 0; k < s->rows->len; k++) {
			row *rw = &g_array_index(s->rows, row, k);
			char count[32];
			shown_text lb;

			report_human_count(rw->count, count, sizeof count);
			if (rw->percent < 0)
				g_string_append_printf(out, "  %-40s %8s\n",
						       printable(&lb, rw->label), count);
			else
				g_string_append_printf(out, "  %-40s %8s %6.1f%%\n",
						       printable(&lb, rw->label), count, rw->percent);
		}
	}
	if (r.window.on) {
		/* the clients are counted since start only */
		text_readiness(out, &r);
		report_free(&r);
		return true;
	}
	text_top(out, "Top clients by transactions", r.top_transactions,
		 r.n_top_transactions);
	text_top(out, "Top clients by violations", r.top_violations,
		 r.n_top_violations);
	text_misuse(out, &r);
	text_readiness(out, &r);
	report_free(&r);
	return true;
}

/* The window and its notes, or the recent figures, as members. */
static void
json_window(JsonBuilder *jb, report *r, JsonNode *const *docs, size_t ndocs)
{
	if (r->window.on) {
		json_builder_set_member_name(jb, "window");
		json_builder_begin_object(jb);
		stats_json_uint(jb, r->window.by_day ? "days" : "hours", r->window.n);
		stats_json_uint(jb, "from", (uint64_t)r->window.from);
		stats_json_uint(jb, "to", (uint64_t)r->window.to);
		if (ndocs == 1) {
			g_autofree char *note = report_window_note(docs[0]);

			if (note != NULL)
				stats_json_string(jb, "note", note);
		}
		json_builder_end_object(jb);
	}
	if (!r->recent.present)
		return;
	json_builder_set_member_name(jb, "recent");
	json_builder_begin_object(jb);
	for (unsigned k = 0; k < 2; k++) {
		const uint64_t *v = k == 0 ? r->recent.day : r->recent.week;

		json_builder_set_member_name(jb, k == 0 ? "last_24_hours" : "last_7_days");
		json_builder_begin_object(jb);
		for (unsigned f = 0; f < RECENT_COUNT; f++)
			stats_json_uint(jb, recent_keys[f], v[f]);
		json_builder_end_object(jb);
	}
	json_builder_end_object(jb);
}

static JsonNode *
json_of(JsonNode *const *docs, size_t ndocs, GError **error)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();
	report r = {0};

	if (!report_build(docs, ndocs, &r, error))
		return NULL;
	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "sessions");
	json_builder_add_int_value(jb, (gint64)r.connections);
	json_builder_set_member_name(jb, "transactions");
	json_builder_add_int_value(jb, (gint64)r.transactions);
	json_builder_set_member_name(jb, "messages");
	json_builder_add_int_value(jb, (gint64)r.messages);
	json_builder_set_member_name(jb, "octets");
	json_builder_add_int_value(jb, (gint64)r.octets);
	for (guint i = 0; i < r.sections->len; i++) {
		section *s = g_ptr_array_index(r.sections, i);

		json_builder_set_member_name(jb, s->key);
		json_builder_begin_array(jb);
		for (guint k = 0; k < s->rows->len; k++) {
			row *rw = &g_array_index(s->rows, row, k);

			json_builder_begin_object(jb);
			stats_json_string(jb, "name", rw->label);
			json_builder_set_member_name(jb, "count");
			json_builder_add_int_value(jb, (gint64)rw->count);
			if (rw->percent >= 0) {
				json_builder_set_member_name(jb, "percent");
				json_builder_add_double_value(jb, rw->percent);
			}
			json_builder_end_object(jb);
		}
		json_builder_end_array(jb);
	}
	json_window(jb, &r, docs, ndocs);
	stats_json_top_entries(jb, "top_clients_by_transactions",
			       r.top_transactions, r.n_top_transactions, false);
	stats_json_top_entries(jb, "top_clients_by_violations",
			       r.top_violations, r.n_top_violations, false);
	json_builder_end_object(jb);
	report_free(&r);
	return json_builder_get_root(jb);
}

JsonNode *
report_json_many(JsonNode *const *docs, const char *const *names,
		 size_t ndocs, GError **error)
{
	g_autoptr(JsonBuilder) jb = NULL;
	JsonNode *merged;

	if (ndocs == 1)
		return json_of(docs, 1, error);
	if ((merged = json_of(docs, ndocs, error)) == NULL)
		return NULL;
	jb = json_builder_new();
	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "merged");
	json_builder_add_value(jb, merged);
	json_builder_set_member_name(jb, "instances");
	json_builder_begin_array(jb);
	for (size_t i = 0; i < ndocs; i++) {
		JsonNode *one = json_of(&docs[i], 1, error);
		g_autofree char *source = NULL;

		if (one == NULL) {
			json_builder_end_array(jb);
			json_builder_end_object(jb);
			return NULL;
		}
		source = utf8_valid_dup(names[i]);
		json_object_set_string_member(json_node_get_object(one),
					      "source", source);
		json_builder_add_value(jb, one);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
	return json_builder_get_root(jb);
}
