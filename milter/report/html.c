/*
 * The report as one self-contained HTML page (report.h): the same
 * figures as the text report, each section a bar chart drawn in inline
 * SVG beside its table, inline CSS, no script, no font, no image from
 * elsewhere, so that it reads without JavaScript, prints, and can be
 * mailed as a file. Every bar and count cell carries its exact count in a
 * data-count attribute; a section without data says so in words. Tables
 * are bounded: the top tables hold at most STATS_TOP_K clients.
 */
#include "report.h"
#include "report_model.h"
#include "report_window.h"
#include "utf8_text.h"

#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 260	/* px for the longest bar */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:64em;"
	"padding:0 1em;color:#1b1b1b;background:#fff}"
	"h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .5em;"
	"border-bottom:1px solid #ccc;padding-bottom:.2em}"
	"p.meta,p.empty{color:#555}nav a{margin-right:1em}"
	"dl.totals{display:grid;grid-template-rows:auto auto;grid-auto-flow:column;"
	"justify-content:start;gap:0 2.5em;margin:1em 0}dt{color:#555;font-size:.85em}"
	"dd{margin:0;font-size:1.5em;font-weight:600}"
	".section{display:flex;flex-wrap:wrap;gap:1em 2em;align-items:flex-start}"
	"table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
	"th,td{padding:.15em .6em;text-align:left;border-bottom:1px solid #eee}"
	"td.count,td.share,th.num{text-align:right}"
	"svg text{font:12px system-ui,sans-serif;fill:#1b1b1b}"
	"rect.bar{fill:#3f6fb5}rect.warn{fill:#c0392b}rect.col{fill:#3f6fb5}"
	"rect.bg{fill:#f1f3f6}svg.columns text{font-size:10px;fill:#555}"
	"figure{margin:0}figcaption{font-size:.85em;color:#555}"
	"@media print{body{max-width:none}nav{display:none}"
	"h2{break-after:avoid}.section{break-inside:avoid}}";

static void
text(GString *out, const char *s)
{
	/* g_markup_escape_text() wants UTF-8; a source may send anything */
	g_autofree char *valid = utf8_valid_dup(s);
	g_autofree char *e = g_markup_escape_text(valid, -1);

	g_string_append(out, e);
}

/* A label as a tooltip or attribute shows it: the text report's column
   padding ("size_limit             reject") squeezed to one space */
static void
label(GString *out, const char *s)
{
	g_autofree char *squeezed = g_strdup(s);
	char *w = squeezed;

	for (const char *p = s; *p != '\0'; p++)
		if (*p != ' ' || (w > squeezed && w[-1] != ' '))
			*w++ = *p;
	while (w > squeezed && w[-1] == ' ')
		w--;
	*w = '\0';
	text(out, squeezed);
}

/* "1.2k" for people, the exact count for the tests and tooltips */
static void
count_cell(GString *out, uint64_t n)
{
	char h[32];

	report_human_count(n, h, sizeof h);
	g_string_append_printf(out, "<td class=\"count\" data-count=\"%" G_GUINT64_FORMAT
			       "\">%s</td>", n, h);
}

/* One horizontal bar per row, scaled to the largest count. */
static void
bar_chart(GString *out, const char *title, const GArray *rows, bool warn)
{
	uint64_t max = 0;
	unsigned h = 20;

	for (guint i = 0; i < rows->len; i++)
		max = MAX(max, g_array_index(rows, row, i).count);
	g_string_append_printf(out, "<svg class=\"chart\" role=\"img\" width=\"%u\" height=\"%u\" "
			       "viewBox=\"0 0 %u %u\" xmlns=\"http://www.w3.org/2000/svg\">"
			       "<title>", 180 + BAR_WIDTH + 60, h * rows->len + 4,
			       180 + BAR_WIDTH + 60, h * rows->len + 4);
	text(out, title);
	g_string_append(out, "</title>");
	for (guint i = 0; i < rows->len; i++) {
		const row *rw = &g_array_index(rows, row, i);
		unsigned w = max > 0 ? (unsigned)((double)rw->count / (double)max * BAR_WIDTH + 0.5) : 0;
		unsigned y = i * h + 2;
		char hc[32];

		report_human_count(rw->count, hc, sizeof hc);
		g_string_append_printf(out, "<text x=\"0\" y=\"%u\">", y + 13);
		label(out, rw->label);
		g_string_append_printf(out, "</text><rect class=\"bar%s\" x=\"180\" y=\"%u\" "
				       "width=\"%u\" height=\"14\" data-count=\"%" G_GUINT64_FORMAT
				       "\" data-label=\"", warn ? " warn" : "", y, w, rw->count);
		label(out, rw->label);
		g_string_append(out, "\"><title>");
		label(out, rw->label);
		g_string_append_printf(out, ": %" G_GUINT64_FORMAT "</title></rect>"
				       "<text x=\"%u\" y=\"%u\">%s</text>", rw->count,
				       180 + w + 6, y + 13, hc);
	}
	g_string_append(out, "</svg>");
}

