/*
 * TLS versions, cipher strengths and SASL mechanisms in their buckets
 * (see transport.h). The names are the metric labels and log values.
 */
#include "transport.h"

#include <string.h>
#include <glib.h>

#include "name_code.h"

static const name_code tls_names[] = {
	{"unknown", TLS_UNKNOWN}, {"plaintext", TLS_PLAINTEXT},
	{"TLSv1", TLS_V1}, {"TLSv1.1", TLS_V1_1}, {"TLSv1.2", TLS_V1_2},
	{"TLSv1.3", TLS_V1_3}, {"other", TLS_OTHER},
};
_Static_assert(G_N_ELEMENTS(tls_names) == TLS_COUNT, "a name for each TLS version");

static const name_code cipher_names[] = {
	{"unknown", CIPHER_UNKNOWN}, {"none", CIPHER_NONE},
	{"lt128", CIPHER_WEAK}, {"128", CIPHER_128}, {"256", CIPHER_256},
};
_Static_assert(G_N_ELEMENTS(cipher_names) == CIPHER_COUNT,
	       "a name for each cipher strength");

static const name_code auth_names[] = {
	{"none", AUTH_NONE}, {"PLAIN", AUTH_PLAIN}, {"LOGIN", AUTH_LOGIN},
	{"CRAM-MD5", AUTH_CRAM_MD5}, {"SCRAM-SHA-1", AUTH_SCRAM_SHA_1},
	{"SCRAM-SHA-256", AUTH_SCRAM_SHA_256}, {"XOAUTH2", AUTH_XOAUTH2},
	{"OAUTHBEARER", AUTH_OAUTHBEARER}, {"EXTERNAL", AUTH_EXTERNAL},
	{"other", AUTH_OTHER},
};
_Static_assert(G_N_ELEMENTS(auth_names) == AUTH_COUNT,
	       "a name for each SASL mechanism");

tls_version
tls_version_of(const char *version, bool asked)
{
	if (version == NULL || *version == '\0')
		return asked ? TLS_PLAINTEXT : TLS_UNKNOWN;
	/* both MTAs pass OpenSSL's names: "TLSv1.2", "TLSv1.3" */
	for (size_t i = 0; i < G_N_ELEMENTS(tls_names); i++)
		if (tls_names[i].code >= TLS_V1 && tls_names[i].code <= TLS_V1_3
		    && g_ascii_strcasecmp(version, tls_names[i].name) == 0)
			return (tls_version)tls_names[i].code;
	return TLS_OTHER;
}

cipher_strength
cipher_strength_of(tls_version version, const char *bits)
{
	guint64 n;

	if (version == TLS_UNKNOWN)
		return CIPHER_UNKNOWN;
	if (version == TLS_PLAINTEXT)
		return CIPHER_NONE;
	if (bits == NULL
	    || !g_ascii_string_to_unsigned(bits, 10, 0, 100000, &n, NULL))
		return CIPHER_UNKNOWN;
	return n >= 256 ? CIPHER_256 : n >= 128 ? CIPHER_128 : CIPHER_WEAK;
}

auth_mechanism
auth_mechanism_of(const char *mechanism)
{
	int code;

	if (mechanism == NULL || *mechanism == '\0')
		return AUTH_NONE;
	/* mechanism names are case-insensitive (RFC 4422 3.1) */
	for (size_t i = 1; i < G_N_ELEMENTS(auth_names) - 1; i++)
		if (g_ascii_strcasecmp(mechanism, auth_names[i].name) == 0) {
			code = auth_names[i].code;
			return (auth_mechanism)code;
		}
	return AUTH_OTHER;
}

const char *
tls_version_name(tls_version v)
{
	return name_code_name(tls_names, G_N_ELEMENTS(tls_names), (int)v, "other");
}

const char *
tls_version_log_name(tls_version v)
{
	return v == TLS_PLAINTEXT ? "none" : tls_version_name(v);
}

const char *
cipher_strength_name(cipher_strength c)
{
	return name_code_name(cipher_names, G_N_ELEMENTS(cipher_names), (int)c,
			      "unknown");
}

const char *
auth_mechanism_name(auth_mechanism a)
{
	return name_code_name(auth_names, G_N_ELEMENTS(auth_names), (int)a,
			      "other");
}
