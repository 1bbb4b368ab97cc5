/*
 * One lookup for every name/code table of the core and the adapters.
 */
#include "name_code.h"

#include <string.h>
#include <glib.h>

const char *
name_code_name(const name_code *table, size_t n, int code,
	       const char *unknown)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].code == code)
			return table[i].name;
	return unknown;
}

bool
name_code_find(const name_code *table, size_t n, const char *name, int *code)
{
	for (size_t i = 0; name != NULL && i < n; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*code = table[i].code;
			return true;
		}
	}
	return false;
}

bool
name_code_find_ci(const name_code *table, size_t n, const char *name,
		  size_t len, int *code)
{
	for (size_t i = 0; name != NULL && i < n; i++) {
		if (strlen(table[i].name) == len
		    && g_ascii_strncasecmp(table[i].name, name, len) == 0) {
			*code = table[i].code;
			return true;
		}
	}
	return false;
}

char *
name_code_list(const name_code *table, size_t n)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(out, i + 1 == n ? " or " : ", ");
		g_string_append(out, table[i].name);
	}
	return g_string_free(out, FALSE);
}