static void
rows_table(GString *out, const GArray *rows)
{
	g_string_append(out, "<table><thead><tr><th></th><th class=\"num\">count</th>"
			"<th class=\"num\">share</th></tr></thead><tbody>");
	for (guint i = 0; i < rows->len; i++) {
		const row *rw = &g_array_index(rows, row, i);

		g_string_append(out, "<tr><td>");
		label(out, rw->label);
		g_string_append(out, "</td>");
		count_cell(out, rw->count);
		if (rw->percent >= 0)
			g_string_append_printf(out, "<td class=\"share\">%.1f%%</td>", rw->percent);
		else
			g_string_append(out, "<td class=\"share\"></td>");
		g_string_append(out, "</tr>");
	}
	g_string_append(out, "</tbody></table>");
}

/*
 * One row per MTA address: its sessions, HELO sessions (and their share
 * of its sessions), transactions and violations, each a column of its
 * own rather than bars on one scale.
 */
static void
html_mtas(GString *out, const report *r)
{
	stats_mta_entry e[STATS_MTA_MAX];
	unsigned n = stats_mta_snapshot((stats_mtas *)&r->counters.mtas, e);

	g_string_append(out, "<section id=\"mtas\"><h2>By MTA address</h2><table><thead><tr>"
			"<th>MTA address</th><th class=\"num\">sessions</th>"
			"<th class=\"num\">HELO sessions</th><th class=\"num\">share of its sessions</th>"
			"<th class=\"num\">transactions</th><th class=\"num\">violations</th>"
			"</tr></thead><tbody>");
	for (unsigned i = 0; i < n; i++) {
		g_string_append(out, "<tr><td>");
		text(out, e[i].name);
		g_string_append(out, "</td>");
		count_cell(out, e[i].connections);
		count_cell(out, e[i].greetings[GREETING_HELO]);
		g_string_append_printf(out, "<td class=\"share\">%.1f%%</td>",
				       report_share(e[i].greetings[GREETING_HELO], e[i].connections));
		count_cell(out, e[i].transactions);
		count_cell(out, e[i].violations);
		g_string_append(out, "</tr>");
	}
	g_string_append(out, "</tbody></table></section>");
}

static void
html_section(GString *out, const report *r, const section *s)
{
	uint64_t total = 0;

	if (strcmp(s->key, "mtas") == 0) {
		html_mtas(out, r);
		return;
	}
	for (guint i = 0; i < s->rows->len; i++)
		total += g_array_index(s->rows, row, i).count;
	g_string_append_printf(out, "<section id=\"%s\"><h2>", s->key);
	text(out, s->title);
	g_string_append(out, "</h2>");
	if (total == 0) {
		g_string_append(out, "<p class=\"empty\">Nothing counted here yet.</p></section>");
		return;
	}
	g_string_append(out, "<div class=\"section\">");
	bar_chart(out, s->title, s->rows, strcmp(s->key, "violations") == 0);
	rows_table(out, s->rows);
	g_string_append(out, "</div></section>");
}

