/*
 * The yardstick for the policy service in make bench: a Postfix access
 * policy server that does nothing but answer. One thread, epoll, a read
 * buffer per connection; every request (attributes up to an empty line)
 * gets "action=DUNNO". No parsing, no logging, no statistics, so that the
 * daemon's policy listener is measured against the least any server can
 * do with the same protocol and the same kernel wake-ups.
 *
 * usage: null_policy unix:/PATH
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define BUF 8192

struct conn {
	int fd;
	size_t len;
	char buf[BUF];
};

static const char reply[] = "action=DUNNO\n\n";

/* Answers each complete request; false when the connection is done. */
static int
serve(struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		char *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0)
			return 0;
		c->len += (size_t)n;
		while ((end = memmem(c->buf, c->len, "\n\n", 2)) != NULL) {
			size_t used = (size_t)(end - c->buf) + 2;

			if (write(c->fd, reply, sizeof reply - 1) != sizeof reply - 1)
				return 0;
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
		}
		if (c->len == sizeof c->buf)
			return 0;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN}, events[64];
	int lfd, ep;

	if (argc != 2 || strncmp(argv[1], "unix:", 5) != 0
	    || strlen(argv[1] + 5) >= sizeof sun.sun_path) {
		fprintf(stderr, "usage: null_policy unix:/PATH\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1] + 5);
	unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) != 0
	    || chmod(sun.sun_path, 0666) != 0 || listen(lfd, SOMAXCONN) != 0) {
		perror(sun.sun_path);
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = NULL;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		perror("epoll");
		return 1;
	}
	for (;;) {
		int n = epoll_wait(ep, events, 64, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;

			if (c != NULL) {
				if (!serve(c)) {
					close(c->fd);
					free(c);
				}
				continue;
			}
			for (;;) {
				int fd = accept4(lfd, NULL, NULL,
						 SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd < 0)
					break;
				c = calloc(1, sizeof *c);
				if (c == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
					close(fd);
					free(c);
				}
			}
		}
	}
}
