/*
 * Prometheus text (exposition format 0.0.4) and JSON for the counters.
 * json-glib writes and reads the JSON; the Prometheus text is plain lines
 * whose label values come from fixed tables and are escaped all the same.
 */
#include "stats_export.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stats_history.h"

/* ---- Prometheus ------------------------------------------------------- */

static void
bound_text(char *buf, size_t len, double bound)
{
	g_ascii_formatd(buf, (int)len, "%g", bound);
}

static void
histogram(GString *out, const char *name, stats_histogram *h,
	  const char *label, const char *value)
{
	uint64_t cumulative = 0;
	char le[32], sum[64];
	const char *lead = label != NULL ? "," : "";

	for (unsigned i = 0; i <= h->nbounds; i++) {
		cumulative += stats_get(&h->buckets[i]);
		if (i < h->nbounds)
			bound_text(le, sizeof le, h->bounds[i]);
		else
			g_strlcpy(le, "+Inf", sizeof le);
		g_string_append_printf(out, "esmtp_milter_%s_bucket{", name);
		if (label != NULL) {
			g_string_append_printf(out, "%s=\"", label);
			stats_prometheus_escape(out, value);
			g_string_append_c(out, '"');
		}
		g_string_append_printf(out, "%sle=\"%s\"} %" G_GUINT64_FORMAT "\n",
				       lead, le, cumulative);
	}
	g_ascii_formatd(sum, sizeof sum, "%.9g",
			(double)stats_get(&h->sum_scaled) / h->scale);
	if (label != NULL) {
		g_string_append_printf(out, "esmtp_milter_%s_sum{%s=\"", name,
				       label);
		stats_prometheus_escape(out, value);
		g_string_append_printf(out, "\"} %s\n", sum);
		g_string_append_printf(out, "esmtp_milter_%s_count{%s=\"", name,
				       label);
		stats_prometheus_escape(out, value);
		g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n",
				       stats_get(&h->count));
	} else {
		g_string_append_printf(out, "esmtp_milter_%s_sum %s\n", name, sum);
		g_string_append_printf(out, "esmtp_milter_%s_count %" G_GUINT64_FORMAT "\n",
				       name, stats_get(&h->count));
	}
}

typedef struct {
	GString *out;
	stats *stats;
} prom_ctx;

static bool
prom_family(void *ctx, const stats_family *f)
{
	prom_ctx *p = ctx;

	stats_prometheus_head(p->out, f->metric, f->kind == STATS_COUNTER ? "counter"
			      : f->kind == STATS_GAUGE ? "gauge" : "histogram",
			      f->help);
	if (f->kind != STATS_GAUGE)
		return true;
	g_string_append_printf(p->out, "esmtp_milter_%s %" G_GINT64_FORMAT "\n",
			       f->metric,
			       (gint64)atomic_load(&p->stats->active_connections));
	return false;
}

static void
prom_histogram(void *ctx, const stats_family *f, unsigned i, stats_histogram *h)
{
	const stats_dim *d0 = f->dims[0];

	histogram(((prom_ctx *)ctx)->out, f->metric, h,
		  d0 != NULL ? d0->name : NULL, d0 != NULL ? d0->value(i) : NULL);
}

static void
prom_counter(void *ctx, const stats_family *f, unsigned i, unsigned j,
	     atomic_uint_fast64_t *c)
{
	GString *o = ((prom_ctx *)ctx)->out;
	const stats_dim *d0 = f->dims[0], *d1 = f->dims[1];
	uint64_t v = stats_get(c);

	if (d0 == NULL)
		stats_prometheus_sample(o, f->metric, v, NULL);
	else if (d1 == NULL)
		stats_prometheus_sample(o, f->metric, v, d0->name, d0->value(i),
					NULL);
	else
		stats_prometheus_sample(o, f->metric, v, d0->name, d0->value(i),
					d1->name, d1->value(j), NULL);
}

char *
stats_prometheus_text(stats *s)
{
	static const stats_visitor v = {.family = prom_family,
					.histogram = prom_histogram,
					.counter = prom_counter};
	prom_ctx p = {g_string_sized_new(16384), s};

	stats_prometheus_head(p.out, "start_time_seconds", "gauge",
			      "When the daemon started, in seconds since the epoch.");
	stats_prometheus_sample(p.out, "start_time_seconds",
				(uint64_t)s->start_time, NULL);
	stats_walk(s, &v, &p);
	stats_mta_prometheus(p.out, s);
	return g_string_free(p.out, FALSE);
}

/* ---- the summary line ------------------------------------------------- */

void
summary_read(stats *s, summary_totals *t)
{
	t->connections = stats_get(&s->connections);
	t->transactions = stats_get(&s->transactions);
	t->messages = stats_get(&s->messages);
	t->rejected = stats_get(&s->verdicts[VERDICT_REJECT]);
	t->tempfailed = stats_get(&s->verdicts[VERDICT_TEMPFAIL]);
	t->violations = 0;
	for (unsigned r = 0; r < RULE_COUNT; r++)
		for (unsigned a = 0; a <= ACTION_COUNT; a++)
			t->violations += stats_get(&s->violations[r][a]);
}

void
summary_format(const summary_totals *now, const summary_totals *prev,
	       unsigned interval, char *buf, size_t len)
{
	snprintf(buf, len,
		 "summary interval=%us connections=%" G_GUINT64_FORMAT
		 " transactions=%" G_GUINT64_FORMAT " messages=%" G_GUINT64_FORMAT
		 " rejected=%" G_GUINT64_FORMAT " tempfailed=%" G_GUINT64_FORMAT
		 " violations=%" G_GUINT64_FORMAT " total_transactions=%" G_GUINT64_FORMAT
		 " total_violations=%" G_GUINT64_FORMAT,
		 interval, now->connections - prev->connections,
		 now->transactions - prev->transactions,
		 now->messages - prev->messages, now->rejected - prev->rejected,
		 now->tempfailed - prev->tempfailed,
		 now->violations - prev->violations, now->transactions,
		 now->violations);
}

