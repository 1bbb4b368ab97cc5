/*
 * The rule table (README RULES, esmtp-milter(8)). Replies follow RFC 5321 4.1.1.11 and
 * 4.3.2, RFC 1870 6 for size, RFC 6531 3.5 for non-ASCII addresses, and
 * for REQUIRETLS outside TLS RFC 8689 with the enhanced code RFC 5248
 * registers for it: X.7.10 "Encryption Needed"; 530 is RFC 3207's reply
 * to a command that must wait for STARTTLS.
 */
#include "rules.h"

#include <string.h>
#include <glib.h>

#include "name_code.h"

const rule_def rule_table[RULE_COUNT] = {
	[RULE_PARAM_SYNTAX] = {"param_syntax", STAGE_MAIL | STAGE_RCPT,
		ACTION_REJECT, {"501", "5.5.4"}, {"455", "4.5.0"}, {NULL, NULL},
		"a parameter breaks the RFC 5321 esmtp-param syntax",
		"parameter {param}: {why}"},
	[RULE_PARAM_UNREGISTERED] = {"param_unregistered",
		STAGE_MAIL | STAGE_RCPT, ACTION_REJECT, {"555", "5.5.4"},
		{"455", "4.5.0"}, {NULL, NULL},
		"a keyword that is neither registered nor private",
		"{keyword} is not a registered {command} parameter"},
	[RULE_PARAM_PRIVATE] = {"param_private", STAGE_MAIL | STAGE_RCPT,
		ACTION_IGNORE, {"555", "5.5.4"}, {"455", "4.5.0"}, {NULL, NULL},
		"a private keyword starting with X",
		"private parameter {keyword} is not accepted"},
	[RULE_PARAM_DUPLICATE] = {"param_duplicate", STAGE_MAIL | STAGE_RCPT,
		ACTION_REJECT, {"501", "5.5.4"}, {"455", "4.5.0"}, {NULL, NULL},
		"the same keyword twice in one command",
		"parameter {keyword} given more than once"},
	[RULE_PARAM_MISPLACED] = {"param_misplaced", STAGE_MAIL | STAGE_RCPT,
		ACTION_REJECT, {"555", "5.5.4"}, {"455", "4.5.0"}, {NULL, NULL},
		"a registered keyword on the wrong command",
		"{keyword} is not a {command} parameter ({rfc})"},
	[RULE_PARAM_VALUE] = {"param_value", STAGE_MAIL | STAGE_RCPT,
		ACTION_REJECT, {"501", "5.5.4"}, {"455", "4.5.0"}, {NULL, NULL},
		"a registered keyword with a value its RFC does not allow",
		"{param}: {why}"},
	[RULE_PARAM_WITHOUT_EHLO] = {"param_without_ehlo",
		STAGE_MAIL | STAGE_RCPT, ACTION_LOG, {"555", "5.5.4"},
		{"455", "4.5.0"}, {NULL, NULL},
		"parameters in a session that greeted with HELO",
		"ESMTP parameters after HELO instead of EHLO"},
	[RULE_SIZE_SYNTAX] = {"size_syntax", STAGE_MAIL, ACTION_REJECT,
		{"501", "5.5.4"}, {"455", "4.5.0"}, {NULL, NULL},
		"a SIZE value that is not 1 to 20 digits",
		"{param}: {why}"},
	[RULE_SIZE_LIMIT] = {"size_limit", STAGE_MAIL | STAGE_RCPT,
		ACTION_REJECT, {"552", "5.3.4"}, {"452", "4.3.1"}, {NULL, NULL},
		"a declared SIZE above the limit that applies",
		"declared SIZE {declared} exceeds the limit of {limit}{scope}"},
	[RULE_SIZE_OVERRUN] = {"size_overrun", STAGE_EOM, ACTION_REJECT,
		{"552", "5.3.4"}, {"452", "4.3.1"}, {NULL, NULL},
		"an actual size above the declared SIZE beyond the tolerance",
		"message size {actual} exceeds the declared SIZE {declared}"},
	[RULE_SIZE_ACTUAL_LIMIT] = {"size_actual_limit", STAGE_EOM,
		ACTION_REJECT, {"552", "5.3.4"}, {"452", "4.3.1"}, {NULL, NULL},
		"an actual size above the limit that applies",
		"message size {actual} exceeds the limit of {limit}{scope}"},
	[RULE_BODY_8BIT_UNDECLARED] = {"body_8bit_undeclared", STAGE_EOM,
		ACTION_LOG, {"554", "5.6.0"}, {"451", "4.6.0"}, {NULL, NULL},
		"8-bit octets in the body without BODY=8BITMIME or "
		"BINARYMIME, or in the header without SMTPUTF8",
		"8-bit octets in the {part} without {extension}"},
	[RULE_UTF8_UNDECLARED] = {"utf8_undeclared", STAGE_MAIL | STAGE_RCPT,
		ACTION_LOG, {"550", "5.6.7"}, {"451", "4.6.7"},
		{"553", "5.6.7"},
		"non-ASCII envelope addresses without SMTPUTF8",
		"non-ASCII {role} address without SMTPUTF8"},
	/* RFC 8689 2: REQUIRETLS has meaning only over TLS; RFC 5248
	   X.7.10 Encryption Needed; RFC 3207 4: 530 until STARTTLS */
	[RULE_REQUIRETLS_WITHOUT_TLS] = {"requiretls_without_tls", STAGE_MAIL,
		ACTION_LOG, {"530", "5.7.10"}, {"451", "4.7.10"}, {NULL, NULL},
		"REQUIRETLS on MAIL in a session without TLS (RFC 8689; "
		"codes: RFC 3207 530, RFC 5248 X.7.10 Encryption Needed)",
		"REQUIRETLS in a session without TLS"},
};

