/*
 * IPv4 and IPv6 addresses and networks, as the config writes them
 * (trusted_networks, [size_limits] client:) and as clients arrive.
 */
#include "net_addr.h"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <glib.h>

bool
net_addr_parse(const char *text, net_addr *out)
{
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = 4;
		out->prefix = 32;
		return true;
	}
	if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->family = 6;
		out->prefix = 128;
		return true;
	}
	return false;
}

/* "ADDR/LEN" or a bare address; host bits must be zero, as in Postfix. */
bool
net_addr_parse_cidr(const char *text, net_addr *out)
{
	g_autofree char *copy = g_strdup(text);
	char *slash = strchr(copy, '/');
	guint64 prefix;

	if (slash != NULL)
		*slash = '\0';
	if (!net_addr_parse(copy, out))
		return false;
	if (slash == NULL)
		return true;
	if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, out->prefix,
					&prefix, NULL))
		return false;
	out->prefix = (guint8)prefix;
	for (unsigned bit = out->prefix; bit < (out->family == 4 ? 32u : 128u);
	     bit++)
		if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

bool
net_addr_in(const net_addr *addr, const net_addr *net)
{
	unsigned full, rest;

	if (addr->family == 0 || addr->family != net->family)
		return false;
	full = net->prefix / 8;
	rest = net->prefix % 8;
	if (memcmp(addr->addr, net->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((addr->addr[full] ^ net->addr[full]) & (0xffu << (8 - rest)))
	       == 0;
}

void
net_addr_format(const net_addr *a, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, text,
		      sizeof text) == NULL) {
		g_strlcpy(buf, "?", len);
		return;
	}
	if (a->prefix == (a->family == 4 ? 32 : 128))
		g_strlcpy(buf, text, len);
	else
		snprintf(buf, len, "%s/%u", text, a->prefix);
}