static void
html_top(GString *out, const report *r, const char *id, const char *title,
	 const stats_top_entry *e, unsigned n)
{
	g_string_append_printf(out, "<section id=\"%s\"><h2>%s</h2>", id, title);
	if (n == 0) {
		g_string_append(out, "<p class=\"empty\">No client counted yet.</p></section>");
		return;
	}
	g_string_append(out, "<table><thead><tr><th>client</th><th class=\"num\">count</th>"
			"<th>name it greeted with</th><th>greetings</th><th>violations by rule</th>"
			"</tr></thead><tbody>");
	for (unsigned i = 0; i < n; i++) {
		const stats_profile *p = report_profile_of(r, &e[i]);
		char others[512];

		g_string_append(out, "<tr><td>");
		text(out, e[i].address);
		g_string_append(out, "</td>");
		count_cell(out, e[i].count);
		g_string_append(out, "<td>");
		text(out, e[i].helo);
		g_string_append(out, "</td><td>");
		for (unsigned g = 0; g < GREETING_COUNT; g++)
			if (p->greetings & STATS_GREETING_BIT(g))
				g_string_append_printf(out, "%s ", greeting_name((greeting_type)g));
		report_other_rules(p, RULE_COUNT, others, sizeof others);
		g_string_append(out, "</td><td>");
		text(out, others);
		g_string_append(out, "</td></tr>");
	}
	g_string_append(out, "</tbody></table></section>");
}

static void
html_readiness(GString *out, const report *r)
{
	readiness_row rows[RULE_COUNT];
	unsigned n = report_readiness(r, rows);

	g_string_append(out, "<section id=\"readiness\"><h2>What reject would have refused "
			"(rules at log, or under dry_run)</h2>");
	if (n == 0) {
		g_string_append(out, "<p class=\"empty\">No rule that only logs has fired: "
				"switching one to reject would have refused nothing.</p></section>");
		return;
	}
	g_string_append(out, "<table><thead><tr><th>rule</th><th class=\"num\">transactions</th>");
	/* the clients are counted since start only, never in a window */
	if (!r->window.on)
		g_string_append(out, "<th class=\"num\">clients (about)</th><th>clients with most</th>");
	g_string_append(out, "</tr></thead><tbody>");
	for (unsigned i = 0; i < n; i++) {
		g_string_append_printf(out, "<tr data-rule=\"%s\"><td>%s</td>",
				       rule_token(rows[i].rule), rule_token(rows[i].rule));
		count_cell(out, rows[i].transactions);
		if (r->window.on) {
			g_string_append(out, "</tr>");
			continue;
		}
		count_cell(out, rows[i].clients);
		g_string_append(out, "<td><ul>");
		for (unsigned k = 0; k < rows[i].ntop; k++) {
			const stats_profile *p = report_profile_of(r, rows[i].top[k]);
			char others[512];

			report_other_rules(p, rows[i].rule, others, sizeof others);
			g_string_append(out, "<li>");
			text(out, rows[i].top[k]->address);
			g_string_append_printf(out, ": %u", p->would_refuse[rows[i].rule]);
			if (others[0] != '\0') {
				g_string_append(out, "; also broke ");
				text(out, others);
			}
			g_string_append(out, "</li>");
		}
		g_string_append(out, "</ul></td></tr>");
	}
	g_string_append(out, "</tbody></table></section>");
}

static void
html_instances(GString *out, JsonNode *const *docs, const char *const *names,
	       size_t ndocs)
{
	g_string_append(out, "<section id=\"instances\"><h2>Instances</h2><table><thead><tr>"
			"<th>source</th><th class=\"num\">sessions</th>"
			"<th class=\"num\">transactions</th><th class=\"num\">rejected</th></tr>"
			"</thead><tbody>");
	for (size_t i = 0; i < ndocs; i++) {
		report one = {0};

		if (!report_build(&docs[i], 1, &one, NULL))
			continue;
		g_string_append(out, "<tr><td>");
		text(out, names[i]);
		g_string_append(out, "</td>");
		count_cell(out, one.connections);
		count_cell(out, one.transactions);
		count_cell(out, stats_get(&one.counters.verdicts[VERDICT_REJECT]));
		g_string_append(out, "</tr>");
		report_free(&one);
	}
	g_string_append(out, "</tbody></table></section>");
}

