/*
 * RFC 1870 5: the size is the octets of the message including CRLF
 * pairs, excluding the terminating dot and dot-stuffing. MTAs hand the
 * milter the header fields one by one without their CRLF and the body
 * with CRLF line ends and dot-stuffing removed, so the size is rebuilt
 * here.
 */
#include "size.h"

#include <string.h>

size_limit
size_limit_min(size_limit a, size_limit b)
{
	if (a.source == LIMIT_NONE)
		return b;
	if (b.source == LIMIT_NONE)
		return a;
	return b.octets < a.octets ? b : a;
}

static bool
domain_matches(const char *domain, const char *pattern)
{
	size_t dl, pl;

	if (pattern[0] != '.')
		return g_ascii_strcasecmp(domain, pattern) == 0;
	/* ".example.org" matches any name below example.org */
	dl = strlen(domain);
	pl = strlen(pattern);
	return dl > pl && g_ascii_strcasecmp(domain + dl - pl, pattern) == 0;
}

static size_limit
domain_limit_min(size_limit cur, const GArray *limits, const char *domain,
		 limit_source source)
{
	if (domain == NULL || *domain == '\0')
		return cur;
	for (guint i = 0; i < limits->len; i++) {
		const domain_limit *dl = &g_array_index(limits, domain_limit, i);

		if (domain_matches(domain, dl->domain))
			cur = size_limit_min(cur, (size_limit){dl->limit, source});
	}
	return cur;
}

size_limit
size_limit_for_mail(const esmtp_config *config, const net_addr *client,
		    const char *sender_domain)
{
	size_limit lim = {0, LIMIT_NONE};

	if (config->size_max > 0)
		lim = (size_limit){config->size_max, LIMIT_GLOBAL};
	if (client != NULL) {
		for (guint i = 0; i < config->client_limits->len; i++) {
			const client_limit *cl = &g_array_index(
				config->client_limits, client_limit, i);

			if (net_addr_in(client, &cl->net))
				lim = size_limit_min(lim, (size_limit){
					cl->limit, LIMIT_CLIENT});
		}
	}
	return domain_limit_min(lim, config->from_limits, sender_domain,
				LIMIT_SENDER);
}

size_limit
size_limit_for_rcpt(const esmtp_config *config, size_limit mail,
		    const char *rcpt_domain)
{
	return domain_limit_min(mail, config->to_limits, rcpt_domain,
				LIMIT_RECIPIENT);
}

const char *
size_limit_phrase(limit_source source)
{
	switch (source) {
	case LIMIT_CLIENT:
		return " for this client";
	case LIMIT_SENDER:
		return " for this sender";
	case LIMIT_RECIPIENT:
		return " for this recipient";
	case LIMIT_GLOBAL:
	case LIMIT_NONE:
		break;
	}
	return "";
}

bool
size_overrun(const esmtp_config *config, guint64 declared, guint64 actual)
{
	guint64 allowed = declared, extra;

	/* declared * percent / 100, saturating instead of wrapping */
	if (config->overrun_percent > 0
	    && declared > G_MAXUINT64 / config->overrun_percent)
		return false;
	extra = declared * config->overrun_percent / 100;
	allowed = allowed > G_MAXUINT64 - extra ? G_MAXUINT64 : allowed + extra;
	allowed = allowed > G_MAXUINT64 - config->overrun_bytes
		  ? G_MAXUINT64 : allowed + config->overrun_bytes;
	return actual > allowed;
}

const char *
size_address_domain(const char *address, char *buf, size_t buflen)
{
	const char *at, *end;
	size_t len;

	if (address == NULL || buflen == 0)
		return NULL;
	at = strrchr(address, '@');
	if (at == NULL)
		return NULL;
	at++;
	end = at + strcspn(at, ">");
	len = (size_t)(end - at);
	if (len == 0 || len >= buflen)
		return NULL;
	memcpy(buf, at, len);
	buf[len] = '\0';
	return buf;
}

/* Sixteen octets, with GCC's and Clang's vector extension. */
typedef guint64 octets16 __attribute__((vector_size(16)));

/*
 * Whether any octet has its high bit set. Bodies are large and this runs
 * on every chunk: 256 octets at a time are ORed together sixteen at once
 * (vector instructions where the machine has them) with one test each;
 * what is left, eight at a time.
 */
