/*
 * milterload: the MTA side of the milter protocol, as a load generator
 * for make bench. Each of --connections threads runs sessions (connect,
 * EHLO, --messages transactions of MAIL, --rcpts RCPTs, --headers header
 * fields and --body octets of body, end of message, QUIT) until --sessions
 * have run. It offers what Postfix offers (every SMFIP_NO* and SMFIP_NR_*
 * flag, SMFIP_HDR_LEADSPC) and honours the answer: a stage the filter
 * declined is not sent, and no reply is awaited where it promised none.
 *
 * --hold SECONDS: every connection stops after its first RCPT and waits
 * that long before finishing, so that all are open mid-transaction at
 * once (the concurrency sweep); the driver reads the filter's memory then.
 *
 * Prints one JSON object: messages, seconds, msg_per_s, p50_us, p99_us
 * (per message, MAIL to the end-of-message reply), errors, verdicts, and
 * the negotiated flags.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SMFIP_NOCONNECT 0x1
#define SMFIP_NOHELO 0x2
#define SMFIP_NOMAIL 0x4
#define SMFIP_NORCPT 0x8
#define SMFIP_NOBODY 0x10
#define SMFIP_NOHDRS 0x20
#define SMFIP_NOEOH 0x40
#define SMFIP_NR_HDR 0x80
#define SMFIP_NOUNKNOWN 0x100
#define SMFIP_NODATA 0x200
#define SMFIP_NR_CONN 0x1000
#define SMFIP_NR_HELO 0x2000
#define SMFIP_NR_MAIL 0x4000
#define SMFIP_NR_RCPT 0x8000
#define SMFIP_NR_DATA 0x10000
#define SMFIP_NR_EOH 0x40000
#define SMFIP_NR_BODY 0x80000
#define SMFIP_HDR_LEADSPC 0x100000
#define OFFERED 0x1FF3FF	/* as Postfix 3.7: all but SKIP and RCPT_REJ */

static struct {
	const char *socket;
	int connections, sessions, messages, rcpts, headers, body;
	int hold;
} opt = {NULL, 4, 1000, 5, 2, 6, 10240, 0};

static atomic_int sessions_started;
static atomic_long errors;
static atomic_long verdicts[8];	/* continue accept reject tempfail reply discard other */
static atomic_ulong negotiated_protocol, negotiated_actions;
static pthread_mutex_t lat_lock = PTHREAD_MUTEX_INITIALIZER;
static double *latencies;
static size_t nlat, caplat;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(void)
{
	int fd;

	if (strncmp(opt.socket, "unix:", 5) == 0) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", opt.socket + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			return fd;
	} else if (strncmp(opt.socket, "inet:", 5) == 0) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		const char *at = strchr(opt.socket, '@');

		sin.sin_port = htons((uint16_t)atoi(opt.socket + 5));
		if (inet_pton(AF_INET, at != NULL ? at + 1 : "127.0.0.1",
			      &sin.sin_addr) != 1)
			return -1;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		/* as Postfix: no TCP_NODELAY, so delayed ACKs show */
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0)
			return fd;
	} else {
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

/* All of len octets written (or read), whatever the kernel splits. */
static int
io_all(int fd, void *buf, size_t len, bool writing)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	return io_all(fd, (void *)buf, len, true);
}

static int
read_all(int fd, void *buf, size_t len)
{
	return io_all(fd, buf, len, false);
}

static int
send_cmd(int fd, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);
	char head[5];

	memcpy(head, &n, 4);
	head[4] = cmd;
	if (len == 0)
		return write_all(fd, head, 5);
	/* one write per packet, as MTAs do */
	{
		char *buf = malloc(len + 5);
		int rc;

		if (buf == NULL)
			return -1;
		memcpy(buf, head, 5);
		memcpy(buf + 5, data, len);
		rc = write_all(fd, buf, len + 5);
		free(buf);
		return rc;
	}
}

/* Reads one reply; returns its command, or 0 on error. */
static char
read_reply(int fd, char *data, size_t cap, size_t *len)
{
	uint32_t n;

	if (read_all(fd, &n, 4) != 0)
		return 0;
	n = ntohl(n);
	if (n == 0 || n > 65536 + 16)
		return 0;
	if (n - 1 > cap) {
		char skip[512];
		char cmd;

		if (read_all(fd, &cmd, 1) != 0)
			return 0;
		for (uint32_t left = n - 1; left > 0;) {
			uint32_t k = left > sizeof skip ? sizeof skip : left;

			if (read_all(fd, skip, k) != 0)
				return 0;
			left -= k;
		}
		*len = 0;
		return cmd;
	}
	{
		char cmd;

		if (read_all(fd, &cmd, 1) != 0 || read_all(fd, data, n - 1) != 0)
			return 0;
		*len = n - 1;
		return cmd;
	}
}

/* A final reply: skips progress and header changes; 0 on error. */
static char
final_reply(int fd)
{
	char data[1024];
	size_t len;

	for (;;) {
		char c = read_reply(fd, data, sizeof data, &len);

		if (c == 0)
			return 0;
		if (strchr("cartyd", c) != NULL)
			return c;
		/* 'p' progress, 'h' add header and other changes: go on */
	}
}

