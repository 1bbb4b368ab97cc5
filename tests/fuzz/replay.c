/*
 * Runs a fuzz target over the files it is given, without libFuzzer: make
 * check replays the seed corpora this way under the sanitizers, with gcc.
 */
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	unsigned n = 0;

	for (int i = 1; i < argc; i++) {
		g_autofree char *data = NULL;
		gsize len;

		if (!g_file_get_contents(argv[i], &data, &len, NULL)) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		n++;
	}
	printf("replayed %u inputs\n", n);
	return 0;
}
