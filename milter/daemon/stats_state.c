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
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "stats_export.h"
#include "stats_load.h"

bool
stats_state_save(stats *s, const char *path, GError **error)
{
	/* compact: the history's numbers one to a line would double the
	   file (python3 -m json.tool shows it indented) */
	g_autofree char *text = stats_json_text(s, false);

	return g_file_set_contents_full(path, text, -1,
					G_FILE_SET_CONTENTS_CONSISTENT
					| G_FILE_SET_CONTENTS_DURABLE,
					0640, error);
}

/* FILE.corrupt-TIMESTAMP: where a file that did not read is kept. */
static char *
aside_name(const char *path)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");

	return g_strdup_printf("%s.corrupt-%s", path, stamp);
}

static char *
move_aside(const char *path)
{
	char *aside = aside_name(path);

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

/* A copy of what was read, beside the file, for the admin to look at. */
static char *
copy_aside(const char *path, const char *text, gsize len)
{
	char *aside = aside_name(path);

	if (!g_file_set_contents_full(aside, text, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0640, NULL)) {
		g_free(aside);
		return NULL;
	}
	return aside;
}

void
stats_state_outcome_clear(stats_state_outcome *out)
{
	g_clear_pointer(&out->moved_to, g_free);
	stats_load_outcome_clear(&out->read);
}

bool
stats_state_load(stats *s, const char *path, stats_state_outcome *out,
		 GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *text = NULL;
	gsize len;
	bool refused;

	memset(out, 0, sizeof *out);
	text = read_own_file(path, &len, &refused, &local);
	if (text == NULL) {
		out->read.lost = g_ptr_array_new_with_free_func(g_free);
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		g_propagate_error(error, g_steal_pointer(&local));
		if (!refused)
			out->moved_to = move_aside(path);
		return false;
	}
	if (!stats_load_text(s, text, len, &out->read, error)) {
		out->moved_to = move_aside(path);
		return false;
	}
	/* what could not be read is gone at the next save: keep the file */
	if (out->read.lost->len > 0 || out->read.replaced > 0)
		out->moved_to = copy_aside(path, text, len);
	return true;
}
