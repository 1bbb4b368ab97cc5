/*
 * The report: greetings, transactions, parameters with their share of
 * transactions, SIZE honesty, violations by rule and action, top clients.
 * Aligned columns and human units. The JSON is read back into counters
 * through the statistics families (stats_export.h), so the report names
 * what the daemon counts and nothing else.
 */
#include "report.h"

#include "stats.h"
#include "stats_export.h"

#include <stdio.h>
#include <string.h>

static uint64_t
uint_member(JsonObject *o, const char *name)
{
	gint64 v;

	if (o == NULL || !json_object_has_member(o, name))
		return 0;
	v = json_object_get_int_member_with_default(o, name, 0);
	return v > 0 ? (uint64_t)v : 0;
}

static double
share(uint64_t part, uint64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* One figure of the report, shared by the text and the JSON forms. */
typedef struct {
	char label[96];
	uint64_t count;
	double percent;		/* < 0: no share column */
} row;

static void
add_row(GArray *rows, const char *label, uint64_t count, double percent)
{
	row r;

	g_strlcpy(r.label, label, sizeof r.label);
	r.count = count;
	r.percent = percent;
	g_array_append_val(rows, r);
}

typedef struct {
	const char *title;
	const char *key;
	GArray *rows;
} section;

typedef struct {
	stats counters;		/* read back through the statistics families */
	uint64_t transactions, connections, messages, octets;
	int64_t start_time, time;
	GPtrArray *sections;	/* section */
	stats_top_entry top_transactions[STATS_TOP_K];
	stats_top_entry top_violations[STATS_TOP_K];
	unsigned n_top_transactions, n_top_violations;
} report;

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
		add_row(rows, label, n, share(n, whole));
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

		add_row(s->rows, e[i].name, e[i].connections,
			share(e[i].connections, total));
		snprintf(label, sizeof label, "%.*s HELO", STATS_MTA_NAME_MAX, e[i].name);
		add_row(s->rows, label, e[i].greetings[GREETING_HELO],
			share(e[i].greetings[GREETING_HELO], e[i].connections));
		snprintf(label, sizeof label, "%.*s transactions", STATS_MTA_NAME_MAX, e[i].name);
		add_row(s->rows, label, e[i].transactions, -1);
		snprintf(label, sizeof label, "%.*s violations", STATS_MTA_NAME_MAX, e[i].name);
		add_row(s->rows, label, e[i].violations, -1);
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
		start = (int64_t)uint_member(o, "start_time");
		time = (int64_t)uint_member(o, "time");
		if (start > 0 && (r->start_time == 0 || start < r->start_time))
			r->start_time = start;
		if (time > r->time)
			r->time = time;
	}
	return true;
}

static bool
build_many(JsonNode *const *docs, size_t ndocs, report *r, GError **error)
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
	add_row(s->rows, "EHLO", counter(r, "greetings", GREETING_EHLO, 0),
		share(counter(r, "greetings", GREETING_EHLO, 0), total));
	add_row(s->rows, "HELO", counter(r, "greetings", GREETING_HELO, 0),
		share(counter(r, "greetings", GREETING_HELO, 0), total));
	add_row(s->rows, "unknown (MTA gives no sign)",
		counter(r, "greetings", GREETING_UNKNOWN, 0),
		share(counter(r, "greetings", GREETING_UNKNOWN, 0), total));

	s = new_section(r, "Parameters (share of transactions)", "parameters");
	for (unsigned c = 0; c < CMD_COUNT; c++)
		add_family(r, s->rows, "parameters", c,
			   esmtp_command_name((esmtp_command)c), true,
			   r->transactions);

	s = new_section(r, "BODY (share of transactions)", "body_types");
	add_family(r, s->rows, "body_types", 0, NULL, false, r->transactions);

	s = new_section(r, "SIZE honesty (actual / declared size; an exact SIZE is 1)", "size_honesty");
	declared = counter(r, "size_declared", 1, 0);
	add_row(s->rows, "transactions declaring SIZE", declared,
		share(declared, r->transactions));
	ratio = &r->counters.size_ratio;
	for (unsigned i = 0; i <= ratio->nbounds; i++) {
		char label[64];
		uint64_t n = stats_get(&ratio->buckets[i]);

		add_row(s->rows, ratio_label(ratio, i, label, sizeof label), n,
			share(n, stats_get(&ratio->count)));
	}

	s = new_section(r, "Violations by rule and action", "violations");
	for (unsigned rule = 0; rule < RULE_COUNT; rule++) {
		char prefix[32];

		snprintf(prefix, sizeof prefix, "%-22s", rule_token(rule));
		add_family(r, s->rows, "violations", rule, prefix, true,
			   r->transactions);
	}

	s = new_section(r, "Verdicts (share of transactions)", "verdicts");
	add_family(r, s->rows, "verdicts", 0, NULL, false, r->transactions);

	security_sections(r);
	mta_section(r);
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

	if (!build_many(&doc, 1, &r, error))
		return false;
	g_ptr_array_unref(r.sections);
	stats_clear(&r.counters);
	return true;
}

