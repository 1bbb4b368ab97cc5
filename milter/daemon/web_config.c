/*
 * The statistics listener's web configuration (see web_config.h): libyaml
 * parses the file into a document, this walks it key by key against what
 * the format allows, reads the files it names and checks that GnuTLS
 * takes them, and checks each password hash with crypt(3).
 */
#include "web_config.h"

#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <yaml.h>

typedef struct {
	const char *path;
	char *dir;		/* relative file names start here */
	yaml_document_t *doc;
	GError **error;
	bool ok;
} walker;

static void G_GNUC_PRINTF(3, 4)
fail(walker *w, const yaml_node_t *at, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	if (!w->ok)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(w->error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%lu: %s",
		    w->path, at != NULL ? (unsigned long)at->start_mark.line + 1 : 1UL,
		    msg);
	w->ok = false;
}

static yaml_node_t *
node(walker *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

static const char *
scalar(walker *w, yaml_node_t *n, const char *key)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE) {
		fail(w, n, "%s: a single value is wanted here", key);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* A mapping's pairs: calls each(key, value) until it returns false. */
static void
each_pair(walker *w, yaml_node_t *map, const char *what, void *data,
	  bool (*each)(walker *w, const char *key, yaml_node_t *k,
		       yaml_node_t *v, void *data))
{
	if (map == NULL || (map->type == YAML_SCALAR_NODE
			    && map->data.scalar.length == 0))
		return;		/* "key:" with nothing under it */
	if (map->type != YAML_MAPPING_NODE) {
		fail(w, map, "%s: a mapping (key: value lines) is wanted here", what);
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     w->ok && p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(w, p->key);
		const char *key = scalar(w, k, what);

		if (key != NULL && !each(w, key, k, node(w, p->value), data))
			return;
	}
}

/* A file the configuration names, read whole. */
static char *
read_named(walker *w, yaml_node_t *v, const char *key)
{
	const char *name = scalar(w, v, key);
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (name == NULL)
		return NULL;
	path = g_path_is_absolute(name) ? g_strdup(name)
					: g_build_filename(w->dir, name, NULL);
	if (!g_file_get_contents(path, &text, NULL, &error))
		fail(w, v, "%s: %s", key, error->message);
	return text;
}

static const char *const versions[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
static const char *const gnutls_versions[] = {"VERS-TLS1.0", "VERS-TLS1.1",
					      "VERS-TLS1.2", "VERS-TLS1.3"};
static const char *const auth_types[] = {
	"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
	"VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};

static int
one_of(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	return -1;
}

typedef struct {
	web_config *cfg;
	int min, max;
} tls_ctx;

static bool
tls_key(walker *w, const char *key, yaml_node_t *k, yaml_node_t *v, void *data)
{
	tls_ctx *t = data;
	web_config *c = t->cfg;

	/* a key given twice: the last one counts, as in YAML readers */
	if (strcmp(key, "cert_file") == 0) {
		g_free(c->cert_pem);
		c->cert_pem = read_named(w, v, key);
	} else if (strcmp(key, "key_file") == 0) {
		g_free(c->key_pem);
		c->key_pem = read_named(w, v, key);
	} else if (strcmp(key, "client_ca_file") == 0) {
		g_free(c->client_ca_pem);
		c->client_ca_pem = read_named(w, v, key);
	} else if (strcmp(key, "client_auth_type") == 0) {
		int i = one_of(scalar(w, v, key), auth_types, G_N_ELEMENTS(auth_types));

		if (i < 0)
			fail(w, v, "client_auth_type: not NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert");
		c->client_auth = (web_client_auth)MAX(i, 0);
	} else if (strcmp(key, "min_version") == 0 || strcmp(key, "max_version") == 0) {
		int i = one_of(scalar(w, v, key), versions, G_N_ELEMENTS(versions));

		if (i < 0)
			fail(w, v, "%s: not TLS10, TLS11, TLS12 or TLS13", key);
		*(key[1] == 'i' ? &t->min : &t->max) = i;
	} else if (strcmp(key, "cipher_suites") == 0
		   || strcmp(key, "curve_preferences") == 0
		   || strcmp(key, "prefer_server_cipher_suites") == 0) {
		fail(w, k, "tls_server_config: %s is not supported (GnuTLS chooses them)", key);
	} else {
		fail(w, k, "tls_server_config: unknown key \"%s\"", key);
	}
	return w->ok;
}

static const char *const allowed_headers[] = {
	"Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options",
	"X-XSS-Protection", "Content-Security-Policy"};

static bool
header_key(walker *w, const char *key, yaml_node_t *k, yaml_node_t *v, void *data)
{
	web_config *c = data;
	const char *value;

	if (one_of(key, allowed_headers, G_N_ELEMENTS(allowed_headers)) < 0) {
		fail(w, k, "headers: \"%s\" is not one of Strict-Transport-Security, X-Frame-Options, X-Content-Type-Options, X-XSS-Protection, Content-Security-Policy", key);
		return false;
	}
	if ((value = scalar(w, v, key)) == NULL)
		return false;
	g_ptr_array_add(c->headers, g_strdup(key));
	g_ptr_array_add(c->headers, g_strdup(value));
	return true;
}

static bool
http_key(walker *w, const char *key, yaml_node_t *k, yaml_node_t *v, void *data)
{
	const char *s;

	if (strcmp(key, "headers") == 0) {
		each_pair(w, v, "headers", data, header_key);
	} else if (strcmp(key, "http2") == 0) {
		s = scalar(w, v, key);
		if (s != NULL && strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			fail(w, v, "http2: not true or false");
	} else {
		fail(w, k, "http_server_config: unknown key \"%s\"", key);
	}
	return w->ok;
}

static bool
user_key(walker *w, const char *key, yaml_node_t *k, yaml_node_t *v, void *data)
{
	web_config *c = data;
	const char *hash = scalar(w, v, key);

	(void)k;
	if (hash == NULL)
		return false;
	if (strncmp(hash, "$2", 2) != 0 || crypt_checksalt(hash) != CRYPT_SALT_OK) {
		fail(w, v, "basic_auth_users: the password of \"%s\" is not a bcrypt hash ($2y$...)", key);
		return false;
	}
	g_hash_table_insert(c->users, g_strdup(key), g_strdup(hash));
	return true;
}

static bool
top_key(walker *w, const char *key, yaml_node_t *k, yaml_node_t *v, void *data)
{
	web_config *c = data;

	if (strcmp(key, "tls_server_config") == 0) {
		tls_ctx t = {c, 2, 3};

		c->tls = true;
		each_pair(w, v, key, &t, tls_key);
		if (w->ok && (c->cert_pem == NULL || c->key_pem == NULL))
			fail(w, k, "tls_server_config: cert_file and key_file are both needed");
		/* GnuTLS asks the client for a certificate only with the
		   authorities to name in the request */
		if (w->ok && c->client_ca_pem == NULL
		    && c->client_auth != WEB_NO_CLIENT_CERT)
			fail(w, k, "tls_server_config: %s needs client_ca_file",
			     auth_types[c->client_auth]);
		if (w->ok && t.min > t.max)
			fail(w, k, "tls_server_config: min_version is above max_version");
		if (w->ok) {
			GString *p = g_string_new("NORMAL:-VERS-ALL");

			for (int i = t.min; i <= t.max; i++)
				g_string_append_printf(p, ":+%s", gnutls_versions[i]);
			g_free(c->priorities);
			c->priorities = g_string_free(p, FALSE);
		}
	} else if (strcmp(key, "http_server_config") == 0) {
		each_pair(w, v, key, c, http_key);
	} else if (strcmp(key, "basic_auth_users") == 0) {
		each_pair(w, v, key, c, user_key);
	} else {
		fail(w, k, "unknown key \"%s\"", key);
	}
	return w->ok;
}

/* What GnuTLS would refuse at the first connection, refused now. */
static void
check_credentials(walker *w, web_config *c)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert, key, ca;
	int rc;

	if (!w->ok || !c->tls || gnutls_certificate_allocate_credentials(&cred) < 0)
		return;
	cert = (gnutls_datum_t){(unsigned char *)c->cert_pem, (unsigned)strlen(c->cert_pem)};
	key = (gnutls_datum_t){(unsigned char *)c->key_pem, (unsigned)strlen(c->key_pem)};
	rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		fail(w, NULL, "cert_file and key_file: %s", gnutls_strerror(rc));
	if (w->ok && c->client_ca_pem != NULL) {
		ca = (gnutls_datum_t){(unsigned char *)c->client_ca_pem,
				      (unsigned)strlen(c->client_ca_pem)};
		if (gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM) <= 0)
			fail(w, NULL, "client_ca_file: no PEM certificate in it");
	}
	gnutls_certificate_free_credentials(cred);
}

web_config *
web_config_load(const char *path, GError **error)
{
	web_config *c = g_new0(web_config, 1);
	walker w = {path, g_path_get_dirname(path), NULL, error, true};
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(path, "rb");

	c->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c->headers = g_ptr_array_new_with_free_func(g_free);
	if (f == NULL) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "%s: %s", path, g_strerror(errno));
		g_free(w.dir);
		web_config_free(c);
		return NULL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%lu: %s",
			    path, (unsigned long)parser.problem_mark.line + 1,
			    parser.problem != NULL ? parser.problem : "not YAML");
		w.ok = false;
	} else {
		yaml_node_t *root = yaml_document_get_root_node(&doc);

		w.doc = &doc;
		each_pair(&w, root, "the file", c, top_key);
		check_credentials(&w, c);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	g_free(w.dir);
	if (!w.ok) {
		web_config_free(c);
		return NULL;
	}
	return c;
}

void
web_config_free(web_config *c)
{
	if (c == NULL)
		return;
	if (c->key_pem != NULL)
		explicit_bzero(c->key_pem, strlen(c->key_pem));
	g_free(c->cert_pem);
	g_free(c->key_pem);
	g_free(c->client_ca_pem);
	g_free(c->priorities);
	g_hash_table_destroy(c->users);
	g_ptr_array_unref(c->headers);
	g_free(c);
}
