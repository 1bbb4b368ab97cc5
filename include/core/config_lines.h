/*
 * Line numbers for config problems.
 *
 * config_key_line() is the line of key in group (of the group header when
 * key is NULL), 0 when not found. config_parse_error_line() is the line a
 * GKeyFile parse error quotes, or the first line that counts when it
 * quotes none. config_add_problem() appends "FILE:LINE: msg" (or
 * "FILE: msg" for line 0) to problems, which owns the new string.
 */
#ifndef ESMTP_CONFIG_LINES_H
#define ESMTP_CONFIG_LINES_H

#include <glib.h>

unsigned config_key_line(const char *text, const char *group,
			 const char *key);
unsigned config_parse_error_line(const char *text, const GError *error);
void config_add_problem(GPtrArray *problems, const char *path, unsigned line,
			const char *msg);

#endif
