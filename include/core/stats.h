/*
 * Usage counters. Every counter is a relaxed atomic: counting takes no
 * lock on the per-message path. The session core counts through these
 * functions; a NULL stats pointer counts nothing.
 *
 * Implemented by: stats.c and stats_mta.c (the table per MTA).
 */
#ifndef ESMTP_STATS_H
#define ESMTP_STATS_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "esmtp_param.h"
#include "policy_request.h"
#include "registry.h"
#include "rules.h"
#include "transport.h"

#define STATS_REGISTRY_MAX REGISTRY_MAX

typedef enum {
	GREETING_UNKNOWN,
	GREETING_HELO,
	GREETING_EHLO,
	GREETING_COUNT
} greeting_type;

typedef enum {
	VERDICT_ACCEPT,
	VERDICT_REJECT,
	VERDICT_TEMPFAIL,
	VERDICT_ABORT,
	VERDICT_COUNT
} verdict_type;

/* Parameter buckets after the registry rows: bounded label cardinality. */
enum {
	STATS_PARAM_PRIVATE = STATS_REGISTRY_MAX,
	STATS_PARAM_UNREGISTERED,
	STATS_PARAM_INVALID,
	STATS_PARAM_SLOTS
};

/* Policy requests by protocol_state, then those that could not be read. */
#define STATS_POLICY_BAD POLICY_STATE_COUNT

/* The action column after the real actions: exempt sessions. */
#define STATS_ACTION_EXEMPT ACTION_COUNT

typedef enum {
	UNKNOWN_CMD_PRIVATE,
	UNKNOWN_CMD_UNREGISTERED,
	UNKNOWN_CMD_COUNT
} unknown_cmd_class;

typedef enum {
	STATS_STAGE_CONNECT,
	STATS_STAGE_HELO,
	STATS_STAGE_MAIL,
	STATS_STAGE_RCPT,
	STATS_STAGE_HEADER,
	STATS_STAGE_BODY,
	STATS_STAGE_EOM,
	STATS_STAGE_POLICY,	/* one Postfix policy request */
	STATS_STAGE_COUNT
} stats_stage;

#define STATS_HIST_MAX_BOUNDS 12

/*
 * A fixed-bucket histogram. buckets[i] counts observations in
 * (bounds[i-1], bounds[i]]; buckets[nbounds] the rest (+Inf). The sum is
 * kept as an integer of value * scale so that it can be atomic.
 */
typedef struct {
	const double *bounds;
	unsigned nbounds;
	double scale;
	atomic_uint_fast64_t buckets[STATS_HIST_MAX_BOUNDS + 1];
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_scaled;
} stats_histogram;

#define STATS_TOP_K 50
#define STATS_ADDR_MAX 64
#define STATS_HELO_MAX 128

/*
 * The clients with the most transactions (or violations): space-saving
 * top-k (Metwally et al.). Memory is bounded by STATS_TOP_K whatever the
 * traffic; count overestimates a client's true count by at most error.
 * Updated once per connection, at its close, never per message.
 */
/*
 * How one client used ESMTP, summed over its sessions: every greeting it
 * used (a bit per greeting_type, unknown left out), the registered
 * keywords it used (a bit per registry row), how honest its SIZE
 * declarations were, and its violations by rule.
 */
#define STATS_GREETING_BIT(g) ((uint8_t)(1u << (g)))
typedef struct {
	uint8_t greetings;		/* STATS_GREETING_BIT(greeting_type) */
	uint8_t tls;			/* tls_version, the last session's */
	uint32_t keywords;		/* 1 << registry_index(row) */
	uint64_t size_declared;		/* transactions declaring SIZE */
	uint64_t size_overruns;		/* of those, the ones that overran it */
	uint64_t size_overrun_max;	/* the most octets beyond SIZE */
	uint32_t violations[RULE_COUNT];
	uint32_t would_refuse[RULE_COUNT];	/* transactions reject would
						   have refused, by rule */
} stats_profile;

_Static_assert(REGISTRY_MAX <= sizeof(((stats_profile *)NULL)->keywords) * 8,
	       "a profile's keywords have a bit for each registry row");

typedef struct {
	char address[STATS_ADDR_MAX];
	char helo[STATS_HELO_MAX];
	uint64_t count;
	uint64_t error;
	stats_profile profile;
} stats_top_entry;

typedef struct {
	GMutex lock;
	unsigned n;
	stats_top_entry entries[STATS_TOP_K];
} stats_top;

/*
 * The MTA end of the sessions ("192.0.2.10:25", "[2001:db8::1]:25"): one
 * row per address and port the clients reached, so that a daemon shared
 * by several MX hosts (or one MTA's port 25 and 587) tells them apart.
 * Bounded: past STATS_MTA_MAX - 1 ends, the rest share the row "other".
 * Updated once per connection, at its close.
 */
