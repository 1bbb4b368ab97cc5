/*
 * The esmtp-milter-stats report: from the JSON the daemon serves on
 * /stats.json (or saves in its state file) to a page a person reads at a
 * glance, or to the same figures as JSON.
 *
 * How the report tool reports what goes wrong: every function returns
 * false or NULL with a GError; main() (stats_main.c) alone prints it, as
 * "esmtp-milter-stats: what", and picks the sysexits.h status.
 *
 * Implemented by: report.c, html.c, units.c, report_model.c and
 * stats_main.c.
 */
#ifndef ESMTP_REPORT_H
#define ESMTP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/* "12.3k", "4.5M": counts for people. */
void report_human_count(uint64_t n, char *buf, size_t len);
/* "512 B", "4.5 MiB": octets for people. */
void report_human_octets(uint64_t n, char *buf, size_t len);

/*
 * The report over one or several daemons' documents, named by their
 * sources (false with error when a document is not the statistics): the
 * counters summed, histograms merged bucket by bucket, the top-clients
 * tables merged; the text adds a line per instance with its headline
 * figures, the JSON is {"merged": ..., "instances": [..., "source"]}
 * (with one document, exactly the single report).
 */
/* Whether a document is the daemon's statistics; the reason if not. */
bool report_valid(JsonNode *doc, GError **error);
bool report_text_many(JsonNode *const *docs, const char *const *names,
		      size_t ndocs, GString *out, GError **error);
JsonNode *report_json_many(JsonNode *const *docs, const char *const *names,
			   size_t ndocs, GError **error);
/*
 * The same as one self-contained HTML page (inline CSS and SVG charts, no
 * script): served says it is the daemon's page at /, which links to
 * /metrics and /stats.json.
 */
bool report_html_many(JsonNode *const *docs, const char *const *names,
		      size_t ndocs, bool served, GString *out, GError **error);

#endif