static void
count_verdict(char c)
{
	const char *order = "cartyd";
	const char *p = c != 0 ? strchr(order, c) : NULL;

	atomic_fetch_add(&verdicts[p != NULL ? p - order : 6], 1);
}

/* NUL-separated strings into buf; returns the length. */
static size_t
pack(char *buf, size_t cap, const char *const *items, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(items[i]) + 1;

		if (len + l > cap)
			break;
		memcpy(buf + len, items[i], l);
		len += l;
	}
	return len;
}

/* A stage with a reply unless the filter asked for none. */
static int
stage(int fd, unsigned long proto, unsigned long no, unsigned long nr,
      char cmd, const void *data, size_t len, char *verdict)
{
	*verdict = 'c';
	if (proto & no)
		return 0;
	if (send_cmd(fd, cmd, data, len) != 0)
		return -1;
	if (proto & nr)
		return 0;
	*verdict = final_reply(fd);
	return *verdict != 0 ? 0 : -1;
}

static void
record_latency(double seconds)
{
	pthread_mutex_lock(&lat_lock);
	if (nlat == caplat) {
		size_t cap = caplat ? caplat * 2 : 4096;
		double *p = realloc(latencies, cap * sizeof *p);

		if (p == NULL) {
			pthread_mutex_unlock(&lat_lock);
			return;
		}
		latencies = p;
		caplat = cap;
	}
	latencies[nlat++] = seconds;
	pthread_mutex_unlock(&lat_lock);
}

