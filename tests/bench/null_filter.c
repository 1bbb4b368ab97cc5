/*
 * The yardstick for make bench: a libmilter filter that does nothing but
 * answer, negotiating exactly what esmtp-milter negotiates (the same
 * SMFIP_NR_* and SMFIP_NO* flags, no SMFIP_NR_* over TCP, the same macro
 * lists), so that the difference is the daemon's own work; unlike the
 * daemon, it leaves its TCP sockets as libmilter makes them. "full": headers and body, as
 * esmtp-milter with its default rules; "envelope": neither, as
 * esmtp-milter with the end-of-message rules set to ignore.
 */
#include <stdio.h>
#include <string.h>
#include <libmilter/mfapi.h>

#include "milter.h"

static sfsistat
cont(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
cont_args(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return cont(ctx);
}

static int envelope_only;
static bool tcp;

/* what an unanswered stage returns: a reply over TCP (see milter.h) */
static sfsistat
no_reply(void)
{
	return tcp ? SMFIS_CONTINUE : SMFIS_NOREPLY;
}

static sfsistat
noreply_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return no_reply();
}

static sfsistat
noreply_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return no_reply();
}

static sfsistat
noreply_connect(SMFICTX *ctx, char *host, struct sockaddr *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return no_reply();
}

static sfsistat
noreply_helo(SMFICTX *ctx, char *name)
{
	(void)ctx;
	(void)name;
	return no_reply();
}

static sfsistat
negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
	  unsigned long f3, unsigned long *pf0, unsigned long *pf1,
	  unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = 0;
	*pf1 = (tcp ? 0 : MILTER_NO_REPLY_STAGES)
	       | (f1 & (SMFIP_NODATA | SMFIP_NOEOH));
	*pf1 |= envelope_only ? f1 & (SMFIP_NOHDRS | SMFIP_NOBODY)
			      : f1 & SMFIP_HDR_LEADSPC;
	if (f0 & SMFIF_SETSYMLIST) {
		*pf0 |= SMFIF_SETSYMLIST;
		smfi_setsymlist(ctx, SMFIM_CONNECT, MILTER_MACROS_CONNECT);
		smfi_setsymlist(ctx, SMFIM_HELO, MILTER_MACROS_HELO);
		smfi_setsymlist(ctx, SMFIM_ENVFROM, MILTER_MACROS_MAIL);
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, MILTER_MACROS_RCPT);
		smfi_setsymlist(ctx, SMFIM_EOM, MILTER_MACROS_EOM);
	}
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "null-filter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_SETSYMLIST,
		.xxfi_connect = noreply_connect,
		.xxfi_helo = noreply_helo,
		.xxfi_envfrom = cont_args,
		.xxfi_envrcpt = cont_args,
		.xxfi_header = noreply_header,
		.xxfi_body = noreply_body,
		.xxfi_eom = cont,
		.xxfi_negotiate = negotiate,
	};

	if (argc < 2 || argc > 3
	    || (argc == 3 && strcmp(argv[2], "full") != 0
		&& strcmp(argv[2], "envelope") != 0)) {
		fprintf(stderr, "usage: null_filter SOCKET [full|envelope]\n");
		return 64;
	}
	envelope_only = argc == 3 && strcmp(argv[2], "envelope") == 0;
	tcp = milter_socket_is_tcp(argv[1]);
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS
	    || smfi_opensocket(1) != MI_SUCCESS)
		return 69;
	return smfi_main() == MI_SUCCESS ? 0 : 70;
}
