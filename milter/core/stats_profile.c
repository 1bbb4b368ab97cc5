/*
 * A client's ESMTP profile in JSON (a top-clients entry's members), both
 * ways: written for /stats.json and the state file, read back from them.
 * What an older file lacks stays zero; its single "greeting" is read as
 * the one greeting known.
 */
#include "stats_export.h"

#include <string.h>

/* Counts by rule token, the rules with none left out. */
static void
json_by_rule(JsonBuilder *b, const char *name, const uint32_t *counts)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	for (unsigned r = 0; r < RULE_COUNT; r++)
		if (counts[r] > 0)
			stats_json_uint(b, rule_token((rule_id)r), counts[r]);
	json_builder_end_object(b);
}

/* A client's ESMTP profile, as members of its top-clients entry. */
void
stats_json_profile(JsonBuilder *b, const stats_profile *p)
{
	json_builder_set_member_name(b, "greetings");
	json_builder_begin_array(b);
	for (unsigned g = 0; g < GREETING_COUNT; g++)
		if (p->greetings & STATS_GREETING_BIT(g))
			stats_json_string(b, NULL, greeting_name((greeting_type)g));
	json_builder_end_array(b);
	stats_json_string(b, "tls", tls_version_name((tls_version)p->tls));
	json_builder_set_member_name(b, "keywords");
	json_builder_begin_array(b);
	for (size_t r = 0; r < registry_count; r++)
		if (p->keywords & (1u << r))
			stats_json_string(b, NULL, registry_table[r].keyword);
	json_builder_end_array(b);
	stats_json_uint(b, "size_declared", p->size_declared);
	stats_json_uint(b, "size_overruns", p->size_overruns);
	stats_json_uint(b, "size_overrun_max", p->size_overrun_max);
	json_by_rule(b, "violations", p->violations);
	json_by_rule(b, "would_refuse", p->would_refuse);
}

static uint64_t
uint_or_zero(JsonObject *o, const char *name)
{
	gint64 v = json_object_get_int_member_with_default(o, name, 0);

	return v > 0 ? (uint64_t)v : 0;
}

static void
add_greeting(stats_profile *p, const char *name)
{
	for (unsigned i = GREETING_UNKNOWN + 1; i < GREETING_COUNT; i++)
		if (name != NULL && strcmp(name, greeting_name((greeting_type)i)) == 0)
			p->greetings |= STATS_GREETING_BIT(i);
}

/* "greetings": [...], or an older file's last "greeting" alone. */
static void
read_greetings(JsonObject *eo, stats_profile *p)
{
	JsonNode *n = json_object_get_member(eo, "greetings");

	add_greeting(p, json_object_get_string_member_with_default(eo, "greeting", ""));
	if (n == NULL || !JSON_NODE_HOLDS_ARRAY(n))
		return;
	for (guint i = 0; i < json_array_get_length(json_node_get_array(n)); i++) {
		JsonNode *e = json_array_get_element(json_node_get_array(n), i);

		if (JSON_NODE_HOLDS_VALUE(e)
		    && json_node_get_value_type(e) == G_TYPE_STRING)
			add_greeting(p, json_node_get_string(e));
	}
}

static uint64_t uint_or_zero(JsonObject *o, const char *name);

static void
read_by_rule(JsonObject *eo, const char *name, uint32_t *counts)
{
	JsonNode *n = json_object_get_member(eo, name);

	if (n != NULL && JSON_NODE_HOLDS_OBJECT(n))
		for (unsigned r = 0; r < RULE_COUNT; r++)
			counts[r] = (uint32_t)MIN(uint_or_zero(
				json_node_get_object(n), rule_token((rule_id)r)),
				G_MAXUINT32);
}

/* A client's profile from its entry; what an older file lacks stays zero. */
void
stats_read_profile(JsonObject *eo, stats_profile *p)
{
	JsonNode *n;
	const char *g;

	memset(p, 0, sizeof *p);
	read_greetings(eo, p);
	g = json_object_get_string_member_with_default(eo, "tls", "");
	for (unsigned i = 0; i < TLS_COUNT; i++)
		if (strcmp(g, tls_version_name((tls_version)i)) == 0)
			p->tls = (uint8_t)i;
	n = json_object_get_member(eo, "keywords");
	if (n != NULL && JSON_NODE_HOLDS_ARRAY(n)) {
		JsonArray *a = json_node_get_array(n);

		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonNode *k = json_array_get_element(a, i);
			const char *kw = JSON_NODE_HOLDS_VALUE(k)
				? json_node_get_string(k) : NULL;
			const registry_entry *row = kw != NULL
				? registry_lookup(kw, strlen(kw)) : NULL;

			if (row != NULL)
				p->keywords |= 1u << registry_index(row);
		}
	}
	p->size_declared = uint_or_zero(eo, "size_declared");
	p->size_overruns = uint_or_zero(eo, "size_overruns");
	p->size_overrun_max = uint_or_zero(eo, "size_overrun_max");
	read_by_rule(eo, "violations", p->violations);
	read_by_rule(eo, "would_refuse", p->would_refuse);
}
