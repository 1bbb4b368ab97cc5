/*
 * The parser micro-benchmark of make bench: nanoseconds per MAIL command
 * through the session core (split, registry, rules, the transaction's
 * log line formatted and dropped) with 0, 3 and 10 parameters, and the
 * heap allocations each one makes, counted by malloc, calloc and realloc
 * defined here in front of the C library's (GLib's calls count too).
 * Prints one JSON object.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "session.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static atomic_ulong allocations;

void *
malloc(size_t n)
{
	atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
	return __libc_realloc(p, n);
}

static void
drop(void *data, int priority, const char *queue_id, const char *line)
{
	(void)data;
	(void)priority;
	(void)queue_id;
	(void)line;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	static char *params[] = {
		"SIZE=10640", "BODY=8BITMIME", "RET=HDRS", "ENVID=QQ314159",
		"AUTH=<>", "SMTPUTF8", "MT-PRIORITY=3", "HOLDFOR=600",
		"REQUIRETLS", "XFOO=bar",
	};
	static const int counts[] = {0, 3, 10};
	long iterations = argc > 1 ? atol(argv[1]) : 200000;
	esmtp_config *cfg = config_new_defaults();
	stats st;
	session_conn conn;
	session_macros macros = {.protocol = "ESMTP", .queue_id = "Q1"};
	session_result res;
	net_addr addr;

	g_array_set_size(cfg->trusted_networks, 0);
	stats_init(&st);
	session_init(&conn, cfg, &st, drop, NULL);
	conn.log_level = LOG_INFO;
	net_addr_parse("192.0.2.10", &addr);
	session_connect(&conn, "client.example", &addr, "192.0.2.10");
	session_helo(&conn, "client.example");

	printf("{");
	for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
		char *av[12] = {"<alice@example.net>"};
		unsigned long before;
		double t0, ns;

		for (int i = 0; i < counts[c]; i++)
			av[i + 1] = params[i];
		av[counts[c] + 1] = NULL;
		for (int i = 0; i < 1000; i++) {	/* warm up */
			session_mail(&conn, av, &macros, &res);
			session_abort(&conn);
		}
		before = atomic_load(&allocations);
		t0 = now();
		for (long i = 0; i < iterations; i++) {
			session_mail(&conn, av, &macros, &res);
			session_abort(&conn);
		}
		ns = (now() - t0) / (double)iterations;
		printf("%s\"params_%d\": {\"ns_per_command\": %.0f, "
		       "\"allocations_per_command\": %.3f}", c ? ", " : "",
		       counts[c], ns,
		       (double)(atomic_load(&allocations) - before)
		       / (double)iterations);
	}
	printf("}\n");
	session_close(&conn);
	config_unref(cfg);
	stats_clear(&st);
	return 0;
}
