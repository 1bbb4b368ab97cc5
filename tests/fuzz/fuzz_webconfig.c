/*
 * Fuzz target: the [stats] web_config reader (libyaml, then the keys of
 * the exporters' format, the certificate files it names and the bcrypt
 * hashes) on arbitrary file contents. Whatever the file: a web_config or
 * a config error with its line, never a crash, a leak or a hang.
 *
 * The reader takes a path, so the input is written to a file of this
 * process's own; the files it names are looked up beside it, in a
 * folder where the seeds' server.crt and server.key are made once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib.h>

#include "web_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	web_config *w;

	if (dir == NULL)
		dir = g_dir_make_tmp("fuzz-webconfig-XXXXXX", NULL);
	if (dir == NULL)
		abort();
	path = g_build_filename(dir, "web.yml", NULL);
	if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
		abort();
	w = web_config_load(path, &error);
	/* one or the other, never both or neither */
	if ((w == NULL) == (error == NULL))
		abort();
	web_config_free(w);
	return 0;
}
