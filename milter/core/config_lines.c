/*
 * Where in a config file a problem is: GKeyFile parses, but names no line
 * for a bad value and only quotes the line of a syntax error, so these
 * find the line number to point the administrator at.
 */
#include "config_lines.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool
line_is_group(const char *line, size_t len, const char *group)
{
	return len == strlen(group) + 2 && line[0] == '['
	       && strncmp(line + 1, group, len - 2) == 0
	       && line[len - 1] == ']';
}

/*
 * The line number of a key (or of the group header when key is NULL):
 * only to point the administrator at the right line.
 */
unsigned
config_key_line(const char *text, const char *group, const char *key)
{
	const char *p = text;
	bool in_group = false;
	unsigned lineno = 0;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		g_autofree char *line = g_strstrip(g_strndup(p, len));
		size_t l = strlen(line);

		lineno++;
		if (l > 0 && line[0] == '[') {
			in_group = line_is_group(line, l, group);
			if (in_group && key == NULL)
				return lineno;
		} else if (in_group && key != NULL && l > 0 && line[0] != '#') {
			char *eq = strchr(line, '=');

			if (eq != NULL) {
				*eq = '\0';
				if (strcmp(g_strchomp(line), key) == 0)
					return lineno;
			}
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return 0;
}

unsigned
config_parse_error_line(const char *text, const GError *error)
{
	const char *open = strstr(error->message, "\xe2\x80\x9c");
	const char *close = open != NULL ? strstr(open, "\xe2\x80\x9d") : NULL;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	if (open != NULL && close != NULL) {
		g_autofree char *quoted = g_strndup(open + 3,
						    (size_t)(close - open - 3));

		g_strstrip(quoted);
		for (unsigned i = 0; lines[i] != NULL; i++)
			if (strcmp(g_strstrip(lines[i]), quoted) == 0)
				return i + 1;
		return 0;
	}
	/* "does not start with a group": the first line that counts */
	for (unsigned i = 0; lines[i] != NULL; i++) {
		const char *l = g_strstrip(lines[i]);

		if (*l != '\0' && *l != '#')
			return i + 1;
	}
	return 0;
}

void
config_add_problem(GPtrArray *problems, const char *path, unsigned line,
		   const char *msg)
{
	if (line > 0)
		g_ptr_array_add(problems, g_strdup_printf("%s:%u: %s", path,
							  line, msg));
	else
		g_ptr_array_add(problems, g_strdup_printf("%s: %s", path, msg));
}
