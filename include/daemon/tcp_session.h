/*
 * Milter sessions over TCP that never wait for a delayed acknowledgement.
 *
 * An MTA that writes a small packet the filter does not answer (a macro
 * packet, which never gets a reply; Sendmail writes each as a packet of
 * its own) cannot send its next small packet until the filter's kernel
 * acknowledges the first (Nagle's algorithm on the MTA's side), and a
 * kernel that has just sent a reply delays that acknowledgement: 40 ms
 * on Linux, for every such packet. Likewise a second reply of the
 * daemon's (an added header, then the verdict) would wait for the MTA's
 * delayed acknowledgement of the first.
 *
 * So on each milter session over TCP the daemon sets TCP_NODELAY when
 * libmilter accepts it, and TCP_QUICKACK after each reply it writes:
 * the kernel then acknowledges the MTA's next packets as soon as
 * libmilter has read them, instead of after 40 ms. libmilter offers no
 * hook on its sockets, so the program defines accept() and writev(),
 * which libmilter calls, in front of the C library's (as shutdown.c
 * does with sigwait()); each calls the C library's own and only adds
 * the socket option on the sockets it marked. Anything else in the
 * process that calls them goes straight through.
 */
#ifndef ESMTP_TCP_SESSION_H
#define ESMTP_TCP_SESSION_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Turns the socket options on for sessions accepted from now on (a
 * milter socket on TCP); descriptors from max_fd on are left alone. Call
 * once, before libmilter starts its listener.
 */
void tcp_session_enable(size_t max_fd);

/* Whether tcp_session_enable() was called: the sessions are TCP. */
bool tcp_session_enabled(void);

#endif
