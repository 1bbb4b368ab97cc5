/*
 * Saved statistics back into counters, as much of them as reads
 * (stats_load.h). The state file is the only copy of months of counts:
 * one bad octet or one bad member must not cost the rest.
 */
#include "stats_load.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "stats_export.h"
#include "stats_history.h"
#include "utf8_text.h"

/*
 * Each member is read on its own: a bad one is named (the family it
 * belongs to, once, in lost) and adds nothing, and the others are read
 * all the same. stats_from_json() refuses a document with any bad
 * member; stats_from_json_partial() keeps what could be read.
 */
typedef struct {
	GError **error;
	bool ok;
	const char *family;	/* what a failure below costs */
	GPtrArray *lost;
} reader;

static void
fail(reader *rd, const char *what)
{
	const char *name = rd->family != NULL ? rd->family : what;

	if (rd->ok)
		g_set_error(rd->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "bad or missing \"%s\"", what);
	rd->ok = false;
	if (rd->lost != NULL
	    && !g_ptr_array_find_with_equal_func(rd->lost, name, g_str_equal, NULL))
		g_ptr_array_add(rd->lost, g_strdup(name));
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
	/* the whole histogram or nothing of it: every bucket checked first */
	for (unsigned i = 0; i < json_array_get_length(buckets); i++) {
		JsonNode *e = json_array_get_element(buckets, i);
		JsonNode *c = JSON_NODE_HOLDS_OBJECT(e)
			? json_object_get_member(json_node_get_object(e), "count")
			: NULL;

		if (c == NULL || !JSON_NODE_HOLDS_VALUE(c)
		    || json_node_get_value_type(c) != G_TYPE_INT64
		    || json_node_get_int(c) < 0) {
			fail(rd, name);
			return;
		}
	}
	/* bucket bounds changed between versions: keep only the totals */
	if (json_array_get_length(buckets) == h->nbounds + 1)
		for (unsigned i = 0; i <= h->nbounds; i++)
			restore(rd, json_node_get_object(json_array_get_element(buckets, i)),
				"count", &h->buckets[i]);
	restore(rd, ho, "count", &h->count);
	sum = json_object_get_member(ho, "sum");
	if (sum != NULL && JSON_NODE_HOLDS_VALUE(sum)) {
		double v = json_node_get_double(sum);

		double x = v * h->scale;

		/* the nearest: 12345 / 1e6 * 1e6 is 12344.999... */
		if (x >= 0 && x < 9e18)
			stats_add(&h->sum_scaled, (uint64_t)llround(x));
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
		JsonNode *count;
		stats_profile profile;

		if (!JSON_NODE_HOLDS_OBJECT(e)) {
			fail(rd, name);
			continue;
		}
		eo = json_node_get_object(e);
		addr = json_object_get_string_member_with_default(eo, "address", NULL);
		helo = json_object_get_string_member_with_default(eo, "helo", "");
		count = json_object_get_member(eo, "count");
		if (addr == NULL || count == NULL || !JSON_NODE_HOLDS_VALUE(count)
		    || json_node_get_value_type(count) != G_TYPE_INT64
		    || json_node_get_int(count) < 0) {
			fail(rd, name);
			continue;
		}
		stats_read_profile(eo, &profile);
		stats_top_add(t, addr, helo,
			      (uint64_t)json_node_get_int(count),
			      &profile);
	}
}

typedef struct {
	reader rd;
	JsonObject *root, *family, *group;
} restore_ctx;

static bool
restore_family(void *ctx, const stats_family *f)
{
	restore_ctx *r = ctx;

	if (f->kind == STATS_GAUGE)
		return false;	/* a gauge is not carried over */
	r->rd.family = f->json;
	r->family = f->dims[0] != NULL ? child_object(&r->rd, r->root, f->json)
				       : r->root;
	return true;
}

static void
restore_group(void *ctx, const stats_family *f, unsigned i)
{
	restore_ctx *r = ctx;

	r->group = child_object(&r->rd, r->family, f->dims[0]->value(i));
}

static void
restore_counter(void *ctx, const stats_family *f, unsigned i, unsigned j,
		atomic_uint_fast64_t *c)
{
	restore_ctx *r = ctx;

	restore(&r->rd, f->dims[1] != NULL ? r->group : r->family,
		stats_leaf_name(f, i, j, false), c);
}

static void
restore_hist(void *ctx, const stats_family *f, unsigned i, stats_histogram *h)
{
	restore_ctx *r = ctx;

	restore_histogram(&r->rd, r->family, stats_leaf_name(f, i, 0, true), h);
}

