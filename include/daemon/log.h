/*
 * One logging helper for the whole daemon: syslog, and stderr as well in
 * the foreground. Lines are prefixed with the MTA queue id (or NOQUEUE)
 * and bounded in length.
 */
#ifndef ESMTP_LOG_H
#define ESMTP_LOG_H

#include <stdbool.h>
#include <glib.h>

#define LOG_LINE_MAX 1024

void log_open(int facility, bool to_stderr);
void log_set_level(int priority);
void log_msg(int priority, const char *queue_id, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
void log_close(void);

#endif
