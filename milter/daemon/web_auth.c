/*
 * Checking basic_auth_users passwords (web_auth.h).
 */
#include "web_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crypt.h>

struct web_auth {
	GHashTable *users;	/* user -> bcrypt hash, the caller's */
	char *dummy;		/* a hash no password is known for */
	guint8 key[32];		/* for the HMAC of a remembered pair */
	GMutex lock;
	GHashTable *passed;	/* HMAC (hex) -> expiry (monotonic s) */
};

/* The cost of a bcrypt hash ("$2y$10$..."), or 0. */
static unsigned
cost_of(const char *hash)
{
	return strlen(hash) > 7 && g_ascii_isdigit(hash[4]) && g_ascii_isdigit(hash[5])
	       && hash[6] == '$' ? (unsigned)((hash[4] - '0') * 10 + hash[5] - '0') : 0;
}

web_auth *
web_auth_new(GHashTable *users)
{
	web_auth *a = g_new0(web_auth, 1);
	GHashTableIter it;
	gpointer hash;
	unsigned cost = 4;
	char random_password[33], *salt;
	struct crypt_data *data = g_new0(struct crypt_data, 1);
	const char *got;

	a->users = users;
	g_mutex_init(&a->lock);
	a->passed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (size_t i = 0; i < sizeof a->key; i += 4) {
		guint32 r = g_random_int();

		memcpy(a->key + i, &r, 4);
	}
	g_hash_table_iter_init(&it, users);
	while (g_hash_table_iter_next(&it, NULL, &hash))
		cost = MAX(cost, cost_of(hash));
	for (size_t i = 0; i + 1 < sizeof random_password; i++)
		random_password[i] = (char)('a' + g_random_int_range(0, 26));
	random_password[sizeof random_password - 1] = '\0';
	salt = crypt_gensalt_ra("$2b$", cost, NULL, 0);
	got = salt != NULL ? crypt_r(random_password, salt, data) : NULL;
	/* web_config refused the users' hashes if this libcrypt had no
	   bcrypt, so the dummy is one; "" would only cost less */
	a->dummy = g_strdup(got != NULL && got[0] == '$' ? got : "");
	explicit_bzero(data, sizeof *data);
	g_free(data);
	free(salt);
	return a;
}

void
web_auth_free(web_auth *a)
{
	if (a == NULL)
		return;
	g_hash_table_destroy(a->passed);
	g_mutex_clear(&a->lock);
	explicit_bzero(a->key, sizeof a->key);
	g_free(a->dummy);
	g_free(a);
}

/* The HMAC of "user NUL password" under the process's key, as hex. */
static char *
pair_mac(web_auth *a, const char *user, const char *password)
{
	g_autoptr(GHmac) mac = g_hmac_new(G_CHECKSUM_SHA256, a->key, sizeof a->key);

	g_hmac_update(mac, (const guchar *)user, (gssize)strlen(user) + 1);
	g_hmac_update(mac, (const guchar *)password, (gssize)strlen(password));
	return g_strdup(g_hmac_get_string(mac));
}

bool
web_auth_cached(web_auth *a, const char *user, const char *password)
{
	g_autofree char *mac = NULL;
	gpointer expiry;
	bool ok;

	if (user == NULL || password == NULL)
		return false;
	mac = pair_mac(a, user, password);
	g_mutex_lock(&a->lock);
	ok = g_hash_table_lookup_extended(a->passed, mac, NULL, &expiry)
	     && GPOINTER_TO_SIZE(expiry) > (gsize)(g_get_monotonic_time() / G_USEC_PER_SEC);
	g_mutex_unlock(&a->lock);
	return ok;
}

/* Equal, in a time that does not tell where they differ. */
static bool
same(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
remember(web_auth *a, const char *user, const char *password)
{
	gsize now = (gsize)(g_get_monotonic_time() / G_USEC_PER_SEC);

	g_mutex_lock(&a->lock);
	if (g_hash_table_size(a->passed) >= WEB_AUTH_CACHE_MAX)
		g_hash_table_remove_all(a->passed);	/* rare: few users */
	g_hash_table_replace(a->passed, pair_mac(a, user, password),
			     GSIZE_TO_POINTER(now + WEB_AUTH_CACHE_SECONDS));
	g_mutex_unlock(&a->lock);
}

bool
web_auth_check(web_auth *a, const char *user, const char *password)
{
	const char *hash = user != NULL ? g_hash_table_lookup(a->users, user) : NULL;
	const char *against = hash != NULL ? hash : a->dummy;
	struct crypt_data *data;
	const char *got;
	bool ok;

	/* an unknown user, or none, costs the bcrypt a known one costs */
	data = g_new0(struct crypt_data, 1);
	got = crypt_r(password != NULL ? password : "", against, data);
	ok = hash != NULL && password != NULL && got != NULL && got[0] == '$'
	     && strlen(got) == strlen(hash) && same(got, hash, strlen(hash));
	explicit_bzero(data, sizeof *data);
	g_free(data);
	if (ok)
		remember(a, user, password);
	return ok;
}
