/*
 * Prometheus text (exposition format 0.0.4) and JSON for the counters.
 * json-glib writes and reads the JSON; the Prometheus text is plain lines
 * whose label values come from fixed tables and are escaped all the same.
 */
#include "stats_export.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const cmd_labels[CMD_COUNT] = {"mail", "rcpt"};
static const char *const declared_labels[2] = {"no", "yes"};
static const char *const unknown_labels[UNKNOWN_CMD_COUNT] = {
	"private", "unregistered"};
static const char *const reload_labels[2] = {"failure", "success"};

static const char *
violation_action_label(unsigned a)
{
	return a == STATS_ACTION_EXEMPT ? "exempt" : action_name((rule_action)a);
}

/* ---- Prometheus ------------------------------------------------------- */

static void
escape_label(GString *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			g_string_append_c(out, '\\');
		if (*v == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *v);
	}
}

static void
head(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP esmtp_milter_%s %s\n"
			       "# TYPE esmtp_milter_%s %s\n",
			       name, help, name, type);
}

/* One sample; labels are name, value pairs ending with NULL. */
static void G_GNUC_NULL_TERMINATED
sample(GString *out, const char *name, uint64_t value, ...)
{
	const char *k;
	va_list ap;
	bool first = true;

	g_string_append_printf(out, "esmtp_milter_%s", name);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		g_string_append(out, first ? "{" : ",");
		g_string_append_printf(out, "%s=\"", k);
		escape_label(out, v);
		g_string_append_c(out, '"');
		first = false;
	}
	va_end(ap);
	g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n",
			       first ? "" : "}", value);
}

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
			escape_label(out, value);
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
		escape_label(out, value);
		g_string_append_printf(out, "\"} %s\n", sum);
		g_string_append_printf(out, "esmtp_milter_%s_count{%s=\"", name,
				       label);
		escape_label(out, value);
		g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n",
				       stats_get(&h->count));
	} else {
		g_string_append_printf(out, "esmtp_milter_%s_sum %s\n", name, sum);
		g_string_append_printf(out, "esmtp_milter_%s_count %" G_GUINT64_FORMAT "\n",
				       name, stats_get(&h->count));
	}
}

