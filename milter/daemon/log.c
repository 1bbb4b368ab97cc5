/*
 * Logging in the manner of milter-regex's msg(): one call, one bounded
 * line, filtered by level. syslog(3) is thread-safe; stderr lines are
 * written with one write so that threads do not interleave them.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"

static int log_level = LOG_INFO;
static bool log_stderr;
static bool log_syslog;

/*
 * Under systemd, stderr may be a stream into the journal, which also
 * receives syslog: systemd names that stream in JOURNAL_STREAM
 * ("device:inode"), and a line is then written once, through syslog.
 */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2
	    || fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev
	       && (unsigned long long)st.st_ino == ino;
}

void
log_open(int facility, bool to_stderr)
{
	if (log_syslog)
		closelog();
	openlog("esmtp-milter", LOG_PID | LOG_NDELAY, facility);
	log_syslog = true;
	log_stderr = to_stderr && !stderr_is_journal();
}

void
log_set_level(int priority)
{
	g_atomic_int_set(&log_level, priority);
}

void
log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = false;
}

void
log_msg(int priority, const char *queue_id, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	int n;
	va_list ap;

	if (priority > g_atomic_int_get(&log_level))
		return;
	n = snprintf(line, sizeof line, "%s: ",
		     queue_id != NULL && *queue_id != '\0' ? queue_id
							   : "NOQUEUE");
	if (n < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (strlen(line) == sizeof line - 1)
		memcpy(line + sizeof line - 4, "...", 3);

	if (log_syslog)
		syslog(priority, "%s", line);
	if (log_stderr || !log_syslog) {
		char out[LOG_LINE_MAX + 96], stamp[32];
		struct tm tm;
		time_t now = time(NULL);
		int len;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
		len = snprintf(out, sizeof out, "%s esmtp-milter[%ld]: %s: %s\n",
			       stamp, (long)getpid(), log_level_name(priority),
			       line);
		if (len > 0) {
			ssize_t w = write(STDERR_FILENO, out,
					  (size_t)len < sizeof out ? (size_t)len
								   : sizeof out - 1);
			(void)w;
		}
	}
}
