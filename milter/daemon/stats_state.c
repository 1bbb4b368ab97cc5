/*
 * Saving and restoring the counters. g_file_set_contents_full with
 * CONSISTENT | DURABLE writes a temporary file, fsyncs it and renames it
 * over the old one: a crash leaves the old file or the new one, never
 * half of one.
 */
#include "stats_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

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

/* Larger than any state file the daemon writes (a few tens of KiB). */
#define STATE_FILE_MAX (16 << 20)

/*
 * The file's text, read without following a symbolic link and only from
 * a regular file of the daemon's own user (or root's), so that a link
 * planted in the state directory cannot make the daemon read another
 * file. *refused is set for a file that is there but not acceptable: it
 * is named, never read, and left where it is.
 */
static char *
read_own_file(const char *path, gsize *len, bool *refused, GError **error)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	GString *text;
	char buf[65536];
	ssize_t n;

	*refused = false;
	if (fd < 0) {
		int e = errno;

		*refused = e == ELOOP;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s",
			    e == ELOOP ? "it is a symbolic link, which is not followed"
				       : g_strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
	    || (st.st_uid != geteuid() && st.st_uid != 0)
	    || st.st_size > STATE_FILE_MAX) {
		*refused = true;
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "%s",
			    !S_ISREG(st.st_mode) ? "it is not a regular file"
			    : st.st_size > STATE_FILE_MAX ? "it is larger than 16 MiB"
			    : "it belongs to another user");
		close(fd);
		return NULL;
	}
	text = g_string_sized_new((gsize)st.st_size + 1);
	while ((n = read(fd, buf, sizeof buf)) > 0 && text->len <= STATE_FILE_MAX)
		g_string_append_len(text, buf, n);
	close(fd);
	if (n < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "%s", g_strerror(errno));
		g_string_free(text, TRUE);
		return NULL;
	}
	*len = text->len;
	return g_string_free(text, FALSE);
}

bool
stats_state_load(stats *s, const char *path, char **moved_to,
		 GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *text = NULL;
	gsize len;

	bool refused;

	*moved_to = NULL;
	text = read_own_file(path, &len, &refused, &local);
	if (text == NULL) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		g_propagate_error(error, g_steal_pointer(&local));
		if (!refused)
			*moved_to = move_aside(path);
		return false;
	}
	if (!json_parser_load_from_data(parser, text, (gssize)len, &local)) {
		/* the parser's message quotes the file: name the problem only */
		stats_clear(s);
		stats_init(s);
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "not JSON (line %u)", json_parser_get_current_line(parser));
		*moved_to = move_aside(path);
		return false;
	}
	if (!stats_from_json(s, json_parser_get_root(parser), &local)) {
		/* back to zero: a half-restored state would mislead */
		stats_clear(s);
		stats_init(s);
		g_propagate_error(error, g_steal_pointer(&local));
		*moved_to = move_aside(path);
		return false;
	}
	return true;
}
