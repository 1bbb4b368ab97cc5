/*
 * Usage counters: atomics bumped by the session core. The exposition
 * (Prometheus text, JSON, the state file) reads them without locking.
 */
#include "stats.h"

#include <string.h>

void
stats_init(stats *s)
{
	memset(s, 0, sizeof *s);
}

const char *
greeting_name(greeting_type g)
{
	switch (g) {
	case GREETING_HELO:
		return "helo";
	case GREETING_EHLO:
		return "ehlo";
	case GREETING_UNKNOWN:
	case GREETING_COUNT:
		break;
	}
	return "unknown";
}

const char *
body_type_name(body_type b)
{
	switch (b) {
	case BODY_7BIT:
		return "7BIT";
	case BODY_8BITMIME:
		return "8BITMIME";
	case BODY_BINARYMIME:
		return "BINARYMIME";
	case BODY_NONE:
	case BODY_COUNT:
		break;
	}
	return "none";
}

const char *
verdict_name(verdict_type v)
{
	switch (v) {
	case VERDICT_ACCEPT:
		return "accept";
	case VERDICT_REJECT:
		return "reject";
	case VERDICT_TEMPFAIL:
		return "tempfail";
	case VERDICT_ABORT:
	case VERDICT_COUNT:
		break;
	}
	return "abort";
}
