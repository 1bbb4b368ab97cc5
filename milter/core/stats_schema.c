/*
 * What is counted, described once: each statistics family with its
 * Prometheus name, JSON member, type, help text, where its counters sit in
 * struct stats, and its label dimensions. The writers and the reader in
 * stats_export.c and the report walk this table.
 */
#include "stats_export.h"

#include <string.h>

/*
 * The statistics families, described once: each drives the Prometheus
 * writer, the JSON writer and the JSON reader below, and the report
 * (milter/report) reads the same names through stats_families[]. A
 * family's counters are one array in struct stats, of up to two label
 * dimensions; a dimension value named "" is an unused slot.
 */
static const char *
cmd_label(unsigned i)
{
	return i == CMD_MAIL ? "mail" : "rcpt";
}

static const char *
declared_label(unsigned i)
{
	return i ? "yes" : "no";
}

static const char *
unknown_label(unsigned i)
{
	return i == UNKNOWN_CMD_PRIVATE ? "private" : "unregistered";
}

static const char *
reload_label(unsigned i)
{
	return i ? "success" : "failure";
}

static const char *
violation_action_label(unsigned a)
{
	return a == STATS_ACTION_EXEMPT ? "exempt" : action_name((rule_action)a);
}

static const char *
greeting_label(unsigned i)
{
	return greeting_name((greeting_type)i);
}

static const char *
body_label(unsigned i)
{
	return body_type_name((body_type)i);
}

static const char *
rule_label(unsigned i)
{
	return rule_token((rule_id)i);
}

static const char *
verdict_label(unsigned i)
{
	return verdict_name((verdict_type)i);
}

static const char *
stage_label(unsigned i)
{
	return stats_stage_name((stats_stage)i);
}

static const char *
policy_state_label(unsigned i)
{
	return i == STATS_POLICY_BAD ? "bad" : policy_state_name((policy_state)i);
}

static const char *
tls_label(unsigned i)
{
	return tls_version_name((tls_version)i);
}

static const char *
cipher_label(unsigned i)
{
	return cipher_strength_name((cipher_strength)i);
}

/* authenticated transactions only: no "none" slot */
static const char *
auth_label(unsigned i)
{
	return i == AUTH_NONE ? "" : auth_mechanism_name((auth_mechanism)i);
}

static const stats_dim dim_greeting = {"greeting", GREETING_COUNT, greeting_label};
static const stats_dim dim_command = {"command", CMD_COUNT, cmd_label};
static const stats_dim dim_keyword = {"keyword", STATS_PARAM_SLOTS, stats_param_name};
static const stats_dim dim_body = {"body", BODY_COUNT, body_label};
static const stats_dim dim_declared = {"declared", 2, declared_label};
static const stats_dim dim_rule = {"rule", RULE_COUNT, rule_label};
static const stats_dim dim_action = {"action", ACTION_COUNT + 1,
				     violation_action_label};
static const stats_dim dim_verdict = {"verdict", VERDICT_COUNT, verdict_label};
static const stats_dim dim_class = {"class", UNKNOWN_CMD_COUNT, unknown_label};
static const stats_dim dim_result = {"result", 2, reload_label};
static const stats_dim dim_stage = {"stage", STATS_STAGE_COUNT, stage_label};
static const stats_dim dim_tls = {"version", TLS_COUNT, tls_label};
static const stats_dim dim_cipher = {"bits", CIPHER_COUNT, cipher_label};
static const stats_dim dim_auth = {"mechanism", AUTH_COUNT, auth_label};
static const stats_dim dim_policy_state = {"state", STATS_POLICY_BAD + 1,
					   policy_state_label};

#define AT(f) G_STRUCT_OFFSET(stats, f), sizeof(((stats *)NULL)->f)

