/*
 * The other milter of tests/e2e/attach.py: a libmilter filter that does
 * nothing but write, at each stage, every macro the MTA gave it, as
 * "STAGE NAME=VALUE" lines, so that the test sees what an existing site's
 * milter (OpenDKIM, OpenDMARC) still receives once esmtp-milter is
 * attached beside it. It asks for no macros of its own: it gets the MTA's
 * default lists.
 *
 * usage: recorder unix:/PATH OUTFILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmilter/mfapi.h>

static FILE *out;

/* The macros Postfix's and Sendmail's default lists hold, at any stage. */
static const char *const names[] = {
	"j", "_", "v", "i", "{daemon_name}", "{daemon_addr}", "{if_name}",
	"{if_addr}", "{client_addr}", "{client_name}", "{tls_version}",
	"{cipher}", "{cipher_bits}", "{cert_subject}", "{cert_issuer}",
	"{auth_type}", "{auth_authen}", "{auth_author}", "{mail_addr}",
	"{mail_host}", "{mail_mailer}", "{rcpt_addr}", "{rcpt_host}",
	"{rcpt_mailer}",
};

static void
record(SMFICTX *ctx, const char *stage)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = smfi_getsymval(ctx, (char *)names[i]);

		if (v != NULL)
			fprintf(out, "%s %s=%s\n", stage, names[i], v);
	}
	fflush(out);
}

static sfsistat
on_connect(SMFICTX *ctx, char *host, struct sockaddr *addr)
{
	(void)host;
	(void)addr;
	record(ctx, "connect");
	return SMFIS_CONTINUE;
}

static sfsistat
on_mail(SMFICTX *ctx, char **argv)
{
	(void)argv;
	record(ctx, "mail");
	return SMFIS_CONTINUE;
}

static sfsistat
on_rcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	record(ctx, "rcpt");
	return SMFIS_CONTINUE;
}

static sfsistat
on_eom(SMFICTX *ctx)
{
	record(ctx, "eom");
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "recorder", .xxfi_version = SMFI_VERSION,
		.xxfi_connect = on_connect, .xxfi_envfrom = on_mail,
		.xxfi_envrcpt = on_rcpt, .xxfi_eom = on_eom,
	};

	if (argc != 3 || strncmp(argv[1], "unix:", 5) != 0) {
		fprintf(stderr, "usage: recorder unix:/PATH OUTFILE\n");
		return 2;
	}
	out = fopen(argv[2], "a");
	if (out == NULL) {
		perror(argv[2]);
		return 1;
	}
	remove(argv[1] + 5);
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS
	    || smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "recorder: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