char *
stats_prometheus_text(stats *s)
{
	GString *o = g_string_sized_new(16384);

	head(o, "start_time_seconds", "gauge",
	     "When the daemon started, in seconds since the epoch.");
	sample(o, "start_time_seconds", (uint64_t)s->start_time, NULL);
	head(o, "connections_total", "counter",
	     "SMTP sessions the MTA passed to the filter.");
	sample(o, "connections_total", stats_get(&s->connections), NULL);
	head(o, "active_connections", "gauge", "SMTP sessions open now.");
	g_string_append_printf(o, "esmtp_milter_active_connections %" G_GINT64_FORMAT "\n",
			       (gint64)atomic_load(&s->active_connections));
	head(o, "greetings_total", "counter",
	     "Sessions by greeting: ehlo, helo, or unknown when the MTA gives no sign.");
	for (unsigned g = 0; g < GREETING_COUNT; g++)
		sample(o, "greetings_total", stats_get(&s->greetings[g]), "greeting",
		       greeting_name(g), NULL);
	head(o, "transactions_total", "counter", "MAIL transactions.");
	sample(o, "transactions_total", stats_get(&s->transactions), NULL);
	head(o, "messages_total", "counter", "Messages that reached the end of data.");
	sample(o, "messages_total", stats_get(&s->messages), NULL);
	head(o, "message_octets_total", "counter",
	     "Octets of those messages (RFC 1870 size).");
	sample(o, "message_octets_total", stats_get(&s->octets), NULL);
	head(o, "parameters_total", "counter",
	     "ESMTP parameters seen, by command and keyword (registered keywords by name; private, unregistered and invalid in buckets).");
	for (unsigned c = 0; c < CMD_COUNT; c++)
		for (unsigned k = 0; k < STATS_PARAM_SLOTS; k++)
			if (*stats_param_name(k) != '\0')
				sample(o, "parameters_total", stats_get(&s->params[c][k]),
				       "command", cmd_labels[c], "keyword",
				       stats_param_name(k), NULL);
	head(o, "body_types_total", "counter", "MAIL transactions by BODY value.");
	for (unsigned b = 0; b < BODY_COUNT; b++)
		sample(o, "body_types_total", stats_get(&s->body_types[b]), "body",
		       body_type_name(b), NULL);
	head(o, "size_declared_total", "counter",
	     "MAIL transactions with and without a SIZE parameter.");
	for (unsigned d = 0; d < 2; d++)
		sample(o, "size_declared_total", stats_get(&s->size_declared[d]),
		       "declared", declared_labels[d], NULL);
	head(o, "size_ratio", "histogram",
	     "Actual message size divided by the declared SIZE.");
	histogram(o, "size_ratio", &s->size_ratio, NULL, NULL);
	head(o, "message_size_octets", "histogram", "Message sizes in octets.");
	histogram(o, "message_size_octets", &s->message_size, NULL, NULL);
	head(o, "violations_total", "counter",
	     "Rule violations by rule and the action taken (exempt: a trusted network or an authenticated session).");
	for (unsigned r = 0; r < RULE_COUNT; r++)
		for (unsigned a = 0; a <= ACTION_COUNT; a++)
			sample(o, "violations_total", stats_get(&s->violations[r][a]),
			       "rule", rule_token(r), "action",
			       violation_action_label(a), NULL);
	head(o, "verdicts_total", "counter", "Transactions by verdict.");
	for (unsigned v = 0; v < VERDICT_COUNT; v++)
		sample(o, "verdicts_total", stats_get(&s->verdicts[v]), "verdict",
		       verdict_name(v), NULL);
	head(o, "unknown_commands_total", "counter",
	     "Unknown SMTP commands the MTA passed on, by class.");
	for (unsigned u = 0; u < UNKNOWN_CMD_COUNT; u++)
		sample(o, "unknown_commands_total", stats_get(&s->unknown_commands[u]),
		       "class", unknown_labels[u], NULL);
	head(o, "config_reloads_total", "counter", "Config reloads by result.");
	for (unsigned r = 0; r < 2; r++)
		sample(o, "config_reloads_total", stats_get(&s->reloads[r]), "result",
		       reload_labels[r], NULL);
	head(o, "processing_seconds", "histogram",
	     "Time spent inside the daemon per milter stage.");
	for (unsigned st = 0; st < STATS_STAGE_COUNT; st++)
		histogram(o, "processing_seconds", &s->processing[st], "stage",
			  stats_stage_name(st));
	return g_string_free(o, FALSE);
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
member_uint(JsonBuilder *b, const char *name, uint64_t v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, (gint64)v);
}

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
			json_builder_add_string_value(b, "+Inf");
		member_uint(b, "count", stats_get(&h->buckets[i]));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	member_uint(b, "count", stats_get(&h->count));
	json_builder_set_member_name(b, "sum");
	json_builder_add_double_value(b, (double)stats_get(&h->sum_scaled) / h->scale);
	json_builder_end_object(b);
}

