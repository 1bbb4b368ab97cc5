/*
 * Names and codes, both ways, from one small table per enumeration (in
 * the manner of Postfix's util/name_code.c): log levels, syslog
 * facilities, rule actions and stages, greetings, BODY types, verdicts.
 *
 * name_code_name() returns the name of code, or unknown when the table
 * has none. name_code_find() sets *code from an exact name and says
 * whether there was one; name_code_find_ci() ignores ASCII case and takes
 * a length (for values inside a client's command). The tables are static
 * and owned by their modules.
 */
#ifndef ESMTP_NAME_CODE_H
#define ESMTP_NAME_CODE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *name;
	int code;
} name_code;

const char *name_code_name(const name_code *table, size_t n, int code,
			   const char *unknown);
bool name_code_find(const name_code *table, size_t n, const char *name,
		    int *code);
bool name_code_find_ci(const name_code *table, size_t n, const char *name,
		       size_t len, int *code);
/* "a, b, c or d": the names of a table, for "allowed values" messages. */
char *name_code_list(const name_code *table, size_t n);

#endif
