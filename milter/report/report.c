/*
 * The report: greetings, transactions, parameters with their share of
 * transactions, SIZE honesty, violations by rule and action, top clients.
 * Aligned columns and human units.
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

/*
 * n scaled by base until it is below base, with one decimal: units[0] is
 * the unscaled unit, sep goes between number and unit.
 */
static void
human(uint64_t n, unsigned base, const char *const units[6], const char *sep,
      char *buf, size_t len)
{
	double v = (double)n;
	unsigned u = 0;

	if (n < base) {
		snprintf(buf, len, "%" G_GUINT64_FORMAT "%s%s", n,
			 units[0][0] != '\0' ? sep : "", units[0]);
		return;
	}
	/* 999.95 would print as 1000.0: move up a unit first */
	while (v >= base - 0.05 && u + 1 < 6) {
		v /= base;
		u++;
	}
	snprintf(buf, len, "%.1f%s%s", v, sep, units[u]);
}

void
report_human_count(uint64_t n, char *buf, size_t len)
{
	static const char *const units[6] = {"", "k", "M", "G", "T", "P"};

	human(n, 1000, units, "", buf, len);
}

void
report_human_octets(uint64_t n, char *buf, size_t len)
{
	static const char *const units[6] = {"B", "KiB", "MiB", "GiB", "TiB",
					     "PiB"};

	human(n, 1024, units, " ", buf, len);
}

static uint64_t
uint_member(JsonObject *o, const char *name)
{
	gint64 v;

	if (o == NULL || !json_object_has_member(o, name))
		return 0;
	v = json_object_get_int_member_with_default(o, name, 0);
	return v > 0 ? (uint64_t)v : 0;
}

static JsonObject *
obj_member(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n)
						      : NULL;
}

static JsonArray *
array_member(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;

	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n)
						     : NULL;
}

static double
share(uint64_t part, uint64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* One figure of the report, shared by the text and the JSON forms. */
typedef struct {
	char label[96];
	uint64_t count;
	double percent;		/* < 0: no share column */
} row;

static void
add_row(GArray *rows, const char *label, uint64_t count, double percent)
{
	row r;

	g_strlcpy(r.label, label, sizeof r.label);
	r.count = count;
	r.percent = percent;
	g_array_append_val(rows, r);
}

/* One row per member of o, labelled "prefix name" (or "name"). */
static void
add_members(GArray *rows, JsonObject *o, const char *prefix, bool skip_zero,
	    uint64_t whole)
{
	g_autoptr(GList) names = o != NULL ? json_object_get_members(o) : NULL;

	for (GList *l = names; l != NULL; l = l->next) {
		uint64_t n = uint_member(o, l->data);
		char label[96];

		if (n == 0 && skip_zero)
			continue;
		if (prefix != NULL)
			snprintf(label, sizeof label, "%s %s", prefix,
				 (char *)l->data);
		else
			g_strlcpy(label, l->data, sizeof label);
		add_row(rows, label, n, share(n, whole));
	}
}

typedef struct {
	const char *title;
	const char *key;
	GArray *rows;
} section;

typedef struct {
	uint64_t transactions, connections, messages, octets;
	int64_t start_time, time;
	GPtrArray *sections;	/* section */
	JsonArray *top_transactions, *top_violations;
} report;

static void
section_free(gpointer p)
{
	section *s = p;

	g_array_unref(s->rows);
	g_free(s);
}

static section *
new_section(report *r, const char *title, const char *key)
{
	section *s = g_new0(section, 1);

	s->title = title;
	s->key = key;
	s->rows = g_array_new(FALSE, FALSE, sizeof(row));
	g_ptr_array_add(r->sections, s);
	return s;
}

static const char *
ratio_label(JsonNode *le, double prev, char *buf, size_t len)
{
	if (JSON_NODE_HOLDS_VALUE(le)
	    && json_node_get_value_type(le) == G_TYPE_STRING)
		snprintf(buf, len, "over %g", prev);
	else if (prev < 0)
		snprintf(buf, len, "up to %g", json_node_get_double(le));
	else
		snprintf(buf, len, "%g to %g", prev, json_node_get_double(le));
	return buf;
}

static bool
build(JsonNode *root, report *r, GError **error)
{
	JsonObject *o, *x;
	section *s;
	uint64_t total;

	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)
	    || !json_object_has_member(json_node_get_object(root), "transactions")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "not esmtp-milter statistics");
		return false;
	}
	o = json_node_get_object(root);
	r->transactions = uint_member(o, "transactions");
	r->connections = uint_member(o, "connections");
	r->messages = uint_member(o, "messages");
	r->octets = uint_member(o, "octets");
	r->start_time = (int64_t)uint_member(o, "start_time");
	r->time = (int64_t)uint_member(o, "time");
	r->sections = g_ptr_array_new_with_free_func(section_free);

	s = new_section(r, "Greetings (share of sessions)", "greetings");
	x = obj_member(o, "greetings");
	total = uint_member(x, "ehlo") + uint_member(x, "helo")
		+ uint_member(x, "unknown");
	add_row(s->rows, "EHLO", uint_member(x, "ehlo"),
		share(uint_member(x, "ehlo"), total));
	add_row(s->rows, "HELO", uint_member(x, "helo"),
		share(uint_member(x, "helo"), total));
	add_row(s->rows, "unknown (MTA gives no sign)", uint_member(x, "unknown"),
		share(uint_member(x, "unknown"), total));

	s = new_section(r, "Parameters (share of transactions)", "parameters");
	x = obj_member(o, "parameters");
	add_members(s->rows, obj_member(x, "mail"), "MAIL", true, r->transactions);
	add_members(s->rows, obj_member(x, "rcpt"), "RCPT", true, r->transactions);

	s = new_section(r, "BODY (share of transactions)", "body_types");
	add_members(s->rows, obj_member(o, "body_types"), NULL, false,
		    r->transactions);

	s = new_section(r, "SIZE honesty (actual / declared size)", "size_honesty");
	x = obj_member(o, "size_declared");
	add_row(s->rows, "transactions declaring SIZE", uint_member(x, "yes"),
		share(uint_member(x, "yes"), r->transactions));
	x = obj_member(o, "size_ratio");
	{
		JsonArray *b = array_member(x, "buckets");
		uint64_t n = uint_member(x, "count");
		double prev = -1;

		for (guint i = 0; b != NULL && i < json_array_get_length(b); i++) {
			JsonObject *e = json_array_get_object_element(b, i);
			JsonNode *le = e != NULL ? json_object_get_member(e, "le") : NULL;
			char label[64];

			if (le == NULL)
				continue;
			ratio_label(le, prev, label, sizeof label);
			add_row(s->rows, label, uint_member(e, "count"),
				share(uint_member(e, "count"), n));
			if (JSON_NODE_HOLDS_VALUE(le)
			    && json_node_get_value_type(le) != G_TYPE_STRING)
				prev = json_node_get_double(le);
		}
	}

	s = new_section(r, "Violations by rule and action", "violations");
	x = obj_member(o, "violations");
	{
		g_autoptr(GList) rules = x != NULL ? json_object_get_members(x) : NULL;

		for (GList *l = rules; l != NULL; l = l->next) {
			char rule[32];

			snprintf(rule, sizeof rule, "%-22s", (char *)l->data);
			add_members(s->rows, obj_member(x, l->data), rule, true,
				    r->transactions);
		}
	}

	s = new_section(r, "Verdicts (share of transactions)", "verdicts");
	add_members(s->rows, obj_member(o, "verdicts"), NULL, false,
		    r->transactions);

	x = obj_member(o, "top_clients");
	r->top_transactions = array_member(x, "by_transactions");
	r->top_violations = array_member(x, "by_violations");
	return true;
}

