/*
 * The daemon's signals and its graceful stop.
 *
 * libmilter's own signal thread (started by smfi_main) would take
 * SIGTERM, SIGHUP and SIGINT and stop at once: Debian's libmilter runs its
 * sessions in a worker pool that drops every waiting session as soon as
 * its stop flag is set. The daemon takes those signals itself instead
 * (see shutdown.c for how): on one of them it stops accepting (the unix
 * socket is removed, a session that still arrives is tempfailed at
 * connect), lets the open milter sessions finish for up to
 * [milter] shutdown_grace seconds, runs the cleanup and ends the process,
 * at once when idle. SIGHUP and SIGUSR1 reload the config, as Postfix
 * and most daemons do on SIGHUP.
 */
#ifndef ESMTP_SHUTDOWN_H
#define ESMTP_SHUTDOWN_H

#include <stdbool.h>

#include "process.h"

/*
 * Starts the signal thread. Call with every signal it takes blocked in
 * the calling thread (so in every thread started after it). reload(data)
 * runs on SIGHUP and SIGUSR1; cleanup(data) saves and removes what must be and
 * returns the exit status; sock_path is the milter's unix socket (NULL
 * for inet). The stop waits for p's open milter sessions, up to its
 * config's shutdown_grace.
 */
bool shutdown_signals_start(process *p, void (*reload)(void *data),
			    int (*cleanup)(void *data), void *data,
			    const char *sock_path);
/* Whether a stop has begun: new milter sessions are tempfailed. */
bool shutdown_stopping(void);
/* smfi_main() returned by itself (its listener failed): stop now. */
void shutdown_after_listener(void);

#endif