static const name_code action_names[] = {
	{"reject", ACTION_REJECT}, {"tempfail", ACTION_TEMPFAIL},
	{"tag", ACTION_TAG}, {"log", ACTION_LOG}, {"ignore", ACTION_IGNORE},
};
_Static_assert(G_N_ELEMENTS(action_names) == ACTION_COUNT, "a name for each action");

static const name_code stage_names[] = {
	{"mail", STAGE_MAIL}, {"rcpt", STAGE_RCPT}, {"eom", STAGE_EOM},
};

/* Appends at most n octets of src to buf (len octets, NUL kept). */
static void
append(char *buf, size_t len, size_t *used, const char *src, size_t n)
{
	size_t room = *used + 1 < len ? len - *used - 1 : 0;

	if (n > room)
		n = room;
	memcpy(buf + *used, src, n);
	*used += n;
	buf[*used] = '\0';
}

void
rule_text(rule_id rule, const char *const *facts, char *buf, size_t len)
{
	const char *t = (unsigned)rule < RULE_COUNT ? rule_table[rule].text : "";
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	while (*t != '\0') {
		const char *close = *t == '{' ? strchr(t, '}') : NULL;
		const char *value = "?";
		size_t name_len;

		if (close == NULL) {
			append(buf, len, &used, t++, 1);
			continue;
		}
		name_len = (size_t)(close - t - 1);
		for (size_t i = 0; facts != NULL && facts[i] != NULL
		     && facts[i + 1] != NULL; i += 2) {
			if (strlen(facts[i]) == name_len
			    && strncmp(facts[i], t + 1, name_len) == 0) {
				value = facts[i + 1];
				break;
			}
		}
		append(buf, len, &used, value, strlen(value));
		t = close + 1;
	}
	append(buf, len, &used, " (", 2);
	append(buf, len, &used, rule_token(rule), strlen(rule_token(rule)));
	append(buf, len, &used, ")", 1);
}

const char *
rule_token(rule_id rule)
{
	if ((unsigned)rule >= RULE_COUNT)
		return "unknown";
	return rule_table[rule].token;
}

bool
rule_from_token(const char *token, rule_id *out)
{
	for (unsigned i = 0; i < RULE_COUNT; i++) {
		if (g_strcmp0(token, rule_table[i].token) == 0) {
			*out = (rule_id)i;
			return true;
		}
	}
	return false;
}

const char *
action_name(rule_action action)
{
	return name_code_name(action_names, G_N_ELEMENTS(action_names),
			      (int)action, "unknown");
}

bool
action_from_name(const char *name, rule_action *out)
{
	int code;

	if (!name_code_find(action_names, G_N_ELEMENTS(action_names), name,
			    &code))
		return false;
	*out = (rule_action)code;
	return true;
}

char *
action_names_list(void)
{
	return name_code_list(action_names, G_N_ELEMENTS(action_names));
}

const char *
stage_name(rule_stage stage)
{
	return name_code_name(stage_names, G_N_ELEMENTS(stage_names),
			      (int)stage, "unknown");
}

char *
rule_stages_text(const rule_def *rule)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(stage_names); i++) {
		if (!(rule->stages & (unsigned)stage_names[i].code))
			continue;
		if (out->len > 0)
			g_string_append_c(out, ',');
		g_string_append(out, stage_names[i].name);
	}
	return g_string_free(out, FALSE);
}
