/*
 * Signals and the graceful stop (see shutdown.h).
 *
 * How the daemon keeps SIGTERM, SIGHUP and SIGINT from libmilter (which
 * would stop on SIGHUP, the signal most daemons and Postfix itself take
 * as "reload"): every
 * thread blocks them, this thread waits for them with sigwaitinfo(), and
 * libmilter's signal thread, which waits with sigwait(), finds the
 * sigwait() below first (the dynamic linker resolves libmilter's call to
 * the program's definition). For libmilter's set it never returns; every
 * other call goes to the C library's sigwaitinfo(). libmilter's listener
 * runs until the process ends, after the drain.
 *
 * The state below is global because signal handling is: one signal
 * thread for the process, and the sigwait() that libmilter's thread
 * calls cannot be handed a pointer of ours.
 */
#include "shutdown.h"

/* libmilter's call to sigwait() reaches the one below only where an
   executable's symbols come before a shared library's (ELF) */
#ifndef __ELF__
#error "esmtp-milter takes over libmilter's sigwait() by ELF symbol interposition: this system's binaries are not ELF (the daemon is built and tested on Linux)"
#endif

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>
#include <glib.h>

#include "log.h"
#include "process.h"

static process *proc;
static void (*reload_fn)(void *data);
static int (*cleanup_fn)(void *data);
static void *fn_data;
static const char *milter_path;
static atomic_bool stopping;
static atomic_flag cleaned = ATOMIC_FLAG_INIT;

int sigwait(const sigset_t *set, int *sig);

int
sigwait(const sigset_t *set, int *sig)
{
	int s;

	/* libmilter's signal thread: SIGHUP, SIGTERM and SIGINT are ours */
	if (sigismember(set, SIGHUP) == 1 && sigismember(set, SIGTERM) == 1
	    && sigismember(set, SIGINT) == 1)
		for (;;)
			pause();
	do
		s = sigwaitinfo(set, NULL);
	while (s < 0 && errno == EINTR);
	if (s < 0)
		return errno;
	*sig = s;
	return 0;
}

bool
shutdown_stopping(void)
{
	return atomic_load_explicit(&stopping, memory_order_relaxed);
}

static long long
open_sessions(void)
{
	return (long long)atomic_load(&proc->counters.active_connections);
}

/* The end: the cleanup once, then out; sessions cut skip exit handlers. */
static void
finish(bool cut)
{
	int status;

	if (atomic_flag_test_and_set(&cleaned))
		for (;;)
			pause();	/* the other caller ends the process */
	status = cleanup_fn(fn_data);
	if (cut)
		_exit(status);
	exit(status);
}

static void
drain(int sig)
{
	esmtp_config *config = process_config_acquire(proc);
	gint64 deadline = g_get_monotonic_time()
			  + (gint64)config->shutdown_grace * G_USEC_PER_SEC;
	long long open;

	atomic_store(&stopping, true);
	/* no MTA reaches a socket without a path */
	if (milter_path != NULL)
		unlink(milter_path);
	open = open_sessions();
	log_msg(LOG_INFO, NULL, "%s: stopping%s", strsignal(sig),
		open > 0 ? "; sessions in flight may finish" : "");
	if (open > 0)
		log_msg(LOG_INFO, NULL,
			"stopping: no new sessions; waiting up to %u s for %lld in flight",
			config->shutdown_grace, open);
	while ((open = open_sessions()) > 0 && g_get_monotonic_time() < deadline)
		g_usleep(20 * 1000);
	if (open > 0)
		log_msg(LOG_WARNING, NULL,
			"%lld sessions still open after shutdown_grace (%u s): cut, the MTA applies its default action",
			open, config->shutdown_grace);
	config_unref(config);
	/* not smfi_stop(): it waits for libmilter's listener, which looks up
	   only every five seconds; the process ends here */
	finish(open > 0);
}

static gpointer
signal_thread(gpointer data)
{
	sigset_t set;

	(void)data;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);

		if (sig == SIGUSR1 || sig == SIGHUP)
			reload_fn(fn_data);
		else if (sig > 0)
			drain(sig);
	}
	return NULL;
}

bool
shutdown_signals_start(process *p, void (*reload)(void *data),
		       int (*cleanup)(void *data), void *data,
		       const char *sock_path)
{
	proc = p;
	reload_fn = reload;
	cleanup_fn = cleanup;
	fn_data = data;
	milter_path = sock_path;
	return g_thread_try_new("signals", signal_thread, NULL, NULL) != NULL;
}

void
shutdown_after_listener(void)
{
	finish(open_sessions() > 0);
}
