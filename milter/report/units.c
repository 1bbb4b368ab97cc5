/*
 * Counts and octets for people: "12.3k", "4.5 MiB" (report.h).
 */
#include "report.h"

#include <stdio.h>

/*
 * n scaled by base until it is below base, with one decimal: units[0] is
 * the unscaled unit, sep goes between number and unit.
 */
static void
human(uint64_t n, unsigned base, const char *const units[6], const char *sep,
      char *buf, size_t len)
{
	double v = (double)n;
	unsigned u = 0;

	if (n < base) {
		snprintf(buf, len, "%" G_GUINT64_FORMAT "%s%s", n,
			 units[0][0] != '\0' ? sep : "", units[0]);
		return;
	}
	/* 999.95 would print as 1000.0: move up a unit first */
	while (v >= base - 0.05 && u + 1 < 6) {
		v /= base;
		u++;
	}
	snprintf(buf, len, "%.1f%s%s", v, sep, units[u]);
}

void
report_human_count(uint64_t n, char *buf, size_t len)
{
	static const char *const units[6] = {"", "k", "M", "G", "T", "P"};

	human(n, 1000, units, "", buf, len);
}

void
report_human_octets(uint64_t n, char *buf, size_t len)
{
	static const char *const units[6] = {"B", "KiB", "MiB", "GiB", "TiB",
					     "PiB"};

	human(n, 1024, units, " ", buf, len);
}
