/*
 * Reading saved statistics back into counters: stats_from_json() for a
 * parsed document (esmtp-milter-stats reads its sources with it), and
 * stats_load_text() for a state file's text, losing as little as can be
 * lost.
 *
 * stats_load_text() adds what the len octets of text hold to s (normally
 * fresh). Octets that are not UTF-8 (an older daemon could cut a client's
 * greeting in the middle of a character) are read as '?' and counted in
 * out->replaced: the JSON parser would otherwise refuse the whole text for
 * one of them. A member that does not read (a family of counters, the
 * top-clients tables, the rows per MTA) adds nothing and is named in
 * out->lost; everything else is restored and true returned. False, with
 * s back at zero and error set, only for text that is not JSON or not
 * esmtp-milter statistics at all. stats_load_outcome_clear() frees what
 * out holds.
 */
#ifndef ESMTP_STATS_LOAD_H
#define ESMTP_STATS_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "stats.h"

typedef struct {
	GPtrArray *lost;	/* JSON member names, strings */
	unsigned replaced;	/* octets read as '?' */
} stats_load_outcome;

/* Adds the saved counts to s (which is normally fresh); false, with
   nothing trusted, when any member is bad. */
bool stats_from_json(stats *s, JsonNode *root, GError **error);
/* The same for a state file, which should cost as little as it can:
   every member that reads is added, the families of the bad ones are
   appended to lost (strings to g_free) and add nothing. False only for a
   document that is not esmtp-milter statistics at all. */
bool stats_from_json_partial(stats *s, JsonNode *root, GPtrArray *lost,
			     GError **error);

bool stats_load_text(stats *s, const char *text, size_t len,
		     stats_load_outcome *out, GError **error);
void stats_load_outcome_clear(stats_load_outcome *out);

#endif