const stats_family stats_families[] = {
	{"connections_total", "connections", STATS_COUNTER,
	 "SMTP sessions the MTA passed to the filter.", AT(connections),
	 {NULL, NULL}},
	{"active_connections", "active_connections", STATS_GAUGE,
	 "SMTP sessions open now.", AT(active_connections), {NULL, NULL}},
	{"sessions_refused_total", "sessions_refused", STATS_COUNTER,
	 "Milter sessions tempfailed at connect because max_sessions (or the open-files limit) was reached.",
	 AT(sessions_refused), {NULL, NULL}},
	{"sessions_timed_out_total", "sessions_timed_out", STATS_COUNTER,
	 "Milter sessions closed because the MTA sent nothing for [milter] timeout seconds.",
	 AT(sessions_timed_out), {NULL, NULL}},
	{"greetings_total", "greetings", STATS_COUNTER,
	 "Sessions by greeting: ehlo, helo, or unknown when the MTA gives no sign.",
	 AT(greetings), {&dim_greeting, NULL}},
	{"transactions_total", "transactions", STATS_COUNTER,
	 "MAIL transactions.", AT(transactions), {NULL, NULL}},
	{"tls_sessions_total", "tls_sessions", STATS_COUNTER,
	 "Sessions by TLS version (plaintext: no STARTTLS; unknown: the MTA was not asked).",
	 AT(tls_sessions), {&dim_tls, NULL}},
	{"tls_transactions_total", "tls_transactions", STATS_COUNTER,
	 "MAIL transactions by the TLS version of their session.",
	 AT(tls_transactions), {&dim_tls, NULL}},
	{"cipher_transactions_total", "cipher_transactions", STATS_COUNTER,
	 "MAIL transactions by cipher strength in bits (none: plaintext; lt128, 128, 256 and more).",
	 AT(cipher_transactions), {&dim_cipher, NULL}},
	{"auth_transactions_total", "auth_transactions", STATS_COUNTER,
	 "Authenticated MAIL transactions by SASL mechanism.",
	 AT(auth_transactions), {&dim_auth, NULL}},
	{"messages_total", "messages", STATS_COUNTER,
	 "Messages that reached the end of data.", AT(messages), {NULL, NULL}},
	{"message_octets_total", "octets", STATS_COUNTER,
	 "Octets of those messages (RFC 1870 size).", AT(octets), {NULL, NULL}},
	{"parameters_total", "parameters", STATS_COUNTER,
	 "ESMTP parameters seen, by command and keyword (registered keywords by name; private, unregistered and invalid in buckets).",
	 AT(params), {&dim_command, &dim_keyword}},
	{"body_types_total", "body_types", STATS_COUNTER,
	 "MAIL transactions by BODY value.", AT(body_types), {&dim_body, NULL}},
	{"size_declared_total", "size_declared", STATS_COUNTER,
	 "MAIL transactions with and without a SIZE parameter.",
	 AT(size_declared), {&dim_declared, NULL}},
	{"size_ratio", "size_ratio", STATS_HISTOGRAM,
	 "Actual message size divided by the declared SIZE.", AT(size_ratio),
	 {NULL, NULL}},
	{"message_size_octets", "message_size", STATS_HISTOGRAM,
	 "Message sizes in octets.", AT(message_size), {NULL, NULL}},
	{"violations_total", "violations", STATS_COUNTER,
	 "Rule violations by rule and the action taken (exempt: a trusted network or an authenticated session).",
	 AT(violations), {&dim_rule, &dim_action}},
	{"verdicts_total", "verdicts", STATS_COUNTER, "Transactions by verdict.",
	 AT(verdicts), {&dim_verdict, NULL}},
	{"unknown_commands_total", "unknown_commands", STATS_COUNTER,
	 "Unknown SMTP commands the MTA passed on, by class.",
	 AT(unknown_commands), {&dim_class, NULL}},
	{"config_reloads_total", "config_reloads", STATS_COUNTER,
	 "Config reloads by result.", AT(reloads), {&dim_result, NULL}},
	{"processing_seconds", "processing_seconds", STATS_HISTOGRAM,
	 "Time spent inside the daemon per milter stage, and per Postfix policy request.",
	 AT(processing), {&dim_stage, NULL}},
	{"would_refuse_total", "would_refuse", STATS_COUNTER,
	 "Transactions that reject would have refused, for each rule whose action is log (or any rule under dry_run); exempt sessions are not counted.",
	 AT(would_refuse), {&dim_rule, NULL}},
	{"policy_requests_total", "policy_requests", STATS_COUNTER,
	 "Postfix policy requests by protocol_state (rcpt, end-of-message, mail, other), and those that could not be read (bad).",
	 AT(policy_requests), {&dim_policy_state, NULL}},
};

const size_t stats_family_count = G_N_ELEMENTS(stats_families);

const stats_family *
stats_family_named(const char *json_name)
{
	for (size_t i = 0; i < stats_family_count; i++)
		if (strcmp(stats_families[i].json, json_name) == 0)
			return &stats_families[i];
	return NULL;
}

unsigned
stats_dim_count(const stats_dim *d)
{
	return d != NULL ? d->count : 1;
}

atomic_uint_fast64_t *
stats_family_counter(stats *s, const stats_family *f, unsigned i, unsigned j)
{
	atomic_uint_fast64_t *base = (atomic_uint_fast64_t *)(void *)
		((char *)s + f->offset);

	return base + (size_t)i * stats_dim_count(f->dims[1]) + j;
}

stats_histogram *
stats_family_histogram(stats *s, const stats_family *f, unsigned i)
{
	return (stats_histogram *)(void *)((char *)s + f->offset) + i;
}

bool
stats_dim_used(const stats_dim *d, unsigned i)
{
	return d == NULL || *d->value(i) != '\0';
}

void
stats_walk(stats *s, const stats_visitor *v, void *ctx)
{
	for (size_t k = 0; k < stats_family_count; k++) {
		const stats_family *f = &stats_families[k];
		const stats_dim *d0 = f->dims[0], *d1 = f->dims[1];

		if (v->family != NULL && !v->family(ctx, f))
			continue;
		for (unsigned i = 0; i < stats_dim_count(d0); i++) {
			if (!stats_dim_used(d0, i))
				continue;
			if (f->kind == STATS_HISTOGRAM) {
				if (v->histogram != NULL)
					v->histogram(ctx, f, i,
						     stats_family_histogram(s, f, i));
				continue;
			}
			if (d1 != NULL && v->group != NULL)
				v->group(ctx, f, i);
			for (unsigned j = 0; j < stats_dim_count(d1); j++)
				if (stats_dim_used(d1, j) && v->counter != NULL)
					v->counter(ctx, f, i, j,
						   stats_family_counter(s, f, i, j));
			if (d1 != NULL && v->group_end != NULL)
				v->group_end(ctx, f, i);
		}
		if (v->family_end != NULL)
			v->family_end(ctx, f);
	}
}

const char *
stats_leaf_name(const stats_family *f, unsigned i, unsigned j, bool histogram)
{
	if (!histogram && f->dims[1] != NULL)
		return f->dims[1]->value(j);
	return f->dims[0] != NULL ? f->dims[0]->value(i) : f->json;
}
