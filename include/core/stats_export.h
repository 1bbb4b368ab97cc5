/*
 * The counters as text: Prometheus exposition format for /metrics and
 * JSON for /stats.json and the state file (stats_load.h reads that JSON
 * back). Both writers and the reader walk stats_families[], the one
 * description of what is counted.
 *
 * stats_prometheus_text() and stats_json_text() return text the caller
 * frees; stats_to_json() a node the caller unrefs. Every string either
 * writes is valid UTF-8, whatever it was given.
 *
 * Implemented by: stats_export.c, stats_schema.c, stats_text.c,
 * stats_profile.c and stats_mta.c.
 */
#ifndef ESMTP_STATS_EXPORT_H
#define ESMTP_STATS_EXPORT_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "stats.h"

#define STATS_JSON_VERSION 1

/* One label dimension of a family: its name and the value of each slot. */
typedef struct {
	const char *name;
	unsigned count;
	const char *(*value)(unsigned slot);	/* "" for an unused slot */
} stats_dim;

typedef enum {
	STATS_COUNTER,
	STATS_GAUGE,
	STATS_HISTOGRAM,
} stats_kind;

/*
 * A statistics family: its Prometheus name (after "esmtp_milter_"), its
 * JSON member, its type and help, where its counters (or histograms) sit
 * in struct stats, and up to two label dimensions.
 */
typedef struct {
	const char *metric;
	const char *json;
	stats_kind kind;
	const char *help;
	size_t offset;
	size_t size;		/* of its array in struct stats (a unit test
				   checks it against the dimensions) */
	const stats_dim *dims[2];
} stats_family;

extern const stats_family stats_families[];
extern const size_t stats_family_count;
/* The family with this JSON member name, or NULL. */
const stats_family *stats_family_named(const char *json_name);
/* A family's counter at label slots i, j (0 where it has no such label). */
atomic_uint_fast64_t *stats_family_counter(stats *s, const stats_family *f,
					   unsigned i, unsigned j);
stats_histogram *stats_family_histogram(stats *s, const stats_family *f,
					unsigned i);
/* The slots of a dimension (1 without one); whether slot i is in use. */
unsigned stats_dim_count(const stats_dim *d);
bool stats_dim_used(const stats_dim *d, unsigned i);

/*
 * The one walk over the families that the Prometheus writer, the JSON
 * writer and the JSON reader share: for each family, family() (false
 * skips the rest of it: the gauge); then for each slot in use of its
 * first dimension either histogram(), or group() (two dimensions only),
 * counter() for each slot in use of the second, and group_end(); then
 * family_end(). Any callback may be NULL.
 */
typedef struct {
	bool (*family)(void *ctx, const stats_family *f);
	void (*group)(void *ctx, const stats_family *f, unsigned i);
	void (*counter)(void *ctx, const stats_family *f, unsigned i,
			unsigned j, atomic_uint_fast64_t *c);
	void (*histogram)(void *ctx, const stats_family *f, unsigned i,
			  stats_histogram *h);
	void (*group_end)(void *ctx, const stats_family *f, unsigned i);
	void (*family_end)(void *ctx, const stats_family *f);
} stats_visitor;
void stats_walk(stats *s, const stats_visitor *v, void *ctx);
/* A counter's or histogram's own name in JSON: its innermost label
   value, or the family's member name when it has no label. */
const char *stats_leaf_name(const stats_family *f, unsigned i, unsigned j,
			    bool histogram);

char *stats_prometheus_text(stats *s);
JsonNode *stats_to_json(stats *s);
char *stats_json_text(stats *s, bool pretty);
/* A top-clients table as a JSON array member (error: the overestimate). */
void stats_json_top_entries(JsonBuilder *b, const char *name,
			    const stats_top_entry *e, unsigned n,
			    bool with_error);
/* A JSON member holding a count. */
void stats_json_uint(JsonBuilder *b, const char *name, uint64_t v);
/* A JSON string (a member when name is not NULL, else an array element),
   made valid UTF-8 first: every string the JSON writers add comes here. */
void stats_json_string(JsonBuilder *b, const char *name, const char *v);
/* Prometheus text: a family's HELP and TYPE lines (name after
   "esmtp_milter_"), and one sample whose labels are name, value pairs
   ending with NULL. */
void stats_prometheus_escape(GString *out, const char *label_value);
void stats_prometheus_head(GString *out, const char *name, const char *type,
			   const char *help);
void stats_prometheus_sample(GString *out, const char *name, uint64_t value,
			     ...) G_GNUC_NULL_TERMINATED;
/*
 * The statistics per MTA (stats_mtas): the mta_* families in Prometheus
 * text, the "mtas" array in JSON, and that array read back (added to
 * s->mtas; a document without it adds nothing).
 */
void stats_mta_prometheus(GString *out, stats *s);
void stats_mta_json(JsonBuilder *b, stats *s);
void stats_mta_json_entries(JsonBuilder *b, const stats_mta_entry *e,
			    unsigned n);
bool stats_mta_restore(stats *s, JsonObject *root, GError **error);
/* One "mtas" element read into e; false when it is not one. */
bool stats_mta_read_entry(JsonNode *node, stats_mta_entry *e);

/* A client's profile as members of its top-clients entry, and back. */
void stats_json_profile(JsonBuilder *b, const stats_profile *p);
void stats_read_profile(JsonObject *entry, stats_profile *p);


/* The summary line's text: totals and what changed since prev. */
typedef struct {
	uint64_t connections, transactions, messages, rejected, tempfailed,
		 violations;
} summary_totals;
void summary_read(stats *s, summary_totals *out);
void summary_format(const summary_totals *now, const summary_totals *prev,
		    unsigned interval, char *buf, size_t len);

#endif