static int
session(int serial)
{
	int fd = dial();
	char buf[70000], v = 'c';
	uint32_t o[3];
	unsigned long proto, actions;
	size_t len;
	char *body = NULL;

	if (fd < 0)
		return -1;
	o[0] = htonl(6);
	o[1] = htonl(0x1FF);
	o[2] = htonl(OFFERED);
	if (send_cmd(fd, 'O', o, sizeof o) != 0
	    || read_reply(fd, buf, sizeof buf, &len) != 'O' || len < 12)
		goto fail;
	memcpy(o, buf, 12);
	actions = ntohl(o[1]);
	proto = ntohl(o[2]);
	atomic_store(&negotiated_actions, actions);
	atomic_store(&negotiated_protocol, proto);

	{
		const char *m[] = {"j", "mx.example.net", "{daemon_addr}", "127.0.0.1",
				   "v", "Postfix 3.7.11"};
		char c[64] = "client.example";
		size_t n = strlen(c) + 1;

		buf[0] = 'C';
		len = 1 + pack(buf + 1, sizeof buf - 1, m, 6);
		if (send_cmd(fd, 'D', buf, len) != 0)
			goto fail;
		c[n++] = '4';
		c[n++] = 0x30;
		c[n++] = 0x39;
		memcpy(c + n, "192.0.2.10", 11);
		n += 11;
		if (stage(fd, proto, SMFIP_NOCONNECT, SMFIP_NR_CONN, 'C', c, n, &v) != 0
		    || stage(fd, proto, SMFIP_NOHELO, SMFIP_NR_HELO, 'H',
			     "client.example", 15, &v) != 0)
			goto fail;
	}
	body = malloc((size_t)opt.body + 1);
	if (body == NULL)
		goto fail;
	for (int i = 0; i < opt.body; i++)
		body[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : 'x';

	for (int msg = 0; msg < opt.messages; msg++) {
		double t0 = now();
		char qid[32], size_arg[32], from[] = "<alice@example.net>";
		const char *margs[] = {from, size_arg, "BODY=8BITMIME"};
		int rejected = 0;

		snprintf(qid, sizeof qid, "Q%dM%d", serial, msg);
		snprintf(size_arg, sizeof size_arg, "SIZE=%d", opt.body + 400);
		{
			const char *m[] = {"i", qid, "{auth_type}", "", "{mail_addr}",
					   "alice@example.net"};

			buf[0] = 'M';
			len = 1 + pack(buf + 1, sizeof buf - 1, m, 6);
			if (send_cmd(fd, 'D', buf, len) != 0)
				goto fail;
		}
		len = pack(buf, sizeof buf, margs, 3);
		if (stage(fd, proto, SMFIP_NOMAIL, SMFIP_NR_MAIL, 'M', buf, len, &v) != 0)
			goto fail;
		if (v != 'c') {
			count_verdict(v);
			send_cmd(fd, 'A', NULL, 0);
			continue;
		}
		for (int r = 0; r < opt.rcpts; r++) {
			char to[64];
			const char *ra[] = {to};

			snprintf(to, sizeof to, "<user%d@example.org>", r);
			len = pack(buf, sizeof buf, ra, 1);
			if (stage(fd, proto, SMFIP_NORCPT, SMFIP_NR_RCPT, 'R', buf, len,
				  &v) != 0)
				goto fail;
			if (v != 'c')
				rejected++;
			if (opt.hold > 0 && r == 0 && msg == 0)
				sleep((unsigned)opt.hold);
		}
		if (rejected == opt.rcpts) {
			count_verdict(v);
			send_cmd(fd, 'A', NULL, 0);
			continue;
		}
		if (stage(fd, proto, SMFIP_NODATA, SMFIP_NR_DATA, 'T', NULL, 0, &v) != 0)
			goto fail;
		for (int h = 0; h < opt.headers && !(proto & SMFIP_NOHDRS); h++) {
			char name[32], value[96];
			const char *hv[] = {name, value};

			snprintf(name, sizeof name, "X-Header-%d", h);
			snprintf(value, sizeof value, "%sheader value number %d of a benchmark",
				 (proto & SMFIP_HDR_LEADSPC) ? " " : "", h);
			len = pack(buf, sizeof buf, hv, 2);
			if (stage(fd, proto, SMFIP_NOHDRS, SMFIP_NR_HDR, 'L', buf, len,
				  &v) != 0)
				goto fail;
		}
		if (stage(fd, proto, SMFIP_NOEOH, SMFIP_NR_EOH, 'N', NULL, 0, &v) != 0)
			goto fail;
		for (int off = 0; off < opt.body && !(proto & SMFIP_NOBODY);
		     off += 65535) {
			int n = opt.body - off > 65535 ? 65535 : opt.body - off;

			if (stage(fd, proto, SMFIP_NOBODY, SMFIP_NR_BODY, 'B', body + off,
				  (size_t)n, &v) != 0)
				goto fail;
		}
		if (send_cmd(fd, 'E', NULL, 0) != 0 || (v = final_reply(fd)) == 0)
			goto fail;
		count_verdict(v);
		record_latency(now() - t0);
	}
	send_cmd(fd, 'Q', NULL, 0);
	free(body);
	close(fd);
	return 0;
fail:
	free(body);
	close(fd);
	return -1;
}

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		int serial = atomic_fetch_add(&sessions_started, 1);

		if (serial >= opt.sessions)
			break;
		if (session(serial) != 0)
			atomic_fetch_add(&errors, 1);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(double p)
{
	size_t i;

	if (nlat == 0)
		return 0;
	i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return latencies[i];
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"connections", required_argument, NULL, 'c'},
		{"sessions", required_argument, NULL, 'n'},
		{"messages", required_argument, NULL, 'm'},
		{"rcpts", required_argument, NULL, 'r'},
		{"headers", required_argument, NULL, 'H'},
		{"body", required_argument, NULL, 'b'},
		{"hold", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	pthread_t *threads;
	pthread_attr_t attr;
	double t0, secs;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.socket = optarg; break;
		case 'c': opt.connections = atoi(optarg); break;
		case 'n': opt.sessions = atoi(optarg); break;
		case 'm': opt.messages = atoi(optarg); break;
		case 'r': opt.rcpts = atoi(optarg); break;
		case 'H': opt.headers = atoi(optarg); break;
		case 'b': opt.body = atoi(optarg); break;
		case 'w': opt.hold = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: milterload --socket unix:PATH|inet:PORT@HOST "
				"[--connections N] [--sessions N] [--messages N] [--rcpts N] "
				"[--headers N] [--body OCTETS] [--hold SECONDS]\n");
			return 64;
		}
	}
	if (opt.socket == NULL || opt.connections < 1 || opt.rcpts < 1) {
		fprintf(stderr, "milterload: --socket is required\n");
		return 64;
	}
	if (opt.hold > 0)
		opt.sessions = opt.connections;
	threads = calloc((size_t)opt.connections, sizeof *threads);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	t0 = now();
	for (int i = 0; i < opt.connections; i++)
		if (pthread_create(&threads[i], &attr, worker, NULL) != 0) {
			atomic_fetch_add(&errors, 1);
			threads[i] = 0;
		}
	for (int i = 0; i < opt.connections; i++)
		if (threads[i] != 0)
			pthread_join(threads[i], NULL);
	secs = now() - t0;
	qsort(latencies, nlat, sizeof *latencies, cmp_double);
	printf("{\"messages\": %zu, \"seconds\": %.3f, \"msg_per_s\": %.1f, "
	       "\"p50_us\": %.0f, \"p99_us\": %.0f, \"errors\": %ld, "
	       "\"verdicts\": {\"continue\": %ld, \"accept\": %ld, \"reject\": %ld, "
	       "\"tempfail\": %ld, \"reply\": %ld, \"discard\": %ld, \"other\": %ld}, "
	       "\"protocol\": \"0x%lx\", \"actions\": \"0x%lx\"}\n",
	       nlat, secs, secs > 0 ? (double)nlat / secs : 0,
	       percentile(0.5) * 1e6, percentile(0.99) * 1e6,
	       atomic_load(&errors), atomic_load(&verdicts[0]),
	       atomic_load(&verdicts[1]), atomic_load(&verdicts[2]),
	       atomic_load(&verdicts[3]), atomic_load(&verdicts[4]),
	       atomic_load(&verdicts[5]), atomic_load(&verdicts[6]),
	       atomic_load(&negotiated_protocol), atomic_load(&negotiated_actions));
	free(threads);
	free(latencies);
	return atomic_load(&errors) > 0 ? 1 : 0;
}
