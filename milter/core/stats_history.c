/*
 * The statistics by hour and by day: what the headline families grew by,
 * sampled from their totals (stats_history.h).
 */
#include "stats_history.h"

#include <string.h>

#include "core_lock.h"
#include "stats_export.h"

#define HOUR 3600
#define DAY 86400
#define COLUMN_NAME_MAX 72

const char *const stats_history_families[] = {
	"connections", "greetings", "transactions", "messages", "parameters",
	"body_types", "size_declared", "size_ratio", "violations", "verdicts",
	"would_refuse", "policy_requests", NULL};

typedef struct {
	char name[COLUMN_NAME_MAX];
	size_t offset;		/* of its atomic counter in struct stats */
} column;

typedef struct {
	int64_t key;		/* the bucket's start, seconds; 0: none */
	uint64_t *counts;	/* ncolumns */
} bucket;

struct stats_history {
	GMutex lock;
	column *columns;
	unsigned ncolumns;
	uint64_t *last;		/* the totals at the previous sample: zero
				   at first, as the counters start */
	int64_t since;		/* the first sample, seconds; 0: none yet */
	int64_t newest;		/* the newest hour sampled into */
	bucket hours[STATS_HISTORY_HOURS];
	bucket days[STATS_HISTORY_DAYS];
	uint64_t *storage;
};

/* Building the columns: a walk over the families of a scratch stats. */
typedef struct {
	GArray *columns;
	stats *base;
	bool keep;
} column_walk;

static bool
kept_family(const stats_family *f)
{
	for (unsigned i = 0; stats_history_families[i]; i++)
		if (strcmp(f->json, stats_history_families[i]) == 0)
			return true;
	return false;
}

static void
add_column(column_walk *w, const char *name, const void *counter)
{
	column c;

	g_strlcpy(c.name, name, sizeof c.name);
	c.offset = (size_t)((const char *)counter - (const char *)w->base);
	g_array_append_val(w->columns, c);
}

static bool
walk_family(void *ctx, const stats_family *f)
{
	column_walk *w = ctx;

	w->keep = f->kind != STATS_GAUGE && kept_family(f);
	return w->keep;
}

static void
walk_counter(void *ctx, const stats_family *f, unsigned i, unsigned j,
	     atomic_uint_fast64_t *c)
{
	column_walk *w = ctx;
	char name[COLUMN_NAME_MAX];

	if (!w->keep)
		return;
	if (!f->dims[0])
		g_strlcpy(name, f->json, sizeof name);
	else if (!f->dims[1])
		g_snprintf(name, sizeof name, "%s/%s", f->json, f->dims[0]->value(i));
	else
		g_snprintf(name, sizeof name, "%s/%s/%s", f->json,
			   f->dims[0]->value(i), f->dims[1]->value(j));
	add_column(w, name, c);
}

static void
walk_histogram(void *ctx, const stats_family *f, unsigned i,
	       stats_histogram *h)
{
	column_walk *w = ctx;
	char name[COLUMN_NAME_MAX];

	(void)i;
	if (!w->keep)
		return;
	for (unsigned k = 0; k <= h->nbounds; k++) {
		if (k < h->nbounds)
			g_snprintf(name, sizeof name, "%s/le_%g", f->json, h->bounds[k]);
		else
			g_snprintf(name, sizeof name, "%s/le_inf", f->json);
		add_column(w, name, &h->buckets[k]);
	}
	g_snprintf(name, sizeof name, "%s/count", f->json);
	add_column(w, name, &h->count);
}

