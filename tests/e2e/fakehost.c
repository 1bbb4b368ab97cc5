/*
 * LD_PRELOAD shim for the test Sendmail: a fixed, qualified host name and
 * its address answered locally, so that Sendmail neither sleeps 60 s over
 * an unqualified name nor sends a DNS query. Used by tests only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

static char fake_name[256] = "mx.test.example";

__attribute__((constructor)) static void
fakehost_init(void)
{
	/* read early: Sendmail scrubs its environment */
	const char *e = getenv("SM_FAKE_HOSTNAME");

	if (e != NULL && *e != '\0' && strlen(e) < sizeof fake_name)
		strcpy(fake_name, e);
}

int
gethostname(char *name, size_t len)
{
	if (len <= strlen(fake_name))
		return -1;
	strcpy(name, fake_name);
	return 0;
}

int
uname(struct utsname *u)
{
	int (*real)(struct utsname *) =
		(int (*)(struct utsname *))dlsym(RTLD_NEXT, "uname");
	int rc = real(u);

	if (rc == 0)
		strncpy(u->nodename, fake_name, sizeof u->nodename - 1);
	return rc;
}

struct hostent *
gethostbyname2(const char *name, int af)
{
	static struct in_addr addr;
	static char *addrs[2];
	static char *aliases[1];
	static struct hostent he;
	struct hostent *(*real)(const char *, int);

	if (name != NULL && strcasecmp(name, fake_name) == 0) {
		if (af != AF_INET) {
			h_errno = HOST_NOT_FOUND;
			return NULL;
		}
		inet_pton(AF_INET, "127.0.0.1", &addr);
		addrs[0] = (char *)&addr;
		addrs[1] = NULL;
		aliases[0] = NULL;
		he.h_name = fake_name;
		he.h_aliases = aliases;
		he.h_addrtype = AF_INET;
		he.h_length = sizeof addr;
		he.h_addr_list = addrs;
		return &he;
	}
	real = (struct hostent *(*)(const char *, int))dlsym(RTLD_NEXT,
							      "gethostbyname2");
	return real(name, af);
}