static void
text_top(GString *out, const char *title, JsonArray *a)
{
	guint n = a != NULL ? MIN(json_array_get_length(a), 10u) : 0;

	g_string_append_printf(out, "\n%s\n", title);
	if (n == 0) {
		g_string_append(out, "  (none)\n");
		return;
	}
	for (guint i = 0; i < n; i++) {
		JsonObject *e = json_array_get_object_element(a, i);
		char count[32];

		report_human_count(uint_member(e, "count"), count, sizeof count);
		g_string_append_printf(out, "  %-40s %8s  %s\n",
			json_object_get_string_member_with_default(e, "address", "?"),
			count,
			json_object_get_string_member_with_default(e, "helo", ""));
	}
}

bool
report_text(JsonNode *stats, GString *out, GError **error)
{
	report r = {0};
	char a[32], b[32], c[32], d[32];

	if (!build(stats, &r, error))
		return false;
	report_human_count(r.connections, a, sizeof a);
	report_human_count(r.transactions, b, sizeof b);
	report_human_count(r.messages, c, sizeof c);
	report_human_octets(r.octets, d, sizeof d);
	g_string_append_printf(out, "esmtp-milter statistics");
	if (r.start_time > 0 && r.time >= r.start_time) {
		int64_t up = r.time - r.start_time;

		g_string_append_printf(out, " (daemon up %" G_GINT64_FORMAT "d %02"
				       G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m)",
				       up / 86400, up / 3600 % 24, up / 60 % 60);
	}
	g_string_append_printf(out, "\n\n  %-40s %8s\n  %-40s %8s\n  %-40s %8s\n  %-40s %8s\n",
			       "sessions", a, "transactions", b, "messages", c,
			       "message octets", d);
	for (guint i = 0; i < r.sections->len; i++) {
		section *s = g_ptr_array_index(r.sections, i);

		g_string_append_printf(out, "\n%s\n", s->title);
		if (s->rows->len == 0)
			g_string_append(out, "  (none)\n");
		for (guint k = 0; k < s->rows->len; k++) {
			row *rw = &g_array_index(s->rows, row, k);
			char count[32];

			report_human_count(rw->count, count, sizeof count);
			g_string_append_printf(out, "  %-40s %8s %6.1f%%\n",
					       rw->label, count, rw->percent);
		}
	}
	text_top(out, "Top clients by transactions", r.top_transactions);
	text_top(out, "Top clients by violations", r.top_violations);
	g_ptr_array_unref(r.sections);
	return true;
}

static void
json_top(JsonBuilder *jb, const char *name, JsonArray *a)
{
	json_builder_set_member_name(jb, name);
	json_builder_begin_array(jb);
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++)
		json_builder_add_value(jb, json_node_copy(
			json_array_get_element(a, i)));
	json_builder_end_array(jb);
}

JsonNode *
report_json(JsonNode *stats, GError **error)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();
	report r = {0};

	if (!build(stats, &r, error))
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
			json_builder_set_member_name(jb, "name");
			json_builder_add_string_value(jb, rw->label);
			json_builder_set_member_name(jb, "count");
			json_builder_add_int_value(jb, (gint64)rw->count);
			json_builder_set_member_name(jb, "percent");
			json_builder_add_double_value(jb, rw->percent);
			json_builder_end_object(jb);
		}
		json_builder_end_array(jb);
	}
	json_top(jb, "top_clients_by_transactions", r.top_transactions);
	json_top(jb, "top_clients_by_violations", r.top_violations);
	json_builder_end_object(jb);
	g_ptr_array_unref(r.sections);
	return json_builder_get_root(jb);
}
