/*
 * The report's figures (report_model.h): the documents summed into
 * counters, then sections of rows with their shares, the top clients,
 * the per-MTA rows; both renderers read the same.
 */
#include "report_model.h"
#include "report_window.h"
#include "report.h"

#include "stats_export.h"
#include "stats_load.h"
#include "utf8_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
report_add_row(GArray *rows, const char *label, uint64_t count, double percent)
{
	row r;

	utf8_copy(r.label, sizeof r.label, label);
	r.count = count;
	r.percent = percent;
	g_array_append_val(rows, r);
}

static uint64_t
uint_member(JsonObject *o, const char *name)
{
	gint64 v;

	if (o == NULL || !json_object_has_member(o, name))
		return 0;
	v = json_object_get_int_member_with_default(o, name, 0);
	return v > 0 ? (uint64_t)v : 0;
}

double
report_share(uint64_t part, uint64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}


static void
section_free(gpointer p)
{
	section *s = p;

	g_array_unref(s->rows);
	g_free(s);
}

static section *
new_section(report *r, const char *title, const char *key)
{
	section *s = g_new0(section, 1);

	s->title = title;
	s->key = key;
	s->rows = g_array_new(FALSE, FALSE, sizeof(row));
	g_ptr_array_add(r->sections, s);
	return s;
}

static const char *
ratio_label(const stats_histogram *h, unsigned i, char *buf, size_t len)
{
	if (i == h->nbounds)
		snprintf(buf, len, "over %g", h->bounds[i - 1]);
	else if (i == 0)
		snprintf(buf, len, "up to %g", h->bounds[0]);
	else
		snprintf(buf, len, "over %g up to %g", h->bounds[i - 1],
			 h->bounds[i]);
	return buf;
}

static uint64_t
counter(report *r, const char *family, unsigned i, unsigned j)
{
	return stats_get(stats_family_counter(&r->counters,
					      stats_family_named(family), i, j));
}

/* One row per used slot of a one-label family, "prefix value" or "value". */
static void
add_family(report *r, GArray *rows, const char *family, unsigned i,
	   const char *prefix, bool skip_zero, uint64_t whole)
{
	const stats_family *f = stats_family_named(family);
	const stats_dim *d = f->dims[1] != NULL ? f->dims[1] : f->dims[0];

	for (unsigned j = 0; j < d->count; j++) {
		uint64_t n = f->dims[1] != NULL ? counter(r, family, i, j)
						: counter(r, family, j, 0);
		char label[96];

		if (*d->value(j) == '\0' || (n == 0 && skip_zero))
			continue;
		if (prefix != NULL)
			snprintf(label, sizeof label, "%s %s", prefix, d->value(j));
		else
			g_strlcpy(label, d->value(j), sizeof label);
		report_add_row(rows, label, n, report_share(n, whole));
	}
}

/*
 * The counters of every document summed (histograms bucket by bucket, the
 * top-clients tables merged), the earliest start and the latest time.
 */
/*
 * Only where the sessions reached more than one MTA address and port (a
 * daemon shared by several MX hosts, or one MTA's ports 25 and 587):
 * each one's sessions, its HELO sessions and its violations.
 */
static void
mta_section(report *r)
{
	stats_mta_entry e[STATS_MTA_MAX];
	unsigned n = stats_mta_snapshot(&r->counters.mtas, e);
	uint64_t total = 0;
	section *s;

	if (n < 2)
		return;
	for (unsigned i = 0; i < n; i++)
		total += e[i].connections;
	s = new_section(r, "By MTA address (share of sessions; HELO: of its sessions)",
			"mtas");
	for (unsigned i = 0; i < n; i++) {
		char label[96];

		report_add_row(s->rows, e[i].name, e[i].connections,
			report_share(e[i].connections, total));
		snprintf(label, sizeof label, "%.*s HELO", STATS_MTA_NAME_MAX, e[i].name);
		report_add_row(s->rows, label, e[i].greetings[GREETING_HELO],
			report_share(e[i].greetings[GREETING_HELO], e[i].connections));
		snprintf(label, sizeof label, "%.*s transactions", STATS_MTA_NAME_MAX, e[i].name);
		report_add_row(s->rows, label, e[i].transactions, -1);
		snprintf(label, sizeof label, "%.*s violations", STATS_MTA_NAME_MAX, e[i].name);
		report_add_row(s->rows, label, e[i].violations, -1);
	}
}

