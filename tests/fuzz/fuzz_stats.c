/*
 * Fuzz target: the statistics' round trip (stats_roundtrip.h). Whatever
 * the clients of a sequence of sessions send, the JSON the daemon serves
 * and saves is valid UTF-8 and reads back to the same counters.
 */
#include <stdio.h>
#include <stdlib.h>

#include "stats_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = stats_roundtrip_check(data, size);

	if (why != NULL) {
		fprintf(stderr, "fuzz_stats: %s\n", why);
		abort();
	}
	return 0;
}