stats_history *
stats_history_new(void)
{
	stats_history *h = g_new0(stats_history, 1);
	stats *scratch = g_new0(stats, 1);
	column_walk w = {g_array_new(FALSE, FALSE, sizeof(column)), scratch, false};
	const stats_visitor v = {walk_family, NULL, walk_counter, walk_histogram,
				 NULL, NULL};
	size_t nbuckets = STATS_HISTORY_HOURS + STATS_HISTORY_DAYS;

	stats_init(scratch);
	stats_walk(scratch, &v, &w);
	stats_clear(scratch);
	g_free(scratch);
	h->ncolumns = w.columns->len;
	h->columns = (column *)(void *)g_array_free(w.columns, FALSE);
	h->last = g_new0(uint64_t, h->ncolumns);
	h->storage = g_new0(uint64_t, nbuckets * h->ncolumns);
	for (unsigned i = 0; i < STATS_HISTORY_HOURS; i++)
		h->hours[i].counts = h->storage + (size_t)i * h->ncolumns;
	for (unsigned i = 0; i < STATS_HISTORY_DAYS; i++)
		h->days[i].counts = h->storage +
			(size_t)(STATS_HISTORY_HOURS + i) * h->ncolumns;
	g_mutex_init(&h->lock);
	return h;
}

void
stats_history_free(stats_history *h)
{
	if (!h)
		return;
	g_mutex_clear(&h->lock);
	g_free(h->columns);
	g_free(h->last);
	g_free(h->storage);
	g_free(h);
}

size_t
stats_history_bytes(const stats_history *h)
{
	return sizeof *h + h->ncolumns * (sizeof(column) + sizeof(uint64_t)) +
	       (size_t)(STATS_HISTORY_HOURS + STATS_HISTORY_DAYS) *
	       h->ncolumns * sizeof(uint64_t);
}

static uint64_t
total(stats *s, const column *c)
{
	return stats_get((atomic_uint_fast64_t *)(void *)((char *)s + c->offset));
}

/* The ring slot of the bucket starting at key, emptied if it held an
   older (or another) bucket. */
static bucket *
slot(bucket *ring, unsigned n, int64_t key, int64_t width, unsigned ncolumns)
{
	bucket *b = &ring[(uint64_t)(key / width) % n];

	if (b->key != key) {
		b->key = key;
		memset(b->counts, 0, ncolumns * sizeof(uint64_t));
	}
	return b;
}

static void
lock(stats_history *h)
{
	g_mutex_lock(&h->lock);
	CORE_TSAN_ACQUIRE(&h->lock);
}

static void
unlock(stats_history *h)
{
	CORE_TSAN_RELEASE(&h->lock);
	g_mutex_unlock(&h->lock);
}

static void
rebase_locked(stats_history *h, stats *s)
{
	for (unsigned c = 0; c < h->ncolumns; c++)
		h->last[c] = total(s, &h->columns[c]);
}

void
stats_history_rebase(stats_history *h, stats *s)
{
	lock(h);
	rebase_locked(h, s);
	unlock(h);
}

/* The hour a sample taken at now counts in (see the header's clock). */
static int64_t
effective_hour(stats_history *h, int64_t now)
{
	int64_t hour = now - now % HOUR;

	if (now < 0)
		hour = 0;
	if (h->newest > hour && h->newest - hour <= STATS_HISTORY_STEP_BACK)
		return h->newest;
	return hour;
}

void
stats_history_sample(stats_history *h, stats *s, int64_t now)
{
	bucket *hb, *db;
	int64_t hour;

	lock(h);
	hour = effective_hour(h, now);
	hb = slot(h->hours, STATS_HISTORY_HOURS, hour, HOUR, h->ncolumns);
	db = slot(h->days, STATS_HISTORY_DAYS, hour - hour % DAY, DAY, h->ncolumns);
	for (unsigned c = 0; c < h->ncolumns; c++) {
		uint64_t now_total = total(s, &h->columns[c]);
		/* a total below the last one was started again: all new */
		uint64_t grew = now_total >= h->last[c] ? now_total - h->last[c]
							: now_total;

		hb->counts[c] = MIN(hb->counts[c] + grew, (uint64_t)G_MAXINT64);
		db->counts[c] = MIN(db->counts[c] + grew, (uint64_t)G_MAXINT64);
		h->last[c] = now_total;
	}
	h->newest = hour;
	if (h->since == 0 || hour < h->since)
		h->since = hour;
	unlock(h);
}

/*
 * A ring as [start, count, count...] rows over the columns in use (used,
 * ncolumns long), oldest slot first. JsonArray directly: a JsonBuilder
 * per number costs ten times as much; rows over the columns in use hold
 * half the numbers that column and count pairs would.
 */
