/*
 * The counters as text: Prometheus exposition format for /metrics, JSON
 * for /stats.json and the state file (one schema for both), and reading
 * that JSON back to restore the counters at start.
 */
#ifndef ESMTP_STATS_EXPORT_H
#define ESMTP_STATS_EXPORT_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "stats.h"

#define STATS_JSON_VERSION 1

char *stats_prometheus_text(stats *s);
JsonNode *stats_to_json(stats *s);
char *stats_json_text(stats *s, bool pretty);
/* Adds the saved counts to s (which is normally fresh). */
bool stats_from_json(stats *s, JsonNode *root, GError **error);

/* The summary line's text: totals and what changed since prev. */
typedef struct {
	uint64_t connections, transactions, messages, rejected, tempfailed,
		 violations;
} summary_totals;
void summary_read(stats *s, summary_totals *out);
void summary_format(const summary_totals *now, const summary_totals *prev,
		    unsigned interval, char *buf, size_t len);

#endif
