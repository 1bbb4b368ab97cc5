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
	/* the trailing header fields the MTA added itself (not the client's) */
	guint64 mta_added_octets;
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
/*
 * The same for a field that may be the MTA's own addition: when
 * mta_added is true its octets are set apart, and they stay apart only
 * while no client field follows (MTAs add theirs after the client's).
 * Returns the field's octets.
 */
guint64 content_header_from(content_account *acct, const char *name,
			    const char *value, bool leading_space,
			    bool mta_added);

typedef enum {
	ADDED_NO,
	ADDED_DATE,		/* Postfix's mail_date() form */
	ADDED_MESSAGE_ID,	/* Postfix's form, for the queue id in *qid */
} mta_added_field;

/*
 * Whether a header field has the exact form Postfix gives the Date: and
 * Message-Id: fields it adds to mail from local clients
 * (local_header_rewrite_clients): "Date: Www, _D Mmm YYYY hh:mm:ss +hhmm
 * (ZONE)", and "Message-Id: <YYYYMMDDhhmmss.QUEUEID@host>" or
 * "<QUEUEID@host>". For a Message-Id, *qid and *qid_len point into value
 * at the queue id, which the caller compares with the transaction's.
 */
mta_added_field content_postfix_added(const char *name, const char *value,
				      const char **qid, size_t *qid_len);

void content_body(content_account *acct, const unsigned char *data,
		  size_t len);
/* The client's octets: the RFC 1870 size without the MTA's additions. */
guint64 content_size(const content_account *acct);

#endif
