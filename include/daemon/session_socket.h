/*
 * What the daemon adds to libmilter's session sockets, which libmilter
 * offers no hook on: milter sessions over TCP that never wait for a
 * delayed acknowledgement, and refused sessions closed by the daemon.
 *
 * Over TCP:
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
 * libmilter has read them, instead of after 40 ms.
 *
 * A refused session (over the session cap, or after a stop began) is
 * answered with tempfail at connect, and then libmilter would keep its
 * socket open, waiting for the MTA's next command for up to [milter]
 * timeout: a peer that keeps it open would hold a descriptor past the
 * cap. So the daemon shuts the socket down right after that reply;
 * libmilter then reads the end of the session and closes it.
 *
 * The program defines accept() and writev(), which libmilter calls, in
 * front of the C library's (as shutdown.c does with sigwait()); each
 * calls the C library's own and only adds the socket option, or the
 * shutdown, on the sockets that need it. Anything else in the process
 * that calls them goes straight through.
 */
#ifndef ESMTP_SESSION_SOCKET_H
#define ESMTP_SESSION_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Turns the socket options on for sessions accepted from now on (a
 * milter socket on TCP); descriptors from max_fd on are left alone. Call
 * once, before libmilter starts its listener.
 */
void session_socket_tcp_enable(size_t max_fd);

/* Whether session_socket_tcp_enable() was called: the sessions are TCP. */
bool session_socket_tcp(void);

/*
 * From a milter callback: the reply libmilter writes next on this thread
 * (the callback's own) is the session's last; the socket is shut down
 * right after it.
 */
void session_socket_close_after_reply(void);
/* From the close callback: nothing of that session is pending any more
   (a reply that could not be written leaves no shutdown behind). */
void session_socket_session_end(void);

/*
 * Whether the TCP tuning reaches the sessions: a callback calls
 * session_socket_check_reply(), and the reply libmilter then writes on
 * its thread is looked at. session_socket_seen() has SEEN_MARKED once
 * such a reply went out on a descriptor accept() marked (the options are
 * applied), SEEN_UNMARKED once one went out on a TCP socket accept()
 * never saw (a libmilter that duplicates the accepted descriptor, or
 * accepts through another call: the options are not applied and the MTA
 * waits for delayed acknowledgements). milter.c logs each once.
 */
enum { SESSION_SOCKET_SEEN_MARKED = 1, SESSION_SOCKET_SEEN_UNMARKED = 2 };
void session_socket_check_reply(void);
unsigned session_socket_seen(void);

#endif
