/*
 * Fuzz target: a whole SMTP session through the session engine. The input
 * is a script, one command per line: "G name" (HELO), "r proto" ({r} for
 * the next MAIL), "M addr param..." (MAIL), "R addr param..." (RCPT),
 * "H name:value" (header), "B data" (body), "E" (end of message), "A"
 * (abort), "V version" (the MTA's v macro, with {daemon_addr} the
 * client's), "q id" (the queue id the MTA gives from now on; "q" alone:
 * none yet). The first byte picks actions, so that every reply path
 * runs, and with 0x40 puts the client on loopback.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ignore_log(void *d, int p, const char *q, const char *l)
{
	(void)d;
	(void)p;
	(void)q;
	(void)l;
}

/* Splits at spaces into a NULL-terminated argv (at most 255 entries). */
static char **
split_args(char *s)
{
	char **argv = g_new0(char *, 256);
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, " ", &save); t != NULL && n < 255;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	return argv;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static stats st;
	static bool init;
	esmtp_config *cfg;
	session_conn conn;
	session_result res;
	char *text, *save = NULL, *protocol = NULL, *qid;
	const char *client;
	net_addr addr;

	if (!init) {
		stats_init(&st);
		init = true;
	}
	if (size == 0)
		return 0;
	qid = g_strdup("FUZZ");
	cfg = config_new_defaults();
	g_array_set_size(cfg->trusted_networks, 0);
	cfg->size_max = 5000;
	for (unsigned r = 0; r < RULE_COUNT; r++)
		cfg->actions[r] = (rule_action)((data[0] + r) % ACTION_COUNT);
	cfg->dry_run = (data[0] & 0x80) != 0;

	session_init(&conn, cfg, &st, ignore_log, NULL);
	config_unref(cfg);
	client = (data[0] & 0x40) ? "127.0.0.1" : "192.0.2.1";
	net_addr_parse(client, &addr);
	session_connect(&conn, "fuzz.example", &addr, client);

	text = g_strndup((const char *)data + 1, size - 1);
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char op = line[0];
		char *rest = line[0] != '\0' && line[1] == ' ' ? line + 2 : line + 1;
		session_macros m = {.protocol = protocol, .queue_id = qid};

		if (op == 'G') {
			session_helo(&conn, rest);
		} else if (op == 'V') {
			session_mta(&conn, rest, &addr, 25);
		} else if (op == 'q') {
			g_free(qid);
			qid = *rest != '\0' ? g_strdup(rest) : NULL;
		} else if (op == 'r') {
			g_free(protocol);
			protocol = g_strdup(rest);
		} else if (op == 'M' || op == 'R') {
			char **argv = split_args(rest);

			if (op == 'M')
				session_mail(&conn, argv, &m, &res);
			else
				session_rcpt(&conn, argv, qid, &res);
			g_free(argv);
		} else if (op == 'H') {
			char *colon = strchr(rest, ':');

			if (colon != NULL)
				*colon = '\0';
			session_header(&conn, rest, colon != NULL ? colon + 1 : "");
		} else if (op == 'B') {
			session_body(&conn, (const unsigned char *)rest,
				     strlen(rest));
		} else if (op == 'E') {
			session_eom(&conn, qid, &res);
		} else if (op == 'A') {
			session_abort(&conn);
		} else if (op == 'U') {
			session_unknown(&conn, rest);
		}
	}
	session_close(&conn);
	g_free(protocol);
	g_free(qid);
	g_free(text);
	return 0;
}
