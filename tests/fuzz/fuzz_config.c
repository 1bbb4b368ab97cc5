/* Fuzz target: the config loader on arbitrary file contents. */
#include <stdint.h>
#include <glib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	esmtp_config *c = config_load_data("fuzz.conf", text, problems);

	config_unref(c);
	return 0;
}
