/*
 * Inside the report layer: the report as figures, built once from the
 * daemon's JSON documents and rendered as text and JSON (report.c) and as
 * an HTML page (html.c). The documents are read back into counters
 * through the statistics families (stats_export.h), so the report names
 * what the daemon counts and nothing else.
 */
#ifndef ESMTP_REPORT_MODEL_H
#define ESMTP_REPORT_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "stats.h"

/* One figure of the report, shared by the text and the JSON forms. */
typedef struct {
	char label[96];
	uint64_t count;
	double percent;		/* < 0: no share column */
} row;

typedef struct {
	const char *title;
	const char *key;
	GArray *rows;
} section;

/*
 * The recent figures, from the documents' histories merged by hour and
 * day (report_window.c): the headline figures over the last 24 hours
 * (now's hour and the 23 before) and the last 7 days (today and the 6
 * before, UTC), and three series for the page's charts.
 */
#define REPORT_HOURS 48
#define REPORT_DAYS 90
typedef enum {
	RECENT_SESSIONS, RECENT_TRANSACTIONS, RECENT_MESSAGES, RECENT_REJECTED,
	RECENT_VIOLATIONS, RECENT_SIZE_LIES, RECENT_HELO, RECENT_COUNT
} recent_figure;
typedef enum { SERIES_TRANSACTIONS, SERIES_VIOLATIONS, SERIES_SIZE_LIES,
	       SERIES_COUNT } recent_series;
typedef struct {
	bool present;		/* a document has a history */
	int64_t now;		/* the latest document's time */
	uint64_t day[RECENT_COUNT], week[RECENT_COUNT];
	uint64_t hours[SERIES_COUNT][REPORT_HOURS];	/* oldest first */
	uint64_t days[SERIES_COUNT][REPORT_DAYS];
} report_recent;

/* A report over a window of the history (esmtp-milter-stats --since):
   the documents were made by report_window_docs(). */
typedef struct {
	bool on;
	unsigned n;		/* hours or days */
	bool by_day;
	int64_t from, to;	/* seconds since the epoch */
} report_window;

typedef struct {
	stats counters;		/* read back through the statistics families */
	report_window window;
	report_recent recent;
	uint64_t transactions, connections, messages, octets;
	int64_t start_time, time;
	GPtrArray *sections;	/* section */
	stats_top_entry top_transactions[STATS_TOP_K];
	stats_top_entry top_violations[STATS_TOP_K];
	unsigned n_top_transactions, n_top_violations;
} report;

/*
 * Enforcement readiness, one row per rule that reject would have refused
 * transactions of (rules at log, or any under dry_run): how many, about
 * how many distinct clients, and the clients of the top tables with most
 * such transactions, best first.
 */
#define REPORT_READINESS_CLIENTS 5
typedef struct {
	rule_id rule;
	uint64_t transactions;
	uint64_t clients;
	const stats_top_entry *top[REPORT_READINESS_CLIENTS];
	unsigned ntop;
} readiness_row;
/* Fills out (RULE_COUNT rows at most); returns the number of rows. */
unsigned report_readiness(const report *r, readiness_row *out);
/* A client's other rules broken, "size_overrun 78, param_private 2", or
   "" (the caller's buffer). */
void report_other_rules(const stats_profile *p, rule_id rule, char *buf,
			size_t len);

/* The headline figures for people: "12.3k", "4.5 MiB". */
typedef struct {
	char sessions[32], transactions[32], messages[32], octets[32];
} report_headline;
void report_headlines(const report *r, report_headline *h);

/* part / whole in percent, 0 for an empty whole. */
double report_share(uint64_t part, uint64_t whole);
void report_add_row(GArray *rows, const char *label, uint64_t count,
		    double percent);
/* The report of one or several documents (summed); false with error. */
bool report_build(JsonNode *const *docs, size_t ndocs, report *r,
		  GError **error);
void report_free(report *r);
/* The fullest profile of a client: from the transactions table if there. */
const stats_profile *report_profile_of(const report *r,
				       const stats_top_entry *e);

#endif