static void
report_free(report *r)
{
	g_ptr_array_unref(r->sections);
	stats_clear(&r->counters);
}

static void
text_top(GString *out, const char *title, const stats_top_entry *e,
	 unsigned n)
{
	g_string_append_printf(out, "\n%s\n", title);
	if (n == 0) {
		g_string_append(out, "  (none)\n");
		return;
	}
	for (unsigned i = 0; i < MIN(n, 10u); i++) {
		char count[32];

		report_human_count(e[i].count, count, sizeof count);
		g_string_append_printf(out, "  %-40s %8s  %s\n", e[i].address,
				       count, e[i].helo);
	}
}

/* One line per source: its headline figures beside the others'. */
static bool
text_instances(GString *out, JsonNode *const *docs, const char *const *names,
	       size_t ndocs, GError **error)
{
	g_string_append_printf(out, "\nInstances\n  %-40s %8s %12s %8s %10s\n",
			       "", "sessions", "transactions", "rejected",
			       "violations");
	for (size_t i = 0; i < ndocs; i++) {
		report one = {0};
		char a[32], b[32], c[32], d[32];
		uint64_t violations = 0;

		if (!build_many(&docs[i], 1, &one, error))
			return false;
		for (unsigned rule = 0; rule < RULE_COUNT; rule++)
			for (unsigned k = 0; k <= ACTION_COUNT; k++)
				violations += stats_get(&one.counters.violations[rule][k]);
		report_human_count(one.connections, a, sizeof a);
		report_human_count(one.transactions, b, sizeof b);
		report_human_count(stats_get(&one.counters.verdicts[VERDICT_REJECT]),
				   c, sizeof c);
		report_human_count(violations, d, sizeof d);
		/* a longer source stands whole on a line of its own, its
		   figures under the column heads (as df(1) does) */
		if (strlen(names[i]) > 40)
			g_string_append_printf(out, "  %s\n", names[i]);
		g_string_append_printf(out, "  %-40s %8s %12s %8s %10s\n",
				       strlen(names[i]) > 40 ? "" : names[i],
				       a, b, c, d);
		report_free(&one);
	}
	return true;
}

/* The fullest profile of a client: from the transactions table if there. */
static const stats_profile *
profile_of(const report *r, const stats_top_entry *e)
{
	for (unsigned i = 0; i < r->n_top_transactions; i++)
		if (strcmp(r->top_transactions[i].address, e->address) == 0)
			return &r->top_transactions[i].profile;
	return &e->profile;
}

/*
 * The clients with the most violations and what they do wrong: the rules
 * they break, how their SIZE declarations held, how they greet, which
 * keywords they use.
 */
static void
text_misuse(GString *out, const report *r)
{
	unsigned shown = 0;

	g_string_append(out, "\nClients that misuse ESMTP (by violations)\n");
	for (unsigned i = 0; i < r->n_top_violations && shown < 10; i++) {
		const stats_top_entry *e = &r->top_violations[i];
		const stats_profile *p = profile_of(r, e);
		GString *rules = g_string_new(NULL), *kws = g_string_new(NULL);
		GString *greets = g_string_new(NULL);
		char count[32];

		if (e->count == 0)
			continue;
		shown++;
		for (unsigned g = 0; g < GREETING_COUNT; g++)
			if (p->greetings & STATS_GREETING_BIT(g))
				g_string_append_printf(greets, "%s%s",
						       greets->len ? "," : "  greetings=",
						       greeting_name((greeting_type)g));
		for (unsigned k = 0; k < RULE_COUNT; k++)
			if (p->violations[k] > 0)
				g_string_append_printf(rules, "%s%s %u",
						       rules->len ? ", " : "",
						       rule_token((rule_id)k),
						       p->violations[k]);
		for (size_t k = 0; k < registry_count; k++)
			if (p->keywords & (1u << k))
				g_string_append_printf(kws, "%s%s", kws->len ? "," : "",
						       registry_table[k].keyword);
		report_human_count(e->count, count, sizeof count);
		g_string_append_printf(out, "  %-40s %8s violations%s%s%s\n",
				       e->address, count, greets->str,
				       p->tls != TLS_UNKNOWN ? "  tls=" : "",
				       p->tls != TLS_UNKNOWN
				       ? tls_version_log_name((tls_version)p->tls) : "");
		if (rules->len > 0)
			g_string_append_printf(out, "      %s\n", rules->str);
		if (p->size_declared > 0)
			g_string_append_printf(out,
					       "      SIZE overran %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
					       " declarations (at most +%" G_GUINT64_FORMAT " octets)\n",
					       p->size_overruns, p->size_declared,
					       p->size_overrun_max);
		if (kws->len > 0)
			g_string_append_printf(out, "      keywords %s\n", kws->str);
		g_string_free(rules, TRUE);
		g_string_free(kws, TRUE);
		g_string_free(greets, TRUE);
	}
	if (shown == 0)
		g_string_append(out, "  (none)\n");
}