static void
json_top(JsonBuilder *b, const char *name, stats_top *t)
{
	stats_top_entry entries[STATS_TOP_K];
	unsigned n = stats_top_snapshot(t, entries);

	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (unsigned i = 0; i < n; i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "address");
		json_builder_add_string_value(b, entries[i].address);
		json_builder_set_member_name(b, "helo");
		json_builder_add_string_value(b, entries[i].helo);
		member_uint(b, "count", entries[i].count);
		member_uint(b, "error", entries[i].error);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

JsonNode *
stats_to_json(stats *s)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	member_uint(b, "version", STATS_JSON_VERSION);
	member_uint(b, "start_time", (uint64_t)s->start_time);
	member_uint(b, "time", (uint64_t)(g_get_real_time() / G_USEC_PER_SEC));
	member_uint(b, "connections", stats_get(&s->connections));
	json_builder_set_member_name(b, "active_connections");
	json_builder_add_int_value(b, (gint64)atomic_load(&s->active_connections));

	json_builder_set_member_name(b, "greetings");
	json_builder_begin_object(b);
	for (unsigned g = 0; g < GREETING_COUNT; g++)
		member_uint(b, greeting_name(g), stats_get(&s->greetings[g]));
	json_builder_end_object(b);

	member_uint(b, "transactions", stats_get(&s->transactions));
	member_uint(b, "messages", stats_get(&s->messages));
	member_uint(b, "octets", stats_get(&s->octets));

	json_builder_set_member_name(b, "parameters");
	json_builder_begin_object(b);
	for (unsigned c = 0; c < CMD_COUNT; c++) {
		json_builder_set_member_name(b, cmd_labels[c]);
		json_builder_begin_object(b);
		for (unsigned k = 0; k < STATS_PARAM_SLOTS; k++)
			if (*stats_param_name(k) != '\0')
				member_uint(b, stats_param_name(k),
					    stats_get(&s->params[c][k]));
		json_builder_end_object(b);
	}
	json_builder_end_object(b);

	json_builder_set_member_name(b, "body_types");
	json_builder_begin_object(b);
	for (unsigned t = 0; t < BODY_COUNT; t++)
		member_uint(b, body_type_name(t), stats_get(&s->body_types[t]));
	json_builder_end_object(b);

	json_builder_set_member_name(b, "size_declared");
	json_builder_begin_object(b);
	for (unsigned d = 0; d < 2; d++)
		member_uint(b, declared_labels[d], stats_get(&s->size_declared[d]));
	json_builder_end_object(b);

	json_histogram(b, "size_ratio", &s->size_ratio);
	json_histogram(b, "message_size", &s->message_size);

	json_builder_set_member_name(b, "violations");
	json_builder_begin_object(b);
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		json_builder_set_member_name(b, rule_token(r));
		json_builder_begin_object(b);
		for (unsigned a = 0; a <= ACTION_COUNT; a++)
			member_uint(b, violation_action_label(a),
				    stats_get(&s->violations[r][a]));
		json_builder_end_object(b);
	}
	json_builder_end_object(b);

	json_builder_set_member_name(b, "verdicts");
	json_builder_begin_object(b);
	for (unsigned v = 0; v < VERDICT_COUNT; v++)
		member_uint(b, verdict_name(v), stats_get(&s->verdicts[v]));
	json_builder_end_object(b);

	json_builder_set_member_name(b, "unknown_commands");
	json_builder_begin_object(b);
	for (unsigned u = 0; u < UNKNOWN_CMD_COUNT; u++)
		member_uint(b, unknown_labels[u], stats_get(&s->unknown_commands[u]));
	json_builder_end_object(b);

	json_builder_set_member_name(b, "config_reloads");
	json_builder_begin_object(b);
	for (unsigned r = 0; r < 2; r++)
		member_uint(b, reload_labels[r], stats_get(&s->reloads[r]));
	json_builder_end_object(b);

	json_builder_set_member_name(b, "processing_seconds");
	json_builder_begin_object(b);
	for (unsigned st = 0; st < STATS_STAGE_COUNT; st++)
		json_histogram(b, stats_stage_name(st), &s->processing[st]);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "top_clients");
	json_builder_begin_object(b);
	json_top(b, "by_transactions", &s->top_transactions);
	json_top(b, "by_violations", &s->top_violations);
	json_builder_end_object(b);

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

/* ---- reading the JSON back -------------------------------------------- */

typedef struct {
	GError **error;
	bool ok;
} reader;

static void
fail(reader *rd, const char *what)
{
	if (rd->ok)
		g_set_error(rd->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "bad or missing \"%s\"", what);
	rd->ok = false;
}

static JsonObject *
child_object(reader *rd, JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	if (n == NULL)
		return NULL;	/* an older file may lack it: keep zero */
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		fail(rd, name);
		return NULL;
	}
	return json_node_get_object(n);
}

static void
restore(reader *rd, JsonObject *o, const char *name, atomic_uint_fast64_t *c)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	if (n == NULL)
		return;
	if (!JSON_NODE_HOLDS_VALUE(n)
	    || json_node_get_value_type(n) != G_TYPE_INT64
	    || json_node_get_int(n) < 0) {
		fail(rd, name);
		return;
	}
	stats_add(c, (uint64_t)json_node_get_int(n));
}

static void
restore_histogram(reader *rd, JsonObject *o, const char *name,
		  stats_histogram *h)
{
	JsonObject *ho = child_object(rd, o, name);
	JsonNode *bn;
	JsonArray *buckets;
	JsonNode *sum;

	if (ho == NULL)
		return;
	bn = json_object_get_member(ho, "buckets");
	if (bn == NULL || !JSON_NODE_HOLDS_ARRAY(bn)) {
		fail(rd, name);
		return;
	}
	buckets = json_node_get_array(bn);
	/* bucket bounds changed between versions: keep only the totals */
	if (json_array_get_length(buckets) == h->nbounds + 1) {
		for (unsigned i = 0; i <= h->nbounds; i++) {
			JsonNode *e = json_array_get_element(buckets, i);

			if (!JSON_NODE_HOLDS_OBJECT(e)) {
				fail(rd, name);
				return;
			}
			restore(rd, json_node_get_object(e), "count",
				&h->buckets[i]);
		}
	}
	restore(rd, ho, "count", &h->count);
	sum = json_object_get_member(ho, "sum");
	if (sum != NULL && JSON_NODE_HOLDS_VALUE(sum)) {
		double v = json_node_get_double(sum);

		if (v >= 0 && isfinite(v))
			stats_add(&h->sum_scaled, (uint64_t)(v * h->scale));
	}
}