/* TLS, cipher strength and AUTH; the policy requests where it ran. */
static void
security_sections(report *r)
{
	uint64_t total = 0;
	section *s;

	s = new_section(r, "Transport security (share of sessions, of transactions)",
			"transport");
	for (unsigned i = 0; i < TLS_COUNT; i++)
		total += counter(r, "tls_sessions", i, 0);
	add_family(r, s->rows, "tls_sessions", 0, "sessions", true, total);
	add_family(r, s->rows, "cipher_transactions", 0, "cipher bits", true,
		   r->transactions);
	add_family(r, s->rows, "auth_transactions", 0, "AUTH", true,
		   r->transactions);

	/* only where the Postfix policy service ran */
	total = 0;
	for (unsigned i = 0; i <= STATS_POLICY_BAD; i++)
		total += counter(r, "policy_requests", i, 0);
	if (total > 0) {
		s = new_section(r, "Postfix policy requests (share of requests)",
				"policy_requests");
		add_family(r, s->rows, "policy_requests", 0, NULL, true, total);
	}
}

/* Every document's counters summed into r, the earliest start kept. */
static bool
read_docs(JsonNode *const *docs, size_t ndocs, report *r, GError **error)
{
	stats_init(&r->counters);
	for (size_t i = 0; i < ndocs; i++) {
		g_autoptr(GError) why = NULL;
		JsonObject *o;
		int64_t start, time;

		if (!stats_from_json(&r->counters, docs[i], &why)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "not esmtp-milter statistics (%s)", why->message);
			stats_clear(&r->counters);
			return false;
		}
		o = json_node_get_object(docs[i]);
		if (json_object_has_member(o, "window") &&
		    JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "window"))) {
			JsonObject *w = json_object_get_object_member(o, "window");

			r->window.on = true;
			r->window.by_day = json_object_has_member(w, "days");
			r->window.n = (unsigned)uint_member(w, r->window.by_day ? "days" : "hours");
			r->window.from = (int64_t)uint_member(w, "from");
			r->window.to = (int64_t)uint_member(w, "to");
		}
		start = (int64_t)uint_member(o, "start_time");
		time = (int64_t)uint_member(o, "time");
		if (start > 0 && (r->start_time == 0 || start < r->start_time))
			r->start_time = start;
		if (time > r->time)
			r->time = time;
	}
	return true;
}

bool
report_build(JsonNode *const *docs, size_t ndocs, report *r, GError **error)
{
	section *s;
	uint64_t total, declared;
	stats_histogram *ratio;

	if (!read_docs(docs, ndocs, r, error))
		return false;
	r->transactions = counter(r, "transactions", 0, 0);
	r->connections = counter(r, "connections", 0, 0);
	r->messages = counter(r, "messages", 0, 0);
	r->octets = counter(r, "octets", 0, 0);
	r->sections = g_ptr_array_new_with_free_func(section_free);

	s = new_section(r, "Greetings (share of sessions)", "greetings");
	total = 0;
	for (unsigned g = 0; g < GREETING_COUNT; g++)
		total += counter(r, "greetings", g, 0);
	report_add_row(s->rows, "EHLO", counter(r, "greetings", GREETING_EHLO, 0),
		report_share(counter(r, "greetings", GREETING_EHLO, 0), total));
	report_add_row(s->rows, "HELO", counter(r, "greetings", GREETING_HELO, 0),
		report_share(counter(r, "greetings", GREETING_HELO, 0), total));
	report_add_row(s->rows, "unknown (MTA gives no sign)",
		counter(r, "greetings", GREETING_UNKNOWN, 0),
		report_share(counter(r, "greetings", GREETING_UNKNOWN, 0), total));

	s = new_section(r, "Parameters (share of transactions)", "parameters");
	for (unsigned c = 0; c < CMD_COUNT; c++)
		add_family(r, s->rows, "parameters", c,
			   esmtp_command_name((esmtp_command)c), true,
			   r->transactions);

	s = new_section(r, "BODY (share of transactions)", "body_types");
	add_family(r, s->rows, "body_types", 0, NULL, false, r->transactions);

	s = new_section(r, "SIZE declared (share of transactions)", "size_declared");
	declared = counter(r, "size_declared", 1, 0);
	report_add_row(s->rows, "transactions declaring SIZE", declared,
		report_share(declared, r->transactions));
	report_add_row(s->rows, "transactions without SIZE", counter(r, "size_declared", 0, 0),
		report_share(counter(r, "size_declared", 0, 0), r->transactions));

	/* the ratio is known only for a message that arrived whole: a
	   transaction refused or aborted before its end is not measured */
	s = new_section(r, "SIZE honesty (actual / declared; share of the messages that "
			"arrived whole; an exact SIZE is 1)", "size_honesty");
	ratio = &r->counters.size_ratio;
	for (unsigned i = 0; i <= ratio->nbounds; i++) {
		char label[64];
		uint64_t n = stats_get(&ratio->buckets[i]);

		report_add_row(s->rows, ratio_label(ratio, i, label, sizeof label), n,
			report_share(n, stats_get(&ratio->count)));
	}

	s = new_section(r, "Violations by rule and action (share of transactions)", "violations");
	for (unsigned rule = 0; rule < RULE_COUNT; rule++) {
		char prefix[32];

		snprintf(prefix, sizeof prefix, "%-22s", rule_token(rule));
		add_family(r, s->rows, "violations", rule, prefix, true,
			   r->transactions);
	}

	s = new_section(r, "Verdicts (share of transactions)", "verdicts");
	add_family(r, s->rows, "verdicts", 0, NULL, false, r->transactions);

	/* a window holds only what the history keeps */
	if (!r->window.on) {
		security_sections(r);
		mta_section(r);
		report_recent_build(docs, ndocs, &r->recent);
	}
	r->n_top_transactions = stats_top_snapshot(&r->counters.top_transactions,
						   r->top_transactions);
	r->n_top_violations = stats_top_snapshot(&r->counters.top_violations,
						 r->top_violations);
	return true;
}

