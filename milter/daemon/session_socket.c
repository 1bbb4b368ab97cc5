/*
 * TCP_NODELAY and TCP_QUICKACK on the milter sessions over TCP, and the
 * shutdown of a refused session after its reply (see session_socket.h
 * for why). The sessions are marked in a bitmap by
 * descriptor when accept() returns them; writev() looks its descriptor
 * up there, one load, and only a marked one costs a system call. A
 * descriptor reused by something else after its session closed loses
 * its mark at its next accept() by libmilter, or at the first
 * setsockopt() that fails on it.
 */
#include "session_socket.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>

/*
 * Replacing accept() and writev() for the whole process takes an ELF
 * dynamic linker with RTLD_NEXT (glibc's, and others'); without it the
 * daemon cannot be built as it is, and the build says so here.
 */
#ifndef RTLD_NEXT
#error "esmtp-milter replaces accept() and writev() through dlsym(RTLD_NEXT): this system's dynamic linker has no RTLD_NEXT (the daemon is built and tested on Linux with glibc)"
#endif
/* Linux's delayed-ACK switch; elsewhere the replies are sent with
   TCP_NODELAY alone and an MTA may wait for a delayed ACK over TCP */
#ifndef TCP_QUICKACK
#define TCP_QUICKACK_OR_NONE 0
#else
#define TCP_QUICKACK_OR_NONE TCP_QUICKACK
#endif

#define MARKS_MAX ((size_t)1 << 20)	/* a bitmap of 128 KiB at most */

typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);

static _Atomic unsigned seen;	/* SESSION_SOCKET_SEEN_* */
static _Atomic uint64_t *marks;
static size_t nmarks;		/* descriptors the bitmap covers */
/* set by a callback, taken by the writev() of its reply, on one thread */
static _Thread_local bool close_after_reply;
/* set by a callback, taken by the writev() of its reply: look at it */
static _Thread_local bool check_reply;

int accept(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t writev(int fd, const struct iovec *iov, int iovcnt);

void
session_socket_tcp_enable(size_t max_fd)
{
	if (marks != NULL)
		return;
	if (max_fd > MARKS_MAX)
		max_fd = MARKS_MAX;
	marks = calloc((max_fd + 63) / 64, sizeof *marks);
	if (marks != NULL)
		nmarks = max_fd;
}

bool
session_socket_tcp(void)
{
	return marks != NULL;
}

void
session_socket_close_after_reply(void)
{
	close_after_reply = true;
}

void
session_socket_session_end(void)
{
	close_after_reply = false;
	check_reply = false;
}

static void
mark(int fd, bool on)
{
	uint64_t bit;

	/* checked first: a negative fd would shift by a negative count */
	if (fd < 0 || (size_t)fd >= nmarks)
		return;
	bit = (uint64_t)1 << (fd % 64);
	if (on)
		atomic_fetch_or_explicit(&marks[fd / 64], bit, memory_order_relaxed);
	else
		atomic_fetch_and_explicit(&marks[fd / 64], ~bit, memory_order_relaxed);
}

static bool
marked(int fd)
{
	return fd >= 0 && (size_t)fd < nmarks
	       && (atomic_load_explicit(&marks[fd / 64], memory_order_relaxed)
		   >> (fd % 64) & 1);
}

static bool
set_option(int fd, int option)
{
	int on = 1;

	return setsockopt(fd, IPPROTO_TCP, option, &on, sizeof on) == 0;
}

int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static _Atomic(accept_fn) real;
	accept_fn next = atomic_load_explicit(&real, memory_order_relaxed);
	int s;
	int domain = 0;
	socklen_t dlen = sizeof domain;

	if (next == NULL) {
		next = (accept_fn)dlsym(RTLD_NEXT, "accept");
		atomic_store_explicit(&real, next, memory_order_relaxed);
	}
	s = next(fd, addr, len);
	if (s < 0 || marks == NULL)
		return s;
	if (getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0
	    && (domain == AF_INET || domain == AF_INET6))
		mark(s, set_option(s, TCP_NODELAY));
	else
		mark(s, false);
	return s;
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	static _Atomic(writev_fn) real;
	writev_fn next = atomic_load_explicit(&real, memory_order_relaxed);
	ssize_t n;

	if (next == NULL) {
		next = (writev_fn)dlsym(RTLD_NEXT, "writev");
		atomic_store_explicit(&real, next, memory_order_relaxed);
	}
	n = next(fd, iov, iovcnt);
	if (close_after_reply) {
		int saved = errno;
		size_t total = 0;

		for (int i = 0; i < iovcnt; i++)
			total += iov[i].iov_len;
		/* the whole reply is out (libmilter writes the rest of a
		   partial one with another call), or it cannot be sent */
		if (n >= 0 && (size_t)n >= total) {
			close_after_reply = false;
			shutdown(fd, SHUT_RDWR);
		} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
			close_after_reply = false;
		}
		errno = saved;
		return n;
	}
	if (n <= 0 || marks == NULL)
		return n;
	/* a reply is out: acknowledge what the MTA sends next at once */
	if (marked(fd) && TCP_QUICKACK_OR_NONE != 0
	    && !set_option(fd, TCP_QUICKACK_OR_NONE))
		mark(fd, false);
	if (check_reply) {
		int saved = errno, domain = 0;
		socklen_t dlen = sizeof domain;

		check_reply = false;
		if (marked(fd))
			atomic_fetch_or(&seen, SESSION_SOCKET_SEEN_MARKED);
		else if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0
			 && (domain == AF_INET || domain == AF_INET6))
			atomic_fetch_or(&seen, SESSION_SOCKET_SEEN_UNMARKED);
		errno = saved;
	}
	return n;
}

void
session_socket_check_reply(void)
{
	check_reply = true;
}

unsigned
session_socket_seen(void)
{
	return atomic_load(&seen);
}