/*
 * One column per hour or day, oldest first, scaled to the largest; each
 * with its count and the bucket's start in data-count and data-at.
 */
static void
column_chart(GString *out, const char *caption, const uint64_t *v, unsigned n,
	     int64_t last, int64_t width)
{
	unsigned bar = n > 60 ? 4 : 6, height = 60;
	uint64_t max = 1;

	for (unsigned i = 0; i < n; i++)
		max = MAX(max, v[i]);
	char top[32];

	report_human_count(max, top, sizeof top);
	g_string_append_printf(out, "<figure><svg class=\"columns\" role=\"img\" width=\"%u\" "
			       "height=\"%u\" viewBox=\"0 0 %u %u\" xmlns=\"http://www.w3.org/2000/svg\">"
			       "<title>", n * bar, height + 2, n * bar, height + 2);
	text(out, caption);
	/* the frame, and the count the tallest column stands for */
	g_string_append_printf(out, "</title><rect class=\"bg\" x=\"0\" y=\"0\" width=\"%u\" "
			       "height=\"%u\"/><text x=\"2\" y=\"10\">%s</text>",
			       n * bar, height + 2, top);
	for (unsigned i = 0; i < n; i++) {
		unsigned h = (unsigned)((double)v[i] / (double)max * height + 0.5);
		g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc(
			last - (int64_t)(n - 1 - i) * width);
		g_autofree char *iso = g_date_time_format(at, width == 86400 ? "%Y-%m-%d"
							  : "%Y-%m-%dT%H:00Z");

		g_string_append_printf(out, "<rect class=\"col\" x=\"%u\" y=\"%u\" width=\"%u\" "
				       "height=\"%u\" data-count=\"%" G_GUINT64_FORMAT "\" "
				       "data-at=\"%s\"><title>%s: %" G_GUINT64_FORMAT "</title></rect>",
				       i * bar, height + 1 - h, bar - 1, h, v[i], iso, iso, v[i]);
	}
	g_string_append(out, "</svg><figcaption>");
	text(out, caption);
	g_string_append(out, "</figcaption></figure>");
}

/* The last 24 hours and 7 days beside since start, and the charts. */
static void
html_recent(GString *out, report *r)
{
	static const char *const what[SERIES_COUNT] = {
		"transactions", "violations", "SIZE lies (size_overrun fired)"};
	const report_recent *rc = &r->recent;
	int64_t hour = rc->now - rc->now % 3600, day = rc->now - rc->now % 86400;

	if (!rc->present)
		return;
	g_string_append(out, "<section id=\"recent\"><h2>Recent (24 hours: this hour and the "
			"23 before; 7 days: today and the 6 before, UTC)</h2><div class=\"section\">"
			"<table><thead><tr><th></th><th class=\"num\">24 hours</th>"
			"<th class=\"num\">7 days</th><th class=\"num\">since start</th></tr>"
			"</thead><tbody>");
	for (unsigned f = 0; f < RECENT_COUNT; f++) {
		g_string_append_printf(out, "<tr data-figure=\"%u\"><td>", f);
		text(out, report_recent_names[f]);
		g_string_append(out, "</td>");
		count_cell(out, rc->day[f]);
		count_cell(out, rc->week[f]);
		count_cell(out, report_recent_figure(&r->counters, (recent_figure)f));
		g_string_append(out, "</tr>");
	}
	g_string_append(out, "</tbody></table></div><div class=\"section\" id=\"by-hour\">");
	for (unsigned s = 0; s < SERIES_COUNT; s++) {
		g_autofree char *c = g_strdup_printf("%s per hour, last %d hours", what[s],
						     REPORT_HOURS);

		column_chart(out, c, rc->hours[s], REPORT_HOURS, hour, 3600);
	}
	g_string_append(out, "</div><div class=\"section\" id=\"by-day\">");
	for (unsigned s = 0; s < SERIES_COUNT; s++) {
		g_autofree char *c = g_strdup_printf("%s per day, last %d days", what[s],
						     REPORT_DAYS);

		column_chart(out, c, rc->days[s], REPORT_DAYS, day, 86400);
	}
	g_string_append(out, "</div></section>");
}

