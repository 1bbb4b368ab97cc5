/*
 * Size accounting (RFC 1870): the size of the message as the client sent
 * it, rebuilt from the header and body callbacks, and the size limit that
 * applies to a transaction or a recipient.
 */
#ifndef ESMTP_SIZE_H
#define ESMTP_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "config.h"

typedef enum {
	LIMIT_NONE,
	LIMIT_GLOBAL,
	LIMIT_CLIENT,
	LIMIT_SENDER,
	LIMIT_RECIPIENT,
} limit_source;

typedef struct {
	guint64 octets;		/* meaningful unless source is LIMIT_NONE */
	limit_source source;
} size_limit;

/* The smaller of two limits; LIMIT_NONE is no limit at all. */
size_limit size_limit_min(size_limit a, size_limit b);

/* [size] max, [size_limits] client: and from: (smallest wins). */
size_limit size_limit_for_mail(const esmtp_config *config,
			       const net_addr *client,
			       const char *sender_domain);
/* The transaction's limit narrowed by [size_limits] to: for one domain. */
size_limit size_limit_for_rcpt(const esmtp_config *config, size_limit mail,
			       const char *rcpt_domain);

/* " for this sender", " for this recipient", ... or "". */
const char *size_limit_phrase(limit_source source);

/* Whether actual exceeds declared beyond overrun_percent + overrun_bytes. */
bool size_overrun(const esmtp_config *config, guint64 declared,
		  guint64 actual);

/* The domain of an envelope address as libmilter gives it ("<a@b>"). */
const char *size_address_domain(const char *address, char *buf,
				size_t buflen);

/*
 * The message content as sent: RFC 1870 size (headers as name, colon,
 * value, CRLF with folded lines as CRLF; the blank line; the body) and
 * whether 8-bit octets occur in the header or the body.
 */
typedef struct {
	guint64 header_octets;
	guint64 body_octets;
	bool seen;
	bool header_8bit;
	bool body_8bit;
} content_account;

/*
 * leading_space: the value includes the white space after the colon
 * (SMFIP_HDR_LEADSPC); otherwise one space is assumed, as MTAs strip it.
 */
void content_header(content_account *acct, const char *name,
		    const char *value, bool leading_space);
void content_body(content_account *acct, const unsigned char *data,
		  size_t len);
guint64 content_size(const content_account *acct);

#endif
