/*
 * The round trip of stats_roundtrip.h. The input is read as a sequence
 * of sessions; each takes a flags octet and then length-prefixed fields
 * (two octets of length, taken modulo 600 so that lengths around every
 * bound, 56, 64, 128, 256 and 320 octets, are common): client name,
 * client address text, greeting, MAIL address, MAIL parameter, RCPT
 * address, RCPT parameter, body. The flags pick the greeting's protocol,
 * whether the message ends, and one of 40 MTA addresses (more than the
 * table per MTA holds, so that "other" is reached).
 */
#include "stats_roundtrip.h"

#include <string.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "session.h"
#include "stats_export.h"
#include "stats_load.h"

typedef struct {
	const uint8_t *p;
	size_t left;
} input;

/* The next field as a C string (octets up to a NUL in it). */
static char *
field(input *in)
{
	size_t len;
	char *out;

	if (in->left < 2) {
		in->left = 0;
		return g_strdup("");
	}
	len = (size_t)((in->p[0] << 8) | in->p[1]) % 600;
	in->p += 2;
	in->left -= 2;
	len = MIN(len, in->left);
	out = g_strndup((const char *)in->p, len);
	in->p += len;
	in->left -= len;
	return out;
}

static void
quiet(void *d, int p, const char *q, const char *l)
{
	(void)d;
	(void)p;
	(void)q;
	(void)l;
}

static void
one_session(stats *st, esmtp_config *cfg, input *in)
{
	static const char *const protocols[] = {"ESMTP", "SMTP", NULL, "ESMTPSA"};
	uint8_t flags = in->p[0];
	g_autofree char *name = NULL, *addr_text = NULL, *helo = NULL;
	g_autofree char *from = NULL, *mparam = NULL, *rcpt = NULL;
	g_autofree char *rparam = NULL, *body = NULL, *mta = NULL;
	char *margv[3], *rargv[3];
	session_macros m = {.protocol = protocols[flags & 3], .queue_id = "RT1"};
	session_result res;
	session_conn c;
	net_addr client, daemon;

	in->p++;
	in->left--;
	name = field(in);
	addr_text = field(in);
	helo = field(in);
	from = field(in);
	mparam = field(in);
	rcpt = field(in);
	rparam = field(in);
	body = field(in);

	session_init(&c, cfg, st, quiet, NULL);
	net_addr_parse("192.0.2.1", &client);
	session_connect(&c, name, &client, addr_text);
	mta = g_strdup_printf("198.51.100.%u", (unsigned)(flags >> 2) % 40);
	net_addr_parse(mta, &daemon);
	session_mta(&c, "Postfix 3.7", &daemon, 25);
	session_helo(&c, helo);
	margv[0] = from;
	margv[1] = *mparam != '\0' ? mparam : NULL;
	margv[2] = NULL;
	session_mail(&c, margv, &m, &res);
	rargv[0] = rcpt;
	rargv[1] = *rparam != '\0' ? rparam : NULL;
	rargv[2] = NULL;
	if (!res.stop)
		session_rcpt(&c, rargv, "RT1", &res);
	if (!res.stop && (flags & 0x80)) {
		session_header(&c, "Subject", name);
		session_body(&c, (const unsigned char *)body, strlen(body));
		session_eom(&c, "RT1", &res);
	}
	/* the processing times the milter would record: sums of scaled
	   doubles that must read back to the same integer */
	stats_observe(&st->processing[flags % STATS_STAGE_COUNT],
		      (double)(flags * 7919u % 100003u) / 1e6);
	session_close(&c);
}

/* The document without its clock, as compact text. */
static char *
without_clock(JsonNode *root)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();

	json_object_remove_member(json_node_get_object(root), "time");
	json_object_remove_member(json_node_get_object(root), "start_time");
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

const char *
stats_roundtrip_check(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	input in = {data, size};
	esmtp_config *cfg = config_new_defaults();
	stats st, back;
	g_autofree char *text = NULL, *prom = NULL;
	g_autofree char *a = NULL, *b = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	stats_load_outcome out = {0};

	g_array_set_size(cfg->trusted_networks, 0);
	for (unsigned r = 0; r < RULE_COUNT; r++)
		cfg->actions[r] = ACTION_LOG;
	stats_init(&st);
	stats_init(&back);
	for (unsigned n = 0; in.left > 0 && n < 64; n++)
		one_session(&st, cfg, &in);

	text = stats_json_text(&st, true);
	prom = stats_prometheus_text(&st);
	if (!g_utf8_validate(text, -1, NULL))
		why = "the JSON written is not UTF-8";
	else if (!g_utf8_validate(prom, -1, NULL))
		why = "the Prometheus text is not UTF-8";
	else if (!json_parser_load_from_data(parser, text, -1, NULL))
		why = "the JSON written does not parse";
	else if (!stats_load_text(&back, text, strlen(text), &out, NULL))
		why = "the JSON written is not read back";
	else if (out.lost->len > 0 || out.replaced > 0)
		why = "reading the JSON back lost a member";
	else {
		g_autoptr(JsonNode) x = stats_to_json(&st);
		g_autoptr(JsonNode) y = stats_to_json(&back);

		a = without_clock(x);
		b = without_clock(y);
		if (strcmp(a, b) != 0)
			why = "the counters read back differ from those written";
	}
	stats_load_outcome_clear(&out);
	stats_clear(&st);
	stats_clear(&back);
	config_unref(cfg);
	return why;
}