static JsonNode *
json_ring(bucket *ring, unsigned n, const bool *used, unsigned ncolumns)
{
	JsonArray *a = json_array_sized_new(n);
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);

	for (unsigned i = 0; i < n; i++) {
		JsonArray *row;

		if (ring[i].key <= 0)
			continue;
		row = json_array_new();
		json_array_add_int_element(row, ring[i].key);
		for (unsigned c = 0; c < ncolumns; c++)
			if (used[c])
				json_array_add_int_element(row, (gint64)ring[i].counts[c]);
		json_array_add_array_element(a, row);
	}
	json_node_take_array(node, a);
	return node;
}

/* The columns some bucket of either ring counts in. */
static void
columns_in_use(const stats_history *h, bool *used)
{
	for (unsigned c = 0; c < h->ncolumns; c++) {
		used[c] = false;
		for (unsigned i = 0; i < STATS_HISTORY_HOURS && !used[c]; i++)
			used[c] = h->hours[i].key > 0 && h->hours[i].counts[c] != 0;
		for (unsigned i = 0; i < STATS_HISTORY_DAYS && !used[c]; i++)
			used[c] = h->days[i].key > 0 && h->days[i].counts[c] != 0;
	}
}

void
stats_history_json(stats_history *h, JsonBuilder *b)
{
	g_autofree bool *used = g_new(bool, h->ncolumns ? h->ncolumns : 1);

	lock(h);
	columns_in_use(h, used);
	json_builder_set_member_name(b, "history");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_int_value(b, STATS_HISTORY_VERSION);
	json_builder_set_member_name(b, "since");
	json_builder_add_int_value(b, h->since);
	json_builder_set_member_name(b, "columns");
	json_builder_begin_array(b);
	for (unsigned c = 0; c < h->ncolumns; c++)
		if (used[c])
			stats_json_string(b, NULL, h->columns[c].name);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "hours");
	json_builder_add_value(b, json_ring(h->hours, STATS_HISTORY_HOURS, used, h->ncolumns));
	json_builder_set_member_name(b, "days");
	json_builder_add_value(b, json_ring(h->days, STATS_HISTORY_DAYS, used, h->ncolumns));
	json_builder_end_object(b);
	unlock(h);
}

static int
column_index(const stats_history *h, const char *name)
{
	for (unsigned c = 0; c < h->ncolumns; c++)
		if (strcmp(h->columns[c].name, name) == 0)
			return (int)c;
	return -1;
}

static bool
json_count(JsonNode *n, int64_t *out)
{
	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return false;
	*out = json_node_get_int(n);
	return *out >= 0;
}

/* One "hours" or "days" array into the ring: rows of a start and one
   count per column of the file, each row checked whole before it is
   added; map[i] is h's column for the file's column i, or < 0 for one h
   does not keep. */
static bool
load_ring(stats_history *h, JsonNode *node, bucket *ring, unsigned n,
	  int64_t width, const int *map, unsigned nmap, GError **error)
{
	g_autofree int64_t *counts = g_new(int64_t, nmap ? nmap : 1);
	JsonArray *a;

	if (!node)
		return true;
	if (!JSON_NODE_HOLDS_ARRAY(node))
		goto bad;
	a = json_node_get_array(node);
	for (unsigned i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		JsonArray *row;
		int64_t key;
		bucket *bk;

		if (!JSON_NODE_HOLDS_ARRAY(e))
			goto bad;
		row = json_node_get_array(e);
		if (json_array_get_length(row) != nmap + 1 ||
		    !json_count(json_array_get_element(row, 0), &key) ||
		    key <= 0 || key % width != 0)
			goto bad;
		for (unsigned k = 0; k < nmap; k++)
			if (!json_count(json_array_get_element(row, k + 1), &counts[k]))
				goto bad;
		/* a bucket older than the one its slot holds is past the ring
		   (another source stopped long ago): it has no place */
		if (ring[(uint64_t)(key / width) % n].key > key)
			continue;
		bk = slot(ring, n, key, width, h->ncolumns);
		/* held below 2^63, as JSON writes it back */
		for (unsigned k = 0; k < nmap; k++)
			if (map[k] >= 0)
				bk->counts[map[k]] = MIN(bk->counts[map[k]] + (uint64_t)counts[k],
							 (uint64_t)G_MAXINT64);
	}
	return true;
bad:
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "history: %s is not a list of [start, count per column] buckets",
		    width == HOUR ? "hours" : "days");
	return false;
}