bool
report_text_many(JsonNode *const *docs, const char *const *names,
		 size_t ndocs, GString *out, GError **error)
{
	report r = {0};
	char a[32], b[32], c[32], d[32];

	if (!build_many(docs, ndocs, &r, error))
		return false;
	report_human_count(r.connections, a, sizeof a);
	report_human_count(r.transactions, b, sizeof b);
	report_human_count(r.messages, c, sizeof c);
	report_human_octets(r.octets, d, sizeof d);
	g_string_append_printf(out, "esmtp-milter statistics");
	if (ndocs > 1)
		g_string_append_printf(out, ", %zu instances merged", ndocs);
	if (r.start_time > 0 && r.time >= r.start_time) {
		int64_t up = r.time - r.start_time;

		g_string_append_printf(out, " (daemon up %" G_GINT64_FORMAT "d %02"
				       G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m)",
				       up / 86400, up / 3600 % 24, up / 60 % 60);
	}
	g_string_append_printf(out, "\n\n  %-40s %8s\n  %-40s %8s\n  %-40s %8s\n  %-40s %8s\n",
			       "sessions", a, "transactions", b, "messages", c,
			       "message octets", d);
	if (ndocs > 1 && !text_instances(out, docs, names, ndocs, error)) {
		report_free(&r);
		return false;
	}
	for (guint i = 0; i < r.sections->len; i++) {
		section *s = g_ptr_array_index(r.sections, i);

		g_string_append_printf(out, "\n%s\n", s->title);
		if (s->rows->len == 0)
			g_string_append(out, "  (none)\n");
		for (guint k = 0; k < s->rows->len; k++) {
			row *rw = &g_array_index(s->rows, row, k);
			char count[32];

			report_human_count(rw->count, count, sizeof count);
			if (rw->percent < 0)
				g_string_append_printf(out, "  %-40s %8s\n",
						       rw->label, count);
			else
				g_string_append_printf(out, "  %-40s %8s %6.1f%%\n",
						       rw->label, count, rw->percent);
		}
	}
	text_top(out, "Top clients by transactions", r.top_transactions,
		 r.n_top_transactions);
	text_top(out, "Top clients by violations", r.top_violations,
		 r.n_top_violations);
	text_misuse(out, &r);
	report_free(&r);
	return true;
}

static JsonNode *
json_of(JsonNode *const *docs, size_t ndocs, GError **error)
{
	g_autoptr(JsonBuilder) jb = json_builder_new();
	report r = {0};

	if (!build_many(docs, ndocs, &r, error))
		return NULL;
	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "sessions");
	json_builder_add_int_value(jb, (gint64)r.connections);
	json_builder_set_member_name(jb, "transactions");
	json_builder_add_int_value(jb, (gint64)r.transactions);
	json_builder_set_member_name(jb, "messages");
	json_builder_add_int_value(jb, (gint64)r.messages);
	json_builder_set_member_name(jb, "octets");
	json_builder_add_int_value(jb, (gint64)r.octets);
	for (guint i = 0; i < r.sections->len; i++) {
		section *s = g_ptr_array_index(r.sections, i);

		json_builder_set_member_name(jb, s->key);
		json_builder_begin_array(jb);
		for (guint k = 0; k < s->rows->len; k++) {
			row *rw = &g_array_index(s->rows, row, k);

			json_builder_begin_object(jb);
			json_builder_set_member_name(jb, "name");
			json_builder_add_string_value(jb, rw->label);
			json_builder_set_member_name(jb, "count");
			json_builder_add_int_value(jb, (gint64)rw->count);
			if (rw->percent >= 0) {
				json_builder_set_member_name(jb, "percent");
				json_builder_add_double_value(jb, rw->percent);
			}
			json_builder_end_object(jb);
		}
		json_builder_end_array(jb);
	}
	stats_json_top_entries(jb, "top_clients_by_transactions",
			       r.top_transactions, r.n_top_transactions, false);
	stats_json_top_entries(jb, "top_clients_by_violations",
			       r.top_violations, r.n_top_violations, false);
	json_builder_end_object(jb);
	report_free(&r);
	return json_builder_get_root(jb);
}

JsonNode *
report_json_many(JsonNode *const *docs, const char *const *names,
		 size_t ndocs, GError **error)
{
	g_autoptr(JsonBuilder) jb = NULL;
	JsonNode *merged;

	if (ndocs == 1)
		return json_of(docs, 1, error);
	if ((merged = json_of(docs, ndocs, error)) == NULL)
		return NULL;
	jb = json_builder_new();
	json_builder_begin_object(jb);
	json_builder_set_member_name(jb, "merged");
	json_builder_add_value(jb, merged);
	json_builder_set_member_name(jb, "instances");
	json_builder_begin_array(jb);
	for (size_t i = 0; i < ndocs; i++) {
		JsonNode *one = json_of(&docs[i], 1, error);

		if (one == NULL) {
			json_builder_end_array(jb);
			json_builder_end_object(jb);
			return NULL;
		}
		json_object_set_string_member(json_node_get_object(one),
					      "source", names[i]);
		json_builder_add_value(jb, one);
	}
	json_builder_end_array(jb);
	json_builder_end_object(jb);
	return json_builder_get_root(jb);
}
