/*
 * Usage counters: atomics bumped by the session core. The exposition
 * (Prometheus text, JSON, the state file) reads them without locking.
 */
#include "stats.h"

#include "core_lock.h"
#include "name_code.h"
#include "utf8_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double ratio_bounds[] = {0.5, 0.9, 1.0, 1.1, 1.5, 2, 5, 10};
static const double size_bounds[] = {
	1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
	67108864};
static const double time_bounds[] = {
	0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01, 0.05,
	0.1, 1};

static void
histogram_init(stats_histogram *h, const double *bounds, unsigned n,
	       double scale)
{
	h->bounds = bounds;
	h->nbounds = n;
	h->scale = scale;
}

void
stats_init(stats *s)
{
	memset(s, 0, sizeof *s);
	s->start_time = g_get_real_time() / G_USEC_PER_SEC;
	histogram_init(&s->size_ratio, ratio_bounds,
		       G_N_ELEMENTS(ratio_bounds), 1000);
	histogram_init(&s->message_size, size_bounds,
		       G_N_ELEMENTS(size_bounds), 1);
	for (unsigned i = 0; i < STATS_STAGE_COUNT; i++)
		histogram_init(&s->processing[i], time_bounds,
			       G_N_ELEMENTS(time_bounds), 1e9);
	g_mutex_init(&s->top_transactions.lock);
	g_mutex_init(&s->top_violations.lock);
	g_mutex_init(&s->mtas.lock);
}

void
stats_clear(stats *s)
{
	g_mutex_clear(&s->top_transactions.lock);
	g_mutex_clear(&s->top_violations.lock);
	g_mutex_clear(&s->mtas.lock);
}

void
stats_observe(stats_histogram *h, double value)
{
	unsigned i = 0;
	double scaled;

	while (i < h->nbounds && value > h->bounds[i])
		i++;
	stats_add(&h->buckets[i], 1);
	stats_add(&h->count, 1);
	scaled = value * h->scale;
	if (scaled > 0)
		stats_add(&h->sum_scaled, scaled < 1.8e19 ? (uint64_t)scaled
							  : UINT64_MAX / 2);
}

void
stats_profile_merge(stats_profile *a, const stats_profile *b)
{
	a->greetings |= b->greetings;
	if (b->tls != TLS_UNKNOWN)
		a->tls = b->tls;
	a->keywords |= b->keywords;
	a->size_declared += b->size_declared;
	a->size_overruns += b->size_overruns;
	a->size_overrun_max = MAX(a->size_overrun_max, b->size_overrun_max);
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		a->violations[r] += b->violations[r];
		a->would_refuse[r] += b->would_refuse[r];
	}
}

