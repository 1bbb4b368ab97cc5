/*
 * The session engine's log lines: the transaction line, the violation
 * line and the params= field, written in the log grammar of esmtp-milter(8)
 * LOGS (key=value pairs, bounded; a value with a space, '"' or '=' quoted,
 * so that a key=value parser reads exactly the fields written, whatever
 * the client sent; the verdict last) and handed to the session's log
 * callback. Nothing here decides anything.
 */
#include "session_log.h"
#include "utf8_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

void
session_sanitize(char *dst, size_t max, const char *src, size_t len)
{
	size_t n = 0;

	if (max == 0)
		return;
	if (src == NULL)
		len = 0;
	for (size_t i = 0; i < len && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		if (n + 1 >= max) {
			if (max > 4)
				memcpy(dst + max - 4, "...", 3), n = max - 1;
			break;
		}
		dst[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
}

void
session_sanitize_str(char *dst, size_t max, const char *src)
{
	session_sanitize(dst, max, src, src != NULL ? strlen(src) : 0);
}

void
session_sanitize_text(char *dst, size_t max, const char *src)
{
	size_t n = 0, len = src != NULL ? strlen(src) : 0;

	if (max < 5) {
		session_sanitize(dst, max, src, len);
		return;
	}
	/* the usual case, printable ASCII that fits, copied as it is */
	while (n < len && (unsigned char)src[n] >= 0x20
	       && (unsigned char)src[n] < 0x7f)
		n++;
	if (n == len && len < max) {
		memcpy(dst, src != NULL ? src : "", len + 1);
		return;
	}
	n = 0;
	for (size_t i = 0; i < len;) {
		gunichar u = g_utf8_get_char_validated(src + i, (gssize)(len - i));
		bool valid = u != (gunichar)-1 && u != (gunichar)-2;
		/* a control character, C1 included, is one "?" */
		bool keep = valid && u >= 0x20 && u != 0x7f
			    && !(u >= 0x80 && u < 0xa0);
		size_t w = valid ? (size_t)(g_utf8_next_char(src + i) - (src + i))
				 : 1;

		/* room for "..." if more follows */
		if (n + (keep ? w : 1) + (i + w < len ? 3 : 0) >= max) {
			memcpy(dst + n, "...", 3);
			n += 3;
			break;
		}
		if (keep)
			memcpy(dst + n, src + i, w), n += w;
		else
			dst[n++] = '?';
		i += w;
	}
	dst[n] = '\0';
}

/* "name[address]", the name cut to 80 octets on a character boundary */
static void
client_field(char *buf, size_t len, const session_conn *c)
{
	char name[81];

	utf8_copy(name, sizeof name, c->client_name);
	snprintf(buf, len, "%s[%s]", name, c->client_addr);
}

const char *
session_log_value(char *buf, size_t max, const char *v)
{
	size_t n = 0;

	if (max < 5)
		return "\"\"";
	if (*v != '\0' && strpbrk(v, " \"=") == NULL) {
		if (strlen(v) < max)
			return v;
		n = utf8_boundary(v, max - 4);
		memcpy(buf, v, n);
		memcpy(buf + n, "...", 4);
		return buf;
	}
	buf[n++] = '"';
	while (*v != '\0') {
		/* a whole character or none: the value stays UTF-8 */
		size_t w = strnlen(v, (size_t)g_utf8_skip[(unsigned char)*v]);
		bool escape = *v == '"' || *v == '\\';

		if (n + w + (escape ? 1 : 0) + 2 > max)
			break;
		if (escape)
			buf[n++] = '\\';
		memcpy(buf + n, v, w);
		n += w;
		v += w;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void
session_emit(session_conn *c, int priority, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (c->log == NULL || priority > c->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	c->log(c->log_data, priority, c->msg.queue_id, line);
}

static const char *
exempt_name(exempt_kind e)
{
	return e == EXEMPT_NETWORK ? "network" : e == EXEMPT_AUTH ? "auth" : "";
}

static void
format_violations(const session_msg *m, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		const session_violation *v = &m->violations[r];

		if (!v->fired || v->action == ACTION_IGNORE)
			continue;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s:%s",
				      n > 0 ? "," : "", rule_token(r),
				      action_name(v->action));
		if (n >= len)
			break;
	}
	if (n == 0)
		g_strlcpy(buf, "none", len);
}

static bool
has_logged_violation(const session_msg *m)
{
	for (unsigned r = 0; r < RULE_COUNT; r++)
		if (m->violations[r].fired
		    && m->violations[r].action != ACTION_IGNORE)
			return true;
	return false;
}

void
session_log_transaction(session_conn *c, verdict_type verdict)
{
	const session_msg *m = &c->msg;
	char violations[208], declared[24], actual[24], rejected[32] = "";
	char exempt[24] = "", client[160], rcpt_params[120] = "";
	/* each quoted value is cut to its buffer (its closing quote kept):
	   with the fixed fields they stay inside LOG_LINE_MAX, so the
	   verdict is always written */
	char qclient[90], qhelo[80], qfrom[120], qparams[120];
	int priority = has_logged_violation(m) ? LOG_NOTICE : LOG_INFO;

	if (priority > c->log_level)
		return;
	format_violations(m, violations, sizeof violations);
	if (m->size_declared)
		snprintf(declared, sizeof declared, "%" G_GUINT64_FORMAT,
			 m->size_value);
	else
		g_strlcpy(declared, "none", sizeof declared);
	if (m->content.seen)
		snprintf(actual, sizeof actual, "%" G_GUINT64_FORMAT,
			 content_size(&m->content));
	else
		g_strlcpy(actual, "unknown", sizeof actual);
	if (m->rcpts_rejected > 0)
		snprintf(rejected, sizeof rejected, " rcpts_rejected=%u",
			 m->rcpts_rejected);
	/* keywords and commas only: never quoted */
	if (m->rcpt_params[0] != '\0')
		snprintf(rcpt_params, sizeof rcpt_params, " rcpt_params=%.56s%s",
			 m->rcpt_params, strlen(m->rcpt_params) > 56 ? "..." : "");
	if (m->exempt != EXEMPT_NONE)
		snprintf(exempt, sizeof exempt, " exempt=%s",
			 exempt_name(m->exempt));
	client_field(client, sizeof client, c);
	session_emit(c, priority,
	     /* field widths keep the verdict inside LOG_LINE_MAX */
	     "client=%s greeting=%s helo=%s from=%s params=%s "
	     "rcpts=%u%s%s size_declared=%s size_actual=%s tls=%s auth=%s "
	     "violations=%s%s%s verdict=%s",
	     session_log_value(qclient, sizeof qclient, client),
	     greeting_name(c->greeting),
	     session_log_value(qhelo, sizeof qhelo,
			       c->helo[0] != '\0' ? c->helo : "none"),
	     session_log_value(qfrom, sizeof qfrom, m->from),
	     session_log_value(qparams, sizeof qparams,
			       m->params[0] != '\0' ? m->params : "none"),
	     m->rcpts_accepted, rejected, rcpt_params, declared, actual,
	     tls_version_log_name(c->tls), auth_mechanism_name(m->auth),
	     violations, exempt,
	     /* what the transaction was judged on: SIZE, sizes, no content */
	     c->policy_only ? " via=policy" : "", verdict_name(verdict));
}

void
session_log_violation(session_conn *c, rule_id rule, rule_action action,
		      rule_stage stage, const char *rcpt, bool exempted,
		      const char *text)
{
	/* as in the transaction line: bounded so that the reason's closing
	   quote is always written */
	char client[160], qclient[100], qfrom[150], qrcpt[150], qtext[420];

	if (LOG_NOTICE > c->log_level)
		return;
	client_field(client, sizeof client, c);
	session_emit(c, LOG_NOTICE,
		     "violation rule=%s action=%s stage=%s client=%s "
		     "from=%s%s%s%s%s reason=%s",
		     rule_token(rule), action_name(action), stage_name(stage),
		     session_log_value(qclient, sizeof qclient, client),
		     session_log_value(qfrom, sizeof qfrom, c->msg.from),
		     rcpt != NULL ? " rcpt=" : "",
		     rcpt != NULL ? session_log_value(qrcpt, sizeof qrcpt, rcpt) : "",
		     exempted ? " exempt=" : "",
		     exempted ? exempt_name(c->msg.exempt) : "",
		     session_log_value(qtext, sizeof qtext, text));
}

/* One item more in a comma list, or "..." once the list is full. */
static void
append_item(char *list, size_t size, const char *item)
{
	size_t used = strlen(list);

	if (used + strlen(item) + 2 >= size - 4) {
		g_strlcat(list, used > 0 ? ",..." : "...", size);
		return;
	}
	if (used > 0)
		g_strlcat(list, ",", size);
	g_strlcat(list, item, size);
}

/* The keyword a parameter is listed under: its registry spelling, or
 * the client's sanitized; "?" for an empty one (" =x"), which has no
 * spelling and must not make an empty item of a list. */
static void
log_keyword(char *kw, size_t size, const esmtp_param *p,
	    const registry_entry *row)
{
	if (row != NULL)
		g_strlcpy(kw, row->keyword, size);
	else if (p->keyword_len == 0)
		g_strlcpy(kw, "?", size);
	else
		session_sanitize(kw, size, p->keyword, p->keyword_len);
}

void
session_log_param(session_msg *m, const esmtp_param *p,
		  const registry_entry *row)
{
	char item[64], kw[40];
	size_t used = strlen(m->params);

	if (used > 0 && g_str_has_suffix(m->params, "..."))
		return;
	log_keyword(kw, sizeof kw, p, row);
	if (row != NULL && p->value != NULL
	    && row->log_value) {
		char val[16];

		session_sanitize(val, sizeof val, p->value, p->value_len);
		snprintf(item, sizeof item, "%s=%s", kw, val);
		for (char *q = item; *q; q++)
			*q = g_ascii_toupper(*q);
	} else {
		g_strlcpy(item, kw, sizeof item);
	}
	append_item(m->params, sizeof m->params, item);
}

void
session_log_rcpt_param(session_msg *m, const esmtp_param *p,
		       const registry_entry *row)
{
	char kw[40];
	size_t n;

	if (m->rcpt_params[0] != '\0' && g_str_has_suffix(m->rcpt_params, "..."))
		return;
	log_keyword(kw, sizeof kw, p, row);
	for (char *c = kw; *c != '\0'; c++)
		if (!g_ascii_isalnum(*c) && *c != '-')
			*c = '?';	/* a keyword only: nothing to quote */
		else
			*c = g_ascii_toupper(*c);
	/* each keyword once, whatever the number of recipients: the list
	 * is walked item by item, each step past a comma or to the end */
	n = strlen(kw);
	for (const char *item = m->rcpt_params; *item != '\0';) {
		const char *end = strchrnul(item, ',');

		if ((size_t)(end - item) == n && memcmp(item, kw, n) == 0)
			return;
		item = *end == ',' ? end + 1 : end;
	}
	append_item(m->rcpt_params, sizeof m->rcpt_params, kw);
}