bool
report_valid(JsonNode *doc, GError **error)
{
	report r = {0};

	if (!report_build(&doc, 1, &r, error))
		return false;
	g_ptr_array_unref(r.sections);
	stats_clear(&r.counters);
	return true;
}

void
report_free(report *r)
{
	g_ptr_array_unref(r->sections);
	stats_clear(&r->counters);
}

/* The fullest profile of a client: from the transactions table if there. */
const stats_profile *
report_profile_of(const report *r, const stats_top_entry *e)
{
	for (unsigned i = 0; i < r->n_top_transactions; i++)
		if (strcmp(r->top_transactions[i].address, e->address) == 0)
			return &r->top_transactions[i].profile;
	return &e->profile;
}


typedef struct {
	const report *r;
	rule_id rule;
} sort_by;

static int
by_would_refuse(const void *a, const void *b, void *data)
{
	const sort_by *s = data;
	const stats_top_entry *x = *(const stats_top_entry *const *)a;
	const stats_top_entry *y = *(const stats_top_entry *const *)b;
	uint32_t nx = report_profile_of(s->r, x)->would_refuse[s->rule];
	uint32_t ny = report_profile_of(s->r, y)->would_refuse[s->rule];

	if (nx != ny)
		return nx < ny ? 1 : -1;
	return strcmp(x->address, y->address);
}

/* The clients of both top tables, each once. */
static unsigned
candidates(const report *r, const stats_top_entry **out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->n_top_transactions; i++)
		out[n++] = &r->top_transactions[i];
	for (unsigned i = 0; i < r->n_top_violations; i++) {
		bool seen = false;

		for (unsigned k = 0; k < r->n_top_transactions && !seen; k++)
			seen = strcmp(r->top_transactions[k].address,
				      r->top_violations[i].address) == 0;
		if (!seen)
			out[n++] = &r->top_violations[i];
	}
	return n;
}

unsigned
report_readiness(const report *r, readiness_row *out)
{
	const stats_top_entry *all[2 * STATS_TOP_K];
	unsigned nall = candidates(r, all), n = 0;

	for (unsigned rule = 0; rule < RULE_COUNT; rule++) {
		readiness_row *rr = &out[n];
		uint64_t t = stats_get((atomic_uint_fast64_t *)&r->counters.would_refuse[rule]);

		if (t == 0)
			continue;
		memset(rr, 0, sizeof *rr);
		rr->rule = (rule_id)rule;
		rr->transactions = t;
		rr->clients = stats_distinct_estimate(&r->counters.would_refuse_clients[rule]);
		qsort_r(all, nall, sizeof *all, by_would_refuse,
			&(sort_by){r, (rule_id)rule});
		for (unsigned i = 0; i < nall && rr->ntop < REPORT_READINESS_CLIENTS; i++)
			if (report_profile_of(r, all[i])->would_refuse[rule] > 0)
				rr->top[rr->ntop++] = all[i];
		n++;
	}
	return n;
}

void
report_other_rules(const stats_profile *p, rule_id rule, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < RULE_COUNT; k++) {
		if (k == rule || p->violations[k] == 0)
			continue;
		used += (size_t)snprintf(buf + MIN(used, len - 1), len - MIN(used, len - 1),
					 "%s%s %u", used ? ", " : "",
					 rule_token((rule_id)k), p->violations[k]);
	}
}

void
report_headlines(const report *r, report_headline *h)
{
	report_human_count(r->connections, h->sessions, sizeof h->sessions);
	report_human_count(r->transactions, h->transactions, sizeof h->transactions);
	report_human_count(r->messages, h->messages, sizeof h->messages);
	report_human_octets(r->octets, h->octets, sizeof h->octets);
}