/* Whose figures these are and when they were taken. */
static void
html_origin(GString *out, const report *r, bool served)
{
	g_autoptr(GDateTime) at = r->time > 0 ? g_date_time_new_from_unix_utc(r->time) : NULL;
	g_autofree char *when = at != NULL ? g_date_time_format(at, "%Y-%m-%d %H:%M:%S UTC") : NULL;
	g_autofree char *iso = at != NULL ? g_date_time_format(at, "%Y-%m-%dT%H:%M:%SZ") : NULL;

	g_string_append(out, served ? "esmtp-milter " ESMTP_MILTER_VERSION " on "
				    : "esmtp-milter-stats " ESMTP_MILTER_VERSION " on ");
	text(out, g_get_host_name());
	if (when != NULL)
		g_string_append_printf(out, ", snapshot of <time datetime=\"%s\">%s</time>",
				       iso, when);
	g_string_append(out, ". ");
}

bool
report_html_many(JsonNode *const *docs, const char *const *names, size_t ndocs,
		 bool served, GString *out, GError **error)
{
	report r = {0};
	report_headline hl;

	if (!report_build(docs, ndocs, &r, error))
		return false;
	report_headlines(&r, &hl);
	g_string_append_printf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			       "<meta name=\"viewport\" content=\"width=device-width\">"
			       "<link rel=\"icon\" href=\"data:,\">"
			       "<title>esmtp-milter statistics</title><style>%s</style></head><body>"
			       "<header><h1>esmtp-milter statistics</h1>", style);
	if (served)
		g_string_append(out, "<nav><a href=\"/metrics\">/metrics</a>"
				"<a href=\"/stats.json\">/stats.json</a></nav>");
	g_string_append(out, "<p class=\"meta\">");
	html_origin(out, &r, served);
	if (ndocs > 1)
		g_string_append_printf(out, "%zu instances merged. ", ndocs);
	if (r.window.on) {
		g_autofree char *span = report_window_text(&r.window);

		g_string_append(out, "The figures ");
		text(out, span);
		g_string_append(out, ".");
		for (size_t i = 0; i < ndocs; i++) {
			g_autofree char *note = report_window_note(docs[i]);

			if (note == NULL)
				continue;
			g_string_append(out, " <span class=\"note\">");
			text(out, names[i]);
			g_string_append(out, ": ");
			text(out, note);
			g_string_append(out, ".</span>");
		}
	} else if (r.start_time > 0 && r.time >= r.start_time) {
		int64_t up = r.time - r.start_time;

		g_string_append_printf(out, "Counting for %" G_GINT64_FORMAT " d %" G_GINT64_FORMAT
				       " h %" G_GINT64_FORMAT " min.", up / 86400,
				       up / 3600 % 24, up / 60 % 60);
	}
	g_string_append_printf(out, "</p><dl class=\"totals\"><dt>sessions</dt><dd data-count=\"%"
			       G_GUINT64_FORMAT "\">%s</dd><dt>transactions</dt>"
			       "<dd data-count=\"%" G_GUINT64_FORMAT "\">%s</dd><dt>messages</dt>"
			       "<dd data-count=\"%" G_GUINT64_FORMAT "\">%s</dd>"
			       "<dt>message octets</dt><dd data-count=\"%" G_GUINT64_FORMAT "\">%s</dd>"
			       "</dl></header><main>", r.connections, hl.sessions, r.transactions,
			       hl.transactions, r.messages, hl.messages, r.octets, hl.octets);
	html_recent(out, &r);
	if (ndocs > 1)
		html_instances(out, docs, names, ndocs);
	for (guint i = 0; i < r.sections->len; i++)
		html_section(out, &r, g_ptr_array_index(r.sections, i));
	html_readiness(out, &r);
	/* the clients are counted since start only, never in a window */
	if (!r.window.on) {
		html_top(out, &r, "top-transactions", "Top clients by transactions",
			 r.top_transactions, r.n_top_transactions);
		html_top(out, &r, "top-violations", "Top clients by violations (their profiles)",
			 r.top_violations, r.n_top_violations);
	}
	g_string_append(out, "</main></body></html>\n");
	report_free(&r);
	return true;
}
