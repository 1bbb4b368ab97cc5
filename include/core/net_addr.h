/*
 * IPv4 and IPv6 addresses and networks.
 *
 * net_addr_parse() reads a bare address (prefix 32 or 128);
 * net_addr_parse_cidr() an address or ADDRESS/PREFIX whose host bits are
 * zero, as Postfix wants them. net_addr_in() says whether an address is
 * in a network (never for an unknown family). net_addr_format() writes
 * one back, with /PREFIX for a network, into the caller's buffer.
 */
#ifndef ESMTP_NET_ADDR_H
#define ESMTP_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 network, or a client address (prefix 32 or 128). */
typedef struct {
	uint8_t family;		/* 4 or 6; 0 = unknown */
	uint8_t prefix;
	uint8_t addr[16];
} net_addr;

bool net_addr_parse(const char *text, net_addr *out);
bool net_addr_parse_cidr(const char *text, net_addr *out);
bool net_addr_in(const net_addr *addr, const net_addr *net);
void net_addr_format(const net_addr *addr, char *buf, size_t len);

#endif
