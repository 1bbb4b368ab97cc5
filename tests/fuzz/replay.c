/*
 * Runs a fuzz target over the files it is given, without libFuzzer: make
 * check replays the seed corpora this way under the sanitizers, with gcc.
 * An input that runs longer than REPLAY_SECONDS is a hang: its path is
 * printed and the replay fails, instead of waiting for ever.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#define REPLAY_SECONDS 10

static const char *current;

static void
on_alarm(int sig)
{
	(void)sig;
	/* only async-signal-safe calls here */
	(void)!write(STDERR_FILENO, "replay: hang (over 10 s) on ", 28);
	(void)!write(STDERR_FILENO, current, strlen(current));
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	unsigned n = 0;

	signal(SIGALRM, on_alarm);
	for (int i = 1; i < argc; i++) {
		g_autofree char *data = NULL;
		gsize len;

		if (!g_file_get_contents(argv[i], &data, &len, NULL)) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			return 1;
		}
		current = argv[i];
		alarm(REPLAY_SECONDS);
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		alarm(0);
		n++;
	}
	printf("replayed %u inputs\n", n);
	return 0;
}