#define STATS_MTA_MAX 32
#define STATS_MTA_NAME_MAX 56
#define STATS_MTA_OTHER "other"

typedef struct {
	char name[STATS_MTA_NAME_MAX];
	uint64_t connections;
	uint64_t greetings[GREETING_COUNT];
	uint64_t transactions;
	uint64_t violations;
} stats_mta_entry;

typedef struct {
	GMutex lock;
	unsigned n;
	stats_mta_entry entries[STATS_MTA_MAX];
} stats_mtas;

/*
 * How many distinct clients, estimated in a fixed 256 octets whatever the
 * traffic: a HyperLogLog sketch (Flajolet et al.), about 6.5% standard
 * error, merged across restarts and sources by taking each register's
 * maximum. Updated once per connection, at its close.
 */
#define STATS_DISTINCT_REGISTERS 256
typedef struct {
	_Atomic uint8_t reg[STATS_DISTINCT_REGISTERS];
} stats_distinct;

void stats_distinct_add(stats_distinct *d, const char *item);
/* b's registers into a's (each the larger). */
void stats_distinct_merge(stats_distinct *a, const uint8_t *b);
uint64_t stats_distinct_estimate(const stats_distinct *d);

/* stats_history.h: the counts by hour and by day. */
typedef struct stats_history stats_history;

typedef struct {
	int64_t start_time;	/* seconds since the epoch */
	atomic_uint_fast64_t connections;
	atomic_int_fast64_t active_connections;
	atomic_uint_fast64_t greetings[GREETING_COUNT];
	atomic_uint_fast64_t transactions;
	atomic_uint_fast64_t messages;
	atomic_uint_fast64_t octets;
	atomic_uint_fast64_t params[CMD_COUNT][STATS_PARAM_SLOTS];
	atomic_uint_fast64_t body_types[BODY_COUNT];
	atomic_uint_fast64_t size_declared[2];	/* [0] without, [1] with */
	atomic_uint_fast64_t violations[RULE_COUNT][ACTION_COUNT + 1];
	atomic_uint_fast64_t verdicts[VERDICT_COUNT];
	atomic_uint_fast64_t unknown_commands[UNKNOWN_CMD_COUNT];
	atomic_uint_fast64_t reloads[2];	/* [0] failed, [1] succeeded */
	atomic_uint_fast64_t policy_requests[STATS_POLICY_BAD + 1];
	atomic_uint_fast64_t sessions_refused;	/* over the session cap */
	atomic_uint_fast64_t sessions_timed_out;	/* the MTA fell silent */
	atomic_uint_fast64_t tls_sessions[TLS_COUNT];
	atomic_uint_fast64_t tls_transactions[TLS_COUNT];
	atomic_uint_fast64_t cipher_transactions[CIPHER_COUNT];
	atomic_uint_fast64_t auth_transactions[AUTH_COUNT];	/* [0] unused */
	stats_histogram size_ratio;	/* actual / declared size */
	stats_histogram message_size;	/* octets */
	stats_histogram processing[STATS_STAGE_COUNT];	/* seconds */
	stats_top top_transactions;
	stats_top top_violations;
	stats_mtas mtas;
	atomic_uint_fast64_t would_refuse[RULE_COUNT];
	stats_distinct would_refuse_clients[RULE_COUNT];
	/* NULL: none kept (the report's sums); the daemon's owns one,
	   sampled and written by stats_to_json(), read back by the loader */
	stats_history *history;
} stats;

void stats_init(stats *s);
void stats_clear(stats *s);

void stats_observe(stats_histogram *h, double value);
/* One connection's totals and profile (may be NULL), at its close. */
void stats_client_done(stats *s, const char *address, const char *helo,
		       uint64_t transactions, uint64_t violations,
		       const stats_profile *profile);
/* profile may be NULL; it is merged into the client's own. */
void stats_top_add(stats_top *t, const char *address, const char *helo,
		   uint64_t weight, const stats_profile *profile);
/* b's figures added to a's (keywords joined, the larger maximum kept). */
void stats_profile_merge(stats_profile *a, const stats_profile *b);
/* A sorted copy (highest count first); returns the number of entries. */
unsigned stats_top_snapshot(stats_top *t, stats_top_entry *out);
/* e's figures added to the row named e->name (or to "other"). */
void stats_mta_add(stats_mtas *t, const stats_mta_entry *e);
/* A copy sorted by name, "other" last; returns the number of rows. */
unsigned stats_mta_snapshot(stats_mtas *t, stats_mta_entry *out);

const char *stats_stage_name(stats_stage stage);
const char *stats_param_name(unsigned slot);	/* "" for unused slots */

static inline void
stats_add(atomic_uint_fast64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static inline uint64_t
stats_get(atomic_uint_fast64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

const char *greeting_name(greeting_type g);
const char *body_type_name(body_type b);
const char *verdict_name(verdict_type v);

#endif
