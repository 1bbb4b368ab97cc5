/*
 * One Postfix policy request read in place. Lines end in "\n" (a "\r"
 * before it is dropped, for clients that are not Postfix); the request
 * ends at the first empty line. Attributes this service does not read are
 * skipped, as the protocol asks, but counted against the limit.
 */
#include "policy_request.h"

#include <string.h>

static const struct {
	const char *name;
	size_t offset;
} wanted[] = {
#define A(n) {#n, G_STRUCT_OFFSET(policy_request, n)}
	A(request), A(protocol_state), A(protocol_name), A(helo_name),
	A(queue_id), A(sender), A(recipient), A(recipient_count),
	A(client_address), A(client_name), A(client_port),
	A(server_address), A(server_port), A(instance), A(sasl_method),
	A(sasl_username), A(size), A(encryption_protocol),
	A(encryption_keysize),
#undef A
};

#define FIELD(r, i) ((const char **)(void *)((char *)(r) + wanted[i].offset))

size_t
policy_request_end(const char *buf, size_t len, size_t *scan)
{
	size_t start = *scan;

	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t line;

		if (nl == NULL)
			break;
		line = (size_t)(nl - (buf + start));
		if (line == 0 || (line == 1 && buf[start] == '\r'))
			return (size_t)(nl - buf) + 1;
		start += line + 1;
	}
	*scan = start;
	return 0;
}

static bool
number(const char *v, guint64 max, guint64 *out)
{
	if (*v == '\0') {
		*out = 0;
		return true;
	}
	return g_ascii_string_to_unsigned(v, 10, 0, max, out, NULL);
}

static const struct {
	const char *name;
	policy_state state;
} states[] = {
	{"RCPT", POLICY_STATE_RCPT},
	{"END-OF-MESSAGE", POLICY_STATE_EOM},
	{"MAIL", POLICY_STATE_MAIL},
};

static policy_status
finish(policy_request *r)
{
	guint64 n;

	if (*r->request == '\0')
		return POLICY_NO_REQUEST;
	if (strcmp(r->request, "smtpd_access_policy") != 0)
		return POLICY_UNKNOWN_REQUEST;
	if (*r->client_address == '\0')
		return POLICY_NO_CLIENT;
	if (!number(r->size, G_MAXUINT64, &r->size_value))
		return POLICY_BAD_NUMBER;
	if (!number(r->client_port, 65535, &n))
		return POLICY_BAD_NUMBER;
	r->port_value = (guint)n;
	if (!number(r->server_port, 65535, &n))
		return POLICY_BAD_NUMBER;
	r->server_port_value = (guint)n;
	if (!number(r->recipient_count, G_MAXUINT, &n))
		return POLICY_BAD_NUMBER;
	r->recipient_count_value = (guint)n;
	r->state = POLICY_STATE_OTHER;
	for (size_t i = 0; i < G_N_ELEMENTS(states); i++)
		if (strcmp(r->protocol_state, states[i].name) == 0)
			r->state = states[i].state;
	return POLICY_OK;
}

policy_status
policy_request_parse(char *req, size_t len, policy_request *out)
{
	char *p = req, *end = req + len;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < G_N_ELEMENTS(wanted); i++)
		*FIELD(out, i) = "";
	if (memchr(req, '\0', len) != NULL)
		return POLICY_NUL;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eq;

		if (nl == NULL)		/* unterminated: not from Postfix */
			return POLICY_BAD_LINE;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*p == '\0')		/* the empty line: the end */
			break;
		if (++out->attributes > POLICY_ATTRIBUTES_MAX)
			return POLICY_TOO_MANY;
		eq = strchr(p, '=');
		if (eq == NULL || eq == p)
			return POLICY_BAD_LINE;
		*eq = '\0';
		for (size_t i = 0; i < G_N_ELEMENTS(wanted); i++) {
			if (strcmp(p, wanted[i].name) != 0)
				continue;
			if (**FIELD(out, i) != '\0')
				return POLICY_DUPLICATE;
			*FIELD(out, i) = eq + 1;
			break;
		}
		p = nl + 1;
	}
	return finish(out);
}

const char *
policy_status_text(policy_status s)
{
	static const char *const text[POLICY_STATUS_COUNT] = {
		[POLICY_OK] = "ok",
		[POLICY_NO_REQUEST] = "no request attribute",
		[POLICY_UNKNOWN_REQUEST] = "request is not smtpd_access_policy",
		[POLICY_TOO_MANY] = "more than "
			G_STRINGIFY(POLICY_ATTRIBUTES_MAX) " attributes",
		[POLICY_BAD_LINE] = "a line is not name=value",
		[POLICY_NUL] = "a NUL octet",
		[POLICY_DUPLICATE] = "an attribute given twice",
		[POLICY_BAD_NUMBER] = "size, client_port, server_port or recipient_count is not a number",
		[POLICY_NO_CLIENT] = "no client_address",
		[POLICY_TOO_LONG] = "no empty line within "
			G_STRINGIFY(POLICY_REQUEST_MAX) " octets",
	};

	return (unsigned)s < POLICY_STATUS_COUNT ? text[s] : "?";
}

const char *
policy_state_name(policy_state s)
{
	static const char *const names[POLICY_STATE_COUNT] = {
		"rcpt", "end-of-message", "mail", "other",
	};

	return (unsigned)s < POLICY_STATE_COUNT ? names[s] : "other";
}
