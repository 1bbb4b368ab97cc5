/*
 * The report over a window of the daemons' history, and the recent
 * figures beside "since start" (stats_history.h keeps the history).
 *
 * esmtp-milter-stats --since DURATION: each document is replaced by one of
 * the same form whose counters are its history's sums over the window,
 * with a "window" member saying which buckets it holds; the report is
 * then built from those as from any document. The window ends at the
 * latest document's time and is the same wall-clock span for every
 * source, so sources merge by hour and by day. Only the families the
 * history keeps are in it: not the top clients, the rows per MTA, TLS and
 * AUTH, or message sizes.
 */
#ifndef ESMTP_REPORT_WINDOW_H
#define ESMTP_REPORT_WINDOW_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "report_model.h"

typedef struct {
	unsigned n;
	bool by_day;
} report_span;

/* "24h" (1 to 48 hours), "7d" (1 to 400 days), "2w"; false with error. */
bool report_span_parse(const char *text, report_span *out, GError **error);
/* The documents over the span, new references in a new array. */
GPtrArray *report_window_docs(JsonNode *const *docs, size_t ndocs,
			      const report_span *span);
/* A window document's sentence for a person when its history does not
   cover the span ("holds 3 of these 7 days, since ..."), or NULL. */
char *report_window_note(JsonNode *doc);
/* One of the recent figures of a set of counters. */
uint64_t report_recent_figure(stats *st, recent_figure f);
extern const char *const report_recent_names[RECENT_COUNT];
/* "over the last 7 days, 2026-11-30 00:00 to 2026-12-06 16:40 UTC" */
char *report_window_text(const report_window *w);
/* The recent figures of the documents' histories merged. */
void report_recent_build(JsonNode *const *docs, size_t ndocs,
			 report_recent *out);

#endif