static void
restore_top(reader *rd, JsonObject *o, const char *name, stats_top *t)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
	JsonArray *a;

	if (n == NULL)
		return;
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		fail(rd, name);
		return;
	}
	a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a) && i < STATS_TOP_K; i++) {
		JsonNode *e = json_array_get_element(a, i);
		JsonObject *eo;
		const char *addr, *helo;

		if (!JSON_NODE_HOLDS_OBJECT(e)) {
			fail(rd, name);
			return;
		}
		eo = json_node_get_object(e);
		addr = json_object_get_string_member_with_default(eo, "address", NULL);
		helo = json_object_get_string_member_with_default(eo, "helo", "");
		if (addr == NULL || json_object_get_int_member_with_default(eo, "count", -1) < 0) {
			fail(rd, name);
			return;
		}
		stats_top_add(t, addr, helo,
			      (uint64_t)json_object_get_int_member(eo, "count"));
	}
}

bool
stats_from_json(stats *s, JsonNode *root, GError **error)
{
	reader rd = {error, true};
	JsonObject *o, *x;

	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "not a JSON object");
		return false;
	}
	o = json_node_get_object(root);
	if (json_object_get_int_member_with_default(o, "version", 0)
	    != STATS_JSON_VERSION) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "unknown version");
		return false;
	}
	restore(&rd, o, "connections", &s->connections);
	x = child_object(&rd, o, "greetings");
	for (unsigned g = 0; g < GREETING_COUNT; g++)
		restore(&rd, x, greeting_name(g), &s->greetings[g]);
	restore(&rd, o, "transactions", &s->transactions);
	restore(&rd, o, "messages", &s->messages);
	restore(&rd, o, "octets", &s->octets);
	x = child_object(&rd, o, "parameters");
	for (unsigned c = 0; c < CMD_COUNT; c++) {
		JsonObject *cx = child_object(&rd, x, cmd_labels[c]);

		for (unsigned k = 0; k < STATS_PARAM_SLOTS; k++)
			if (*stats_param_name(k) != '\0')
				restore(&rd, cx, stats_param_name(k),
					&s->params[c][k]);
	}
	x = child_object(&rd, o, "body_types");
	for (unsigned t = 0; t < BODY_COUNT; t++)
		restore(&rd, x, body_type_name(t), &s->body_types[t]);
	x = child_object(&rd, o, "size_declared");
	for (unsigned d = 0; d < 2; d++)
		restore(&rd, x, declared_labels[d], &s->size_declared[d]);
	restore_histogram(&rd, o, "size_ratio", &s->size_ratio);
	restore_histogram(&rd, o, "message_size", &s->message_size);
	x = child_object(&rd, o, "violations");
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		JsonObject *rx = child_object(&rd, x, rule_token(r));

		for (unsigned a = 0; a <= ACTION_COUNT; a++)
			restore(&rd, rx, violation_action_label(a),
				&s->violations[r][a]);
	}
	x = child_object(&rd, o, "verdicts");
	for (unsigned v = 0; v < VERDICT_COUNT; v++)
		restore(&rd, x, verdict_name(v), &s->verdicts[v]);
	x = child_object(&rd, o, "unknown_commands");
	for (unsigned u = 0; u < UNKNOWN_CMD_COUNT; u++)
		restore(&rd, x, unknown_labels[u], &s->unknown_commands[u]);
	x = child_object(&rd, o, "config_reloads");
	for (unsigned r = 0; r < 2; r++)
		restore(&rd, x, reload_labels[r], &s->reloads[r]);
	x = child_object(&rd, o, "processing_seconds");
	for (unsigned st = 0; st < STATS_STAGE_COUNT; st++)
		restore_histogram(&rd, x, stats_stage_name(st),
				  &s->processing[st]);
	x = child_object(&rd, o, "top_clients");
	restore_top(&rd, x, "by_transactions", &s->top_transactions);
	restore_top(&rd, x, "by_violations", &s->top_violations);
	return rd.ok;
}