/* ---- JSON -------------------------------------------------------------- */


static void
json_histogram(JsonBuilder *b, const char *name, stats_histogram *h)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "buckets");
	json_builder_begin_array(b);
	for (unsigned i = 0; i <= h->nbounds; i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "le");
		if (i < h->nbounds)
			json_builder_add_double_value(b, h->bounds[i]);
		else
			stats_json_string(b, NULL, "+Inf");
		stats_json_uint(b, "count", stats_get(&h->buckets[i]));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	stats_json_uint(b, "count", stats_get(&h->count));
	json_builder_set_member_name(b, "sum");
	json_builder_add_double_value(b, (double)stats_get(&h->sum_scaled) / h->scale);
	json_builder_end_object(b);
}


void
stats_json_top_entries(JsonBuilder *b, const char *name,
		       const stats_top_entry *e, unsigned n, bool with_error)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (unsigned i = 0; i < n; i++) {
		json_builder_begin_object(b);
		stats_json_string(b, "address", e[i].address);
		stats_json_string(b, "helo", e[i].helo);
		stats_json_uint(b, "count", e[i].count);
		if (with_error)
			stats_json_uint(b, "error", e[i].error);
		stats_json_profile(b, &e[i].profile);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
json_top(JsonBuilder *b, const char *name, stats_top *t)
{
	stats_top_entry entries[STATS_TOP_K];

	stats_json_top_entries(b, name, entries, stats_top_snapshot(t, entries),
			       true);
}

typedef struct {
	JsonBuilder *b;
	stats *stats;
} json_ctx;

static bool
json_family(void *ctx, const stats_family *f)
{
	json_ctx *j = ctx;

	if (f->kind == STATS_GAUGE) {
		json_builder_set_member_name(j->b, f->json);
		json_builder_add_int_value(j->b,
			(gint64)atomic_load(&j->stats->active_connections));
		return false;
	}
	if (f->dims[0] != NULL) {
		json_builder_set_member_name(j->b, f->json);
		json_builder_begin_object(j->b);
	}
	return true;
}

static void
json_group(void *ctx, const stats_family *f, unsigned i)
{
	json_builder_set_member_name(((json_ctx *)ctx)->b, f->dims[0]->value(i));
	json_builder_begin_object(((json_ctx *)ctx)->b);
}

static void
json_end(void *ctx, const stats_family *f, unsigned i)
{
	(void)f;
	(void)i;
	json_builder_end_object(((json_ctx *)ctx)->b);
}

static void
json_family_end(void *ctx, const stats_family *f)
{
	if (f->dims[0] != NULL)
		json_builder_end_object(((json_ctx *)ctx)->b);
}

static void
json_counter(void *ctx, const stats_family *f, unsigned i, unsigned j,
	     atomic_uint_fast64_t *c)
{
	stats_json_uint(((json_ctx *)ctx)->b, stats_leaf_name(f, i, j, false),
			stats_get(c));
}

static void
json_hist(void *ctx, const stats_family *f, unsigned i, stats_histogram *h)
{
	json_histogram(((json_ctx *)ctx)->b, stats_leaf_name(f, i, 0, true), h);
}

/* Each rule's sketch of distinct clients, as hex, where it saw any. */
static void
json_distinct(JsonBuilder *b, stats *s)
{
	json_builder_set_member_name(b, "would_refuse_clients");
	json_builder_begin_object(b);
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		char hex[2 * STATS_DISTINCT_REGISTERS + 1];
		bool any = false;

		for (unsigned i = 0; i < STATS_DISTINCT_REGISTERS; i++) {
			uint8_t v = atomic_load(&s->would_refuse_clients[r].reg[i]);

			snprintf(hex + 2 * i, 3, "%02x", v);
			any = any || v != 0;
		}
		if (any) {
			stats_json_string(b, rule_token((rule_id)r), hex);
		}
	}
	json_builder_end_object(b);
}

JsonNode *
stats_to_json(stats *s)
{
	static const stats_visitor v = {
		.family = json_family, .group = json_group,
		.counter = json_counter, .histogram = json_hist,
		.group_end = json_end, .family_end = json_family_end};
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_ctx j = {b, s};
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	/* the history up to this moment, counted before the totals are
	   written, so that both say the same */
	if (s->history)
		stats_history_sample(s->history, s, now);
	json_builder_begin_object(b);
	stats_json_uint(b, "version", STATS_JSON_VERSION);
	stats_json_uint(b, "start_time", (uint64_t)s->start_time);
	stats_json_uint(b, "time", (uint64_t)now);
	stats_walk(s, &v, &j);

	json_builder_set_member_name(b, "top_clients");
	json_builder_begin_object(b);
	json_top(b, "by_transactions", &s->top_transactions);
	json_top(b, "by_violations", &s->top_violations);
	json_builder_end_object(b);
	stats_mta_json(b, s);
	json_distinct(b, s);
	if (s->history)
		stats_history_json(s->history, b);

	json_builder_end_object(b);
	return json_builder_get_root(b);
}

char *
stats_json_text(stats *s, bool pretty)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = stats_to_json(s);

	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, pretty);
	return json_generator_to_data(gen, NULL);
}
