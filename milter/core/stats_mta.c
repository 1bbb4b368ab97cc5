/*
 * The statistics per MTA end (see stats_mtas in stats.h): the bounded
 * table, and its Prometheus families and JSON array beside the families
 * of stats_export.c. Connections, greetings, transactions and violations
 * are counted per row at each connection's close.
 */
#include "stats_export.h"

#include <stdio.h>
#include <string.h>

#include "core_lock.h"
#include "utf8_text.h"

void
stats_mta_add(stats_mtas *t, const stats_mta_entry *e)
{
	stats_mta_entry *row = NULL;
	char valid[STATS_MTA_NAME_MAX];
	const char *name = valid;

	utf8_copy(valid, sizeof valid, e->name);

	core_lock(&t->lock);
	for (;;) {
		for (unsigned i = 0; i < t->n && row == NULL; i++)
			if (strcmp(t->entries[i].name, name) == 0)
				row = &t->entries[i];
		if (row != NULL)
			break;
		/* the last row is kept for "other" */
		if (t->n < STATS_MTA_MAX - 1 || strcmp(name, STATS_MTA_OTHER) == 0) {
			row = &t->entries[t->n++];
			memset(row, 0, sizeof *row);
			g_strlcpy(row->name, name, sizeof row->name);
			break;
		}
		name = STATS_MTA_OTHER;
	}
	row->connections += e->connections;
	for (unsigned g = 0; g < GREETING_COUNT; g++)
		row->greetings[g] += e->greetings[g];
	row->transactions += e->transactions;
	row->violations += e->violations;
	core_unlock(&t->lock);
}

static int
mta_cmp(const void *a, const void *b)
{
	const stats_mta_entry *x = a, *y = b;
	bool xo = strcmp(x->name, STATS_MTA_OTHER) == 0;
	bool yo = strcmp(y->name, STATS_MTA_OTHER) == 0;

	if (xo != yo)
		return xo ? 1 : -1;
	return strcmp(x->name, y->name);
}

unsigned
stats_mta_snapshot(stats_mtas *t, stats_mta_entry *out)
{
	unsigned n;

	core_lock(&t->lock);
	n = t->n;
	memcpy(out, t->entries, n * sizeof *out);
	core_unlock(&t->lock);
	qsort(out, n, sizeof *out, mta_cmp);
	return n;
}

static void
mta_counter(GString *o, const stats_mta_entry *e, unsigned n,
	    const char *metric, const char *help, size_t offset)
{
	stats_prometheus_head(o, metric, "counter", help);
	for (unsigned i = 0; i < n; i++)
		stats_prometheus_sample(o, metric,
					*(const uint64_t *)((const char *)&e[i] + offset),
					"mta", e[i].name, NULL);
}

void
stats_mta_prometheus(GString *o, stats *s)
{
	stats_mta_entry e[STATS_MTA_MAX];
	unsigned n = stats_mta_snapshot(&s->mtas, e);

	mta_counter(o, e, n, "mta_connections_total",
		    "Milter and policy sessions by the MTA address and port the client reached.",
		    offsetof(stats_mta_entry, connections));
	stats_prometheus_head(o, "mta_greetings_total", "counter",
			      "Sessions by the MTA address and port the client reached and by greeting.");
	for (unsigned i = 0; i < n; i++)
		for (unsigned g = 0; g < GREETING_COUNT; g++)
			stats_prometheus_sample(o, "mta_greetings_total",
						e[i].greetings[g], "mta", e[i].name,
						"greeting", greeting_name((greeting_type)g),
						NULL);
	mta_counter(o, e, n, "mta_transactions_total",
		    "MAIL transactions by the MTA address and port the client reached.",
		    offsetof(stats_mta_entry, transactions));
	mta_counter(o, e, n, "mta_violations_total",
		    "Rule violations by the MTA address and port the client reached.",
		    offsetof(stats_mta_entry, violations));
}

void
stats_mta_json_entries(JsonBuilder *b, const stats_mta_entry *e, unsigned n)
{
	json_builder_set_member_name(b, "mtas");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < n; i++) {
		json_builder_begin_object(b);
		stats_json_string(b, "mta", e[i].name);
		stats_json_uint(b, "connections", e[i].connections);
		json_builder_set_member_name(b, "greetings");
		json_builder_begin_object(b);
		for (unsigned g = 0; g < GREETING_COUNT; g++)
			stats_json_uint(b, greeting_name((greeting_type)g),
				    e[i].greetings[g]);
		json_builder_end_object(b);
		stats_json_uint(b, "transactions", e[i].transactions);
		stats_json_uint(b, "violations", e[i].violations);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

void
stats_mta_json(JsonBuilder *b, stats *s)
{
	stats_mta_entry e[STATS_MTA_MAX];

	stats_mta_json_entries(b, e, stats_mta_snapshot(&s->mtas, e));
}

static bool
count_member(JsonObject *o, const char *name, uint64_t *out)
{
	JsonNode *n = json_object_get_member(o, name);

	*out = 0;
	if (n == NULL)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64
	    || json_node_get_int(n) < 0)
		return false;
	*out = (uint64_t)json_node_get_int(n);
	return true;
}

bool
stats_mta_read_entry(JsonNode *node, stats_mta_entry *e)
{
	JsonObject *o, *g = NULL;
	JsonNode *gn;
	const char *name;

	memset(e, 0, sizeof *e);
	if (!JSON_NODE_HOLDS_OBJECT(node))
		return false;
	o = json_node_get_object(node);
	name = json_object_get_string_member_with_default(o, "mta", NULL);
	if (name == NULL || *name == '\0' || strlen(name) >= sizeof e->name)
		return false;
	utf8_copy(e->name, sizeof e->name, name);
	gn = json_object_get_member(o, "greetings");
	if (gn != NULL) {
		if (!JSON_NODE_HOLDS_OBJECT(gn))
			return false;
		g = json_node_get_object(gn);
		for (unsigned i = 0; i < GREETING_COUNT; i++)
			if (!count_member(g, greeting_name((greeting_type)i),
					  &e->greetings[i]))
				return false;
	}
	return count_member(o, "connections", &e->connections)
		&& count_member(o, "transactions", &e->transactions)
		&& count_member(o, "violations", &e->violations);
}

bool
stats_mta_restore(stats *s, JsonObject *root, GError **error)
{
	JsonNode *n = json_object_get_member(root, "mtas");
	JsonArray *a;
	bool ok = true;

	if (n == NULL)
		return true;	/* an older file: no rows */
	if (!JSON_NODE_HOLDS_ARRAY(n))
		goto bad;
	a = json_node_get_array(n);
	/* a bad row is left out, the others are read all the same */
	for (guint i = 0; i < json_array_get_length(a); i++) {
		stats_mta_entry e;

		if (stats_mta_read_entry(json_array_get_element(a, i), &e))
			stats_mta_add(&s->mtas, &e);
		else
			ok = false;
	}
	if (ok)
		return true;
bad:
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "bad or missing \"mtas\"");
	return false;
}
