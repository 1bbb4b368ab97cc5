/*
 * Transport security as the MTA reports it to a filter: the TLS version
 * and cipher strength of the session ({tls_version}, {cipher_bits} from
 * STARTTLS, RFC 3207) and the SASL mechanism of an authenticated
 * transaction ({auth_type}, RFC 4954), each in a bounded set of buckets
 * so that counters and metric labels stay few.
 */
#ifndef ESMTP_TRANSPORT_H
#define ESMTP_TRANSPORT_H

#include <stdbool.h>

typedef enum {
	TLS_UNKNOWN,	/* the MTA was not asked, or could not be */
	TLS_PLAINTEXT,
	TLS_V1,
	TLS_V1_1,
	TLS_V1_2,
	TLS_V1_3,
	TLS_OTHER,
	TLS_COUNT
} tls_version;

typedef enum {
	CIPHER_UNKNOWN,
	CIPHER_NONE,	/* plaintext */
	CIPHER_WEAK,	/* fewer than 128 bits */
	CIPHER_128,	/* 128 to 255 */
	CIPHER_256,	/* 256 and more */
	CIPHER_COUNT
} cipher_strength;

typedef enum {
	AUTH_NONE,
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_CRAM_MD5,
	AUTH_SCRAM_SHA_1,
	AUTH_SCRAM_SHA_256,
	AUTH_XOAUTH2,
	AUTH_OAUTHBEARER,
	AUTH_EXTERNAL,
	AUTH_OTHER,
	AUTH_COUNT
} auth_mechanism;

/*
 * version is {tls_version} ("TLSv1.3"; NULL or "" when the session is not
 * encrypted); asked says whether the MTA was asked for it, so that its
 * absence means plaintext rather than unknown.
 */
tls_version tls_version_of(const char *version, bool asked);
/* bits is {cipher_bits}; the version decides plaintext and unknown. */
cipher_strength cipher_strength_of(tls_version version, const char *bits);
/* mechanism is {auth_type} ("PLAIN"; NULL or "" when not authenticated). */
auth_mechanism auth_mechanism_of(const char *mechanism);

/* "TLSv1.3", "plaintext" (log: "none"), ...; "PLAIN", "none", ... */
const char *tls_version_name(tls_version v);
const char *tls_version_log_name(tls_version v);
const char *cipher_strength_name(cipher_strength c);
const char *auth_mechanism_name(auth_mechanism a);

#endif