static void
restore_distinct(reader *rd, JsonObject *root, stats *s)
{
	JsonObject *o;

	rd->family = "would_refuse_clients";
	o = child_object(rd, root, "would_refuse_clients");

	for (unsigned r = 0; o != NULL && r < RULE_COUNT; r++) {
		const char *hex = json_object_get_string_member_with_default(
			o, rule_token((rule_id)r), NULL);
		uint8_t regs[STATS_DISTINCT_REGISTERS];

		if (hex == NULL)
			continue;
		if (strlen(hex) != 2 * STATS_DISTINCT_REGISTERS) {
			fail(rd, "would_refuse_clients");
			return;
		}
		for (unsigned i = 0; i < STATS_DISTINCT_REGISTERS; i++) {
			int hi = g_ascii_xdigit_value(hex[2 * i]);
			int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

			if (hi < 0 || lo < 0 || hi * 16 + lo > 64) {
				fail(rd, "would_refuse_clients");
				return;
			}
			regs[i] = (uint8_t)(hi * 16 + lo);
		}
		stats_distinct_merge(&s->would_refuse_clients[r], regs);
	}
}

static bool
from_json(stats *s, JsonNode *root, GPtrArray *lost, GError **error)
{
	static const stats_visitor v = {
		.family = restore_family, .group = restore_group,
		.counter = restore_counter, .histogram = restore_hist};
	restore_ctx r = {.rd = {error, true, NULL, lost}};
	JsonObject *x;

	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "not a JSON object");
		return false;
	}
	r.root = json_node_get_object(root);
	if (json_object_get_int_member_with_default(r.root, "version", 0)
	    != STATS_JSON_VERSION) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "unknown version");
		return false;
	}
	stats_walk(s, &v, &r);
	r.rd.family = "top_clients";
	x = child_object(&r.rd, r.root, "top_clients");
	restore_top(&r.rd, x, "by_transactions", &s->top_transactions);
	restore_top(&r.rd, x, "by_violations", &s->top_violations);
	restore_distinct(&r.rd, r.root, s);
	r.rd.family = "mtas";
	if (!stats_mta_restore(s, r.root, r.rd.ok ? error : NULL)) {
		r.rd.error = NULL;	/* stats_mta_restore() said why */
		fail(&r.rd, "mtas");
	}
	if (s->history) {
		JsonNode *h = json_object_get_member(r.root, "history");

		r.rd.family = "history";
		if (h && !stats_history_load(s->history, h, r.rd.ok ? error : NULL)) {
			r.rd.error = NULL;	/* stats_history_load() said why */
			fail(&r.rd, "history");
		}
		/* what was restored is not new: the next sample counts from it */
		stats_history_rebase(s->history, s);
	}
	return r.rd.ok || lost != NULL;
}

bool
stats_from_json(stats *s, JsonNode *root, GError **error)
{
	return from_json(s, root, NULL, error);
}

bool
stats_from_json_partial(stats *s, JsonNode *root, GPtrArray *lost,
			GError **error)
{
	g_autoptr(GError) first = NULL;

	/* the first bad member's message is not needed: lost names them all */
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)
	    || json_object_get_int_member_with_default(json_node_get_object(root),
						       "version", 0)
	       != STATS_JSON_VERSION)
		return from_json(s, root, lost, error);
	return from_json(s, root, lost, &first);
}

void
stats_load_outcome_clear(stats_load_outcome *out)
{
	g_clear_pointer(&out->lost, g_ptr_array_unref);
	out->replaced = 0;
}

bool
stats_load_text(stats *s, const char *text, size_t len,
		stats_load_outcome *out, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *valid = NULL;

	out->lost = g_ptr_array_new_with_free_func(g_free);
	out->replaced = 0;
	if (!g_utf8_validate_len(text, len, NULL)) {
		valid = utf8_valid_dup_len(text, len, &out->replaced);
		text = valid;
		len = strlen(valid);
	}
	if (!json_parser_load_from_data(parser, text, (gssize)len, NULL)) {
		/* the parser's message quotes the text: name the place only */
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "not JSON (line %u)", json_parser_get_current_line(parser));
		return false;
	}
	if (!stats_from_json_partial(s, json_parser_get_root(parser), out->lost,
				     error)) {
		stats_history *history = s->history;

		stats_clear(s);
		stats_init(s);
		s->history = history;
		return false;
	}
	return true;
}