static bool
has_8bit(const unsigned char *p, size_t len)
{
	const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
	guint64 word, acc = 0;
	size_t i = 0;

	for (; i + 256 <= len; i += 256) {
		octets16 v[16], block;

		memcpy(v, p + i, sizeof v);
		block = (v[0] | v[1] | v[2] | v[3]) | (v[4] | v[5] | v[6] | v[7])
			| (v[8] | v[9] | v[10] | v[11])
			| (v[12] | v[13] | v[14] | v[15]);
		if ((block[0] | block[1]) & high)
			return true;
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(&word, p + i, sizeof word);
		acc |= word;
	}
	for (; i < len; i++)
		acc |= p[i];
	return (acc & high) != 0;
}

/* Octets of s on the wire: a bare LF inside a folded value was CRLF. */
static guint64
wire_octets(const char *s, bool *eight_bit)
{
	size_t len = strlen(s);
	guint64 n = len;

	if (has_8bit((const unsigned char *)s, len))
		*eight_bit = true;
	for (const char *lf = memchr(s, '\n', len); lf != NULL;
	     lf = memchr(lf + 1, '\n', len - (size_t)(lf + 1 - s)))
		if (lf == s || lf[-1] != '\r')
			n++;
	return n;
}

guint64
content_header_from(content_account *acct, const char *name,
		    const char *value, bool leading_space, bool mta_added)
{
	guint64 n = 0;

	acct->seen = true;
	if (name != NULL)
		n += wire_octets(name, &acct->header_8bit);
	/* ":" and CRLF, and the space MTAs strip after the colon */
	n += 3 + (leading_space ? 0 : 1);
	if (value != NULL)
		n += wire_octets(value, &acct->header_8bit);
	acct->header_octets += n;
	acct->mta_added_octets = mta_added ? acct->mta_added_octets + n : 0;
	return n;
}

void
content_header(content_account *acct, const char *name, const char *value,
	       bool leading_space)
{
	(void)content_header_from(acct, name, value, leading_space, false);
}

/*
 * A fixed-width template: 'A' a letter, 'D' a digit, '_' a digit or a
 * space, 'S' a sign; anything else stands for itself.
 */
static const char *
match_template(const char *s, const char *tpl)
{
	for (; *tpl != '\0'; tpl++, s++) {
		unsigned char c = (unsigned char)*s;
		bool ok;

		switch (*tpl) {
		case 'A': ok = g_ascii_isalpha(c); break;
		case 'D': ok = g_ascii_isdigit(c); break;
		case '_': ok = g_ascii_isdigit(c) || c == ' '; break;
		case 'S': ok = c == '+' || c == '-'; break;
		default: ok = c == (unsigned char)*tpl; break;
		}
		if (!ok)
			return NULL;
	}
	return s;
}

static bool
postfix_date(const char *v)
{
	/* mail_date(): "%a, %e %b %Y %H:%M:%S %z (%Z)" */
	const char *p = match_template(v, "AAA, _D AAA DDDD DD:DD:DD SDDDD (");
	size_t zone;

	if (p == NULL)
		return false;
	zone = strcspn(p, ")");
	return zone > 0 && p[zone] == ')' && p[zone + 1] == '\0';
}

/* "<" [14 digits "."] QUEUEID "@" host ">" */
static bool
postfix_message_id(const char *v, const char **qid, size_t *qid_len)
{
	const char *at, *end;

	if (*v++ != '<')
		return false;
	/* short queue ids: a time stamp first; long ones stand alone */
	if (match_template(v, "DDDDDDDDDDDDDD.") != NULL)
		v += 15;
	at = strchr(v, '@');
	end = strchr(v, '>');
	if (at == NULL || at == v || end == NULL || end < at + 2
	    || end[1] != '\0')
		return false;
	for (const char *p = v; p < at; p++)
		if (!g_ascii_isalnum(*p))
			return false;
	*qid = v;
	*qid_len = (size_t)(at - v);
	return true;
}

mta_added_field
content_postfix_added(const char *name, const char *value, const char **qid,
		      size_t *qid_len)
{
	if (name == NULL || value == NULL)
		return ADDED_NO;
	while (*value == ' ' || *value == '\t')
		value++;
	if (strcmp(name, "Date") == 0 && postfix_date(value))
		return ADDED_DATE;
	if (strcmp(name, "Message-Id") == 0
	    && postfix_message_id(value, qid, qid_len))
		return ADDED_MESSAGE_ID;
	return ADDED_NO;
}

void
content_body(content_account *acct, const unsigned char *data, size_t len)
{
	acct->seen = true;
	acct->body_octets += len;
	if (!acct->body_8bit && data != NULL)
		acct->body_8bit = has_8bit(data, len);
}

guint64
content_size(const content_account *acct)
{
	/* the blank line between header and body */
	guint64 client = acct->header_octets - acct->mta_added_octets;

	return client + (acct->header_octets > 0 ? 2 : 0) + acct->body_octets;
}
