/*
 * Saving and restoring the counters. g_file_set_contents_full with
 * CONSISTENT | DURABLE writes a temporary file, fsyncs it and renames it
 * over the old one: a crash leaves the old file or the new one, never
 * half of one.
 */
#include "stats_state.h"

#include <errno.h>
#include <stdio.h>

#include "stats_export.h"

bool
stats_state_save(stats *s, const char *path, GError **error)
{
	g_autofree char *text = stats_json_text(s, true);

	return g_file_set_contents_full(path, text, -1,
					G_FILE_SET_CONTENTS_CONSISTENT
					| G_FILE_SET_CONTENTS_DURABLE,
					0640, error);
}

static char *
move_aside(const char *path)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
	char *aside = g_strdup_printf("%s.corrupt-%s", path, stamp);

	if (rename(path, aside) != 0) {
		g_free(aside);
		return NULL;
	}
	return aside;
}

bool
stats_state_load(stats *s, const char *path, char **moved_to,
		 GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *text = NULL;
	gsize len;

	*moved_to = NULL;
	if (!g_file_get_contents(path, &text, &len, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		g_propagate_error(error, g_steal_pointer(&local));
		*moved_to = move_aside(path);
		return false;
	}
	if (!json_parser_load_from_data(parser, text, (gssize)len, &local)
	    || !stats_from_json(s, json_parser_get_root(parser), &local)) {
		/* back to zero: a half-restored state would mislead */
		stats_clear(s);
		stats_init(s);
		g_propagate_error(error, g_steal_pointer(&local));
		*moved_to = move_aside(path);
		return false;
	}
	return true;
}