/* FNV-1a, 64 bits: the sketch wants every bit of the hash to count. */
static uint64_t
hash64(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	/* a final mix, so that similar addresses spread over the registers */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void
register_max(_Atomic uint8_t *r, uint8_t v)
{
	uint8_t was = atomic_load_explicit(r, memory_order_relaxed);

	while (v > was && !atomic_compare_exchange_weak_explicit(
			r, &was, v, memory_order_relaxed, memory_order_relaxed))
		;
}

void
stats_distinct_add(stats_distinct *d, const char *item)
{
	uint64_t h = hash64(item);
	uint64_t rest = h << 8;		/* the 56 bits after the index */
	uint8_t rank = rest == 0 ? 57 : (uint8_t)(__builtin_clzll(rest) + 1);

	register_max(&d->reg[h >> 56], rank);
}

void
stats_distinct_merge(stats_distinct *a, const uint8_t *b)
{
	for (unsigned i = 0; i < STATS_DISTINCT_REGISTERS; i++)
		register_max(&a->reg[i], b[i]);
}

uint64_t
stats_distinct_estimate(const stats_distinct *d)
{
	const double m = STATS_DISTINCT_REGISTERS;
	double sum = 0, e;
	unsigned zeros = 0;

	for (unsigned i = 0; i < STATS_DISTINCT_REGISTERS; i++) {
		uint8_t v = atomic_load_explicit(&d->reg[i], memory_order_relaxed);

		sum += 1.0 / (double)((uint64_t)1 << MIN(v, 63));
		zeros += v == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	/* few items: count the empty registers instead */
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return (uint64_t)(e + 0.5);
}

void
stats_top_add(stats_top *t, const char *address, const char *helo,
	      uint64_t weight, const stats_profile *profile)
{
	stats_top_entry *e = NULL;
	char key[STATS_ADDR_MAX];

	if (weight == 0 || address == NULL)
		return;
	/* the entry is named by what fits of the address, whole characters */
	utf8_copy(key, sizeof key, address);
	core_lock(&t->lock);
	for (unsigned i = 0; i < t->n && e == NULL; i++)
		if (strcmp(t->entries[i].address, key) == 0)
			e = &t->entries[i];
	if (e == NULL && t->n < STATS_TOP_K) {
		e = &t->entries[t->n++];
		memset(e, 0, sizeof *e);
		g_strlcpy(e->address, key, sizeof e->address);
	} else if (e == NULL) {
		/* replace the smallest: it inherits its count as error */
		e = &t->entries[0];
		for (unsigned i = 1; i < t->n; i++)
			if (t->entries[i].count < e->count)
				e = &t->entries[i];
		e->error = e->count;
		g_strlcpy(e->address, key, sizeof e->address);
		/* the profile is the newcomer's alone */
		memset(&e->profile, 0, sizeof e->profile);
	}
	e->count += weight;
	if (profile != NULL)
		stats_profile_merge(&e->profile, profile);
	if (helo != NULL && *helo != '\0')
		utf8_copy(e->helo, sizeof e->helo, helo);
	core_unlock(&t->lock);
}

static int
top_cmp(const void *a, const void *b)
{
	const stats_top_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->address, y->address);
}

unsigned
stats_top_snapshot(stats_top *t, stats_top_entry *out)
{
	unsigned n;

	core_lock(&t->lock);
	n = t->n;
	memcpy(out, t->entries, n * sizeof *out);
	core_unlock(&t->lock);
	qsort(out, n, sizeof *out, top_cmp);
	return n;
}

void
stats_client_done(stats *s, const char *address, const char *helo,
		  uint64_t transactions, uint64_t violations,
		  const stats_profile *profile)
{
	stats_top_add(&s->top_transactions, address, helo, transactions,
		      profile);
	stats_top_add(&s->top_violations, address, helo, violations, profile);
}

static const name_code stage_names[] = {
	{"connect", STATS_STAGE_CONNECT}, {"helo", STATS_STAGE_HELO},
	{"mail", STATS_STAGE_MAIL}, {"rcpt", STATS_STAGE_RCPT},
	{"header", STATS_STAGE_HEADER}, {"body", STATS_STAGE_BODY},
	{"eom", STATS_STAGE_EOM}, {"policy", STATS_STAGE_POLICY},
};
_Static_assert(G_N_ELEMENTS(stage_names) == STATS_STAGE_COUNT,
	       "a name for each processing stage");

const char *
stats_stage_name(stats_stage stage)
{
	return name_code_name(stage_names, G_N_ELEMENTS(stage_names),
			      (int)stage, "unknown");
}

const char *
stats_param_name(unsigned slot)
{
	if (slot < registry_count)
		return registry_table[slot].keyword;
	switch (slot) {
	case STATS_PARAM_PRIVATE:
		return "private";
	case STATS_PARAM_UNREGISTERED:
		return "unregistered";
	case STATS_PARAM_INVALID:
		return "invalid";
	}
	return "";
}

static const name_code greeting_names[] = {
	{"unknown", GREETING_UNKNOWN}, {"helo", GREETING_HELO},
	{"ehlo", GREETING_EHLO},
};
_Static_assert(G_N_ELEMENTS(greeting_names) == GREETING_COUNT,
	       "a name for each greeting");

static const name_code verdict_names[] = {
	{"accept", VERDICT_ACCEPT}, {"reject", VERDICT_REJECT},
	{"tempfail", VERDICT_TEMPFAIL}, {"abort", VERDICT_ABORT},
};
_Static_assert(G_N_ELEMENTS(verdict_names) == VERDICT_COUNT,
	       "a name for each verdict");

const char *
greeting_name(greeting_type g)
{
	return name_code_name(greeting_names, G_N_ELEMENTS(greeting_names),
			      (int)g, "unknown");
}

const char *
body_type_name(body_type b)
{
	return registry_body_name(b);
}

const char *
verdict_name(verdict_type v)
{
	return name_code_name(verdict_names, G_N_ELEMENTS(verdict_names),
			      (int)v, "abort");
}
