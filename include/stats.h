/*
 * Usage counters. Every counter is a relaxed atomic: counting takes no
 * lock on the per-message path. The session core counts through these
 * functions; a NULL stats pointer counts nothing.
 */
#ifndef ESMTP_STATS_H
#define ESMTP_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "esmtp_param.h"
#include "registry.h"
#include "rules.h"

#define STATS_REGISTRY_MAX REGISTRY_MAX

typedef enum {
	GREETING_UNKNOWN,
	GREETING_HELO,
	GREETING_EHLO,
	GREETING_COUNT
} greeting_type;

typedef enum {
	BODY_NONE,
	BODY_7BIT,
	BODY_8BITMIME,
	BODY_BINARYMIME,
	BODY_COUNT
} body_type;

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

/* The action column after the real actions: exempt sessions. */
#define STATS_ACTION_EXEMPT ACTION_COUNT

typedef enum {
	UNKNOWN_CMD_PRIVATE,
	UNKNOWN_CMD_UNREGISTERED,
	UNKNOWN_CMD_COUNT
} unknown_cmd_class;

typedef struct {
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
} stats;

void stats_init(stats *s);

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
