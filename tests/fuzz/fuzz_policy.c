/*
 * Fuzz target: a policy connection's byte stream, read as the listener
 * reads it (requests found by policy_request_end, each parsed and
 * answered by one engine), with a tight limit and a tag action so that
 * every reply path is reached.
 */
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	esmtp_config *cfg = config_new_defaults();
	session_links *links = session_links_new();
	policy_service *pe;
	char reply[POLICY_REPLY_MAX];
	char *buf = g_malloc(size + 1);
	size_t off = 0, scan = 0;
	gint64 now = 1;

	cfg->size_max = 1000;
	cfg->actions[RULE_SIZE_LIMIT] = ACTION_TAG;
	cfg->actions[RULE_PARAM_WITHOUT_EHLO] = ACTION_REJECT;
	pe = policy_service_new(NULL, links, NULL, NULL);
	memcpy(buf, data, size);
	while (off < size) {
		size_t end = policy_request_end(buf + off, MIN(size - off, (size_t)POLICY_REQUEST_MAX), &scan);
		policy_request r;

		if (end == 0)
			break;
		if (policy_request_parse(buf + off, end, &r) == POLICY_OK)
			policy_service_answer(pe, cfg, &r, now++, reply, sizeof reply);
		else
			policy_service_refuse(pe, POLICY_BAD_LINE, reply, sizeof reply);
		/* every reply is one action line and the empty line */
		if (strncmp(reply, "action=", 7) != 0 || !g_str_has_suffix(reply, "\n\n")
		    || strchr(reply, '\n') != reply + strlen(reply) - 2)
			__builtin_trap();
		off += end;
		scan = 0;
	}
	policy_service_expire(pe, now + POLICY_SESSION_IDLE + 1);
	policy_service_free(pe);
	session_links_free(links);
	config_unref(cfg);
	g_free(buf);
	return 0;
}
