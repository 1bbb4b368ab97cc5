/*
 * The Postfix SMTPD access policy delegation protocol (SMTPD_POLICY_README):
 * a request is name=value lines ended by an empty line; the reply is one
 * "action=..." line and an empty line. This reads one request, with the
 * limits that keep a broken or hostile client from costing memory, and
 * knows nothing of sockets or rules.
 */
#ifndef ESMTP_POLICY_REQUEST_H
#define ESMTP_POLICY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Postfix sends about 30 attributes in a few hundred octets. */
#define POLICY_REQUEST_MAX 65536
#define POLICY_ATTRIBUTES_MAX 128

typedef enum {
	POLICY_OK,
	POLICY_NO_REQUEST,	/* no request= attribute */
	POLICY_UNKNOWN_REQUEST,	/* request= other than smtpd_access_policy */
	POLICY_TOO_MANY,	/* more than POLICY_ATTRIBUTES_MAX lines */
	POLICY_BAD_LINE,	/* a line without "=" or with an empty name */
	POLICY_NUL,		/* a NUL octet */
	POLICY_DUPLICATE,	/* an attribute this service reads, twice */
	POLICY_BAD_NUMBER,	/* size, client_port, server_port or recipient_count is not a number */
	POLICY_NO_CLIENT,	/* no client_address */
	POLICY_TOO_LONG,	/* no empty line within POLICY_REQUEST_MAX */
	POLICY_STATUS_COUNT
} policy_status;

typedef enum {
	POLICY_STATE_RCPT,
	POLICY_STATE_EOM,	/* END-OF-MESSAGE */
	POLICY_STATE_MAIL,
	POLICY_STATE_OTHER,	/* CONNECT, EHLO, HELO, DATA, VRFY, ETRN ... */
	POLICY_STATE_COUNT
} policy_state;

/* The attributes the service reads; "" where the request has none. */
typedef struct {
	const char *request;
	const char *protocol_state;
	const char *protocol_name;
	const char *helo_name;
	const char *queue_id;
	const char *sender;
	const char *recipient;
	const char *recipient_count;
	const char *client_address;
	const char *client_name;
	const char *client_port;
	const char *server_address;
	const char *server_port;
	const char *instance;
	const char *sasl_method;
	const char *sasl_username;
	const char *size;
	const char *encryption_protocol;
	const char *encryption_keysize;
	/* parsed */
	policy_state state;
	guint64 size_value;
	guint port_value;
	guint server_port_value;
	guint recipient_count_value;
	unsigned attributes;
} policy_request;

/*
 * Looks for the empty line that ends a request in buf[0..len). Returns the
 * request's length with that line, or 0 while it is incomplete. *scan is
 * where the search resumes: the caller keeps it (0 for a new request) so
 * that a request arriving in pieces is read once.
 */
size_t policy_request_end(const char *buf, size_t len, size_t *scan);

/*
 * Reads one complete request (as policy_request_end measured it) in
 * place: names and values become strings pointing into req.
 */
policy_status policy_request_parse(char *req, size_t len,
				   policy_request *out);

const char *policy_status_text(policy_status status);
const char *policy_state_name(policy_state state);

#endif
