/*
 * The milter sessions open now, hashed by client address and port, for
 * the policy service to find. Sessions with the same client address and
 * port at once (the same client port towards two listeners) share a
 * chain, and the MTA's address and port tell them apart where both
 * sides know them (session_link.h).
 */
#include "session_link.h"

#include "core_lock.h"

#include <stdatomic.h>
#include <string.h>
#include <glib.h>

struct session_link {
	net_addr client;
	unsigned port;
	net_addr server;	/* the MTA's end: not part of the hash key */
	unsigned server_port;
	atomic_int greeting;
	session_link *next;	/* same address and port */
	session_links *links;
};

struct session_links {
	GMutex lock;
	GHashTable *table;	/* session_link * (key) -> head of chain */
	unsigned count;
};

static guint
link_hash(gconstpointer p)
{
	const session_link *l = p;
	guint h = l->port * 2654435761u;

	for (size_t i = 0; i < sizeof l->client.addr; i++)
		h = h * 31 + l->client.addr[i];
	return h ^ l->client.family;
}

static gboolean
link_equal(gconstpointer a, gconstpointer b)
{
	const session_link *x = a, *y = b;

	return x->port == y->port && x->client.family == y->client.family
	       && memcmp(x->client.addr, y->client.addr,
			 sizeof x->client.addr) == 0;
}

session_links *
session_links_new(void)
{
	session_links *ls = g_new0(session_links, 1);

	g_mutex_init(&ls->lock);
	ls->table = g_hash_table_new(link_hash, link_equal);
	return ls;
}

void
session_links_free(session_links *ls)
{
	if (ls == NULL)
		return;
	g_hash_table_destroy(ls->table);
	g_mutex_clear(&ls->lock);
	g_free(ls);
}

static void
key_of(session_link *key, const session_endpoints *e)
{
	memset(key, 0, sizeof *key);
	key->client.family = e->client.family;
	memcpy(key->client.addr, e->client.addr, sizeof key->client.addr);
	key->port = e->client_port;
}

/* The same MTA, or one side does not know which. */
static bool
same_server(const session_link *l, const session_endpoints *e)
{
	if (l->server.family == 0 || e->server.family == 0)
		return true;
	return l->server.family == e->server.family
	       && memcmp(l->server.addr, e->server.addr,
			 sizeof l->server.addr) == 0
	       && (l->server_port == 0 || e->server_port == 0
		   || l->server_port == e->server_port);
}

session_link *
session_link_add(session_links *ls, const session_endpoints *e)
{
	session_link *l, *head;

	if (ls == NULL || e == NULL || e->client.family == 0)
		return NULL;
	l = g_try_new0(session_link, 1);
	if (l == NULL)
		return NULL;
	key_of(l, e);
	l->server = e->server;
	l->server_port = e->server_port;
	atomic_init(&l->greeting, GREETING_UNKNOWN);
	l->links = ls;
	core_lock(&ls->lock);
	head = g_hash_table_lookup(ls->table, l);
	if (head != NULL) {
		l->next = head->next;
		head->next = l;
	} else {
		g_hash_table_insert(ls->table, l, l);
	}
	ls->count++;
	core_unlock(&ls->lock);
	return l;
}

void
session_link_remove(session_link *l)
{
	session_links *ls;
	session_link *head;

	if (l == NULL)
		return;
	ls = l->links;
	core_lock(&ls->lock);
	head = g_hash_table_lookup(ls->table, l);
	if (head == l) {
		g_hash_table_remove(ls->table, l);
		if (l->next != NULL)
			g_hash_table_insert(ls->table, l->next, l->next);
	} else {
		for (session_link *p = head; p != NULL; p = p->next)
			if (p->next == l) {
				p->next = l->next;
				break;
			}
	}
	ls->count--;
	core_unlock(&ls->lock);
	g_free(l);
}

greeting_type
session_link_greeting(const session_link *l)
{
	return l != NULL ? (greeting_type)atomic_load_explicit(
				   &l->greeting, memory_order_acquire)
			 : GREETING_UNKNOWN;
}

void
session_link_forget(session_link *l)
{
	if (l != NULL)
		atomic_store_explicit(&l->greeting, GREETING_UNKNOWN,
				      memory_order_release);
}

bool
session_link_tell(session_links *ls, const session_endpoints *e,
		  greeting_type g)
{
	session_link key;
	bool found = false;

	if (ls == NULL || e->client.family == 0)
		return false;
	key_of(&key, e);
	core_lock(&ls->lock);
	for (session_link *p = g_hash_table_lookup(ls->table, &key); p != NULL;
	     p = p->next) {
		if (!same_server(p, e))
			continue;
		found = true;
		if (g != GREETING_UNKNOWN)
			atomic_store_explicit(&p->greeting, g,
					      memory_order_release);
	}
	core_unlock(&ls->lock);
	return found;
}

unsigned
session_link_count(session_links *ls)
{
	unsigned n;

	core_lock(&ls->lock);
	n = ls->count;
	core_unlock(&ls->lock);
	return n;
}