bool
stats_history_load(stats_history *h, JsonNode *node, GError **error)
{
	JsonObject *o;
	JsonArray *cols;
	g_autofree int *map = NULL;
	int64_t since = 0;
	unsigned ncols;
	bool ok;

	if (!node || !JSON_NODE_HOLDS_OBJECT(node) ||
	    !json_object_has_member((o = json_node_get_object(node)), "columns") ||
	    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "columns"))) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "history: not an object with columns");
		return false;
	}
	cols = json_object_get_array_member(o, "columns");
	ncols = json_array_get_length(cols);
	map = g_new(int, ncols ? ncols : 1);
	for (unsigned i = 0; i < ncols; i++) {
		JsonNode *c = json_array_get_element(cols, i);

		map[i] = JSON_NODE_HOLDS_VALUE(c) &&
			 json_node_get_value_type(c) == G_TYPE_STRING
			 ? column_index(h, json_node_get_string(c)) : -1;
	}
	lock(h);
	ok = load_ring(h, json_object_get_member(o, "hours"), h->hours,
		       STATS_HISTORY_HOURS, HOUR, map, ncols, error) &&
	     load_ring(h, json_object_get_member(o, "days"), h->days,
		       STATS_HISTORY_DAYS, DAY, map, ncols, error);
	if (ok && json_count(json_object_get_member(o, "since"), &since) &&
	    since > 0 && (h->since == 0 || since < h->since))
		h->since = since;
	for (unsigned i = 0; ok && i < STATS_HISTORY_HOURS; i++)
		if (h->hours[i].key > h->newest)
			h->newest = h->hours[i].key;
	unlock(h);
	return ok;
}

static const bucket *
find(const stats_history *h, int64_t key, bool by_day)
{
	const bucket *b = by_day
		? &h->days[(uint64_t)(key / DAY) % STATS_HISTORY_DAYS]
		: &h->hours[(uint64_t)(key / HOUR) % STATS_HISTORY_HOURS];

	return b->key == key ? b : NULL;
}

static int64_t
window_key(int64_t now, unsigned back, bool by_day)
{
	int64_t width = by_day ? DAY : HOUR;

	return now - now % width - (int64_t)back * width;
}

unsigned
stats_history_window(stats_history *h, int64_t now, unsigned n, bool by_day,
		     stats *out, int64_t *since)
{
	unsigned held = 0;

	lock(h);
	for (unsigned back = 0; back < n; back++) {
		const bucket *b = find(h, window_key(now, back, by_day), by_day);

		if (!b)
			continue;
		held++;
		for (unsigned c = 0; c < h->ncolumns; c++)
			if (b->counts[c])
				stats_add((atomic_uint_fast64_t *)(void *)
					  ((char *)out + h->columns[c].offset),
					  b->counts[c]);
	}
	if (since)
		*since = h->since;
	unlock(h);
	return held;
}

bool
stats_history_series(stats_history *h, const char *prefix, int64_t now,
		     unsigned n, bool by_day, uint64_t *out)
{
	size_t len = strlen(prefix);
	bool any = false;

	lock(h);
	for (unsigned back = 0; back < n; back++) {
		const bucket *b = find(h, window_key(now, back, by_day), by_day);
		uint64_t sum = 0;

		for (unsigned c = 0; c < h->ncolumns; c++) {
			const char *name = h->columns[c].name;

			if (strncmp(name, prefix, len) != 0 ||
			    (name[len] != '\0' && name[len] != '/'))
				continue;
			any = true;
			if (b)
				sum += b->counts[c];
		}
		out[n - 1 - back] = sum;
	}
	unlock(h);
	return any;
}
