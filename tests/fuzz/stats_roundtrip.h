/*
 * The statistics' round trip as a property, shared by the fuzz target
 * fuzz_stats.c and the unit test test_stats_round_trip_property:
 * sessions built from arbitrary octets (every client-supplied field, of
 * lengths around every bound) are counted; the JSON the daemon would
 * serve and save must be valid UTF-8, must parse, and must read back into
 * fresh counters that write the same JSON again; the Prometheus text
 * must be valid UTF-8 too.
 *
 * stats_roundtrip_check() returns NULL when the property holds, or a
 * description of how it failed (static text).
 */
#ifndef ESMTP_STATS_ROUNDTRIP_H
#define ESMTP_STATS_ROUNDTRIP_H

#include <stddef.h>
#include <stdint.h>

const char *stats_roundtrip_check(const uint8_t *data, size_t size);

#endif
