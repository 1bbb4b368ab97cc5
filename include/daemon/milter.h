/*
 * The libmilter adapter: thin callbacks that translate between the
 * milter protocol and the session core. milter_desc is what main()
 * registers with smfi_register(), after milter_use() named the process
 * whose config each session takes at connect and whose statistics and
 * session links it uses.
 */
#ifndef ESMTP_MILTER_H
#define ESMTP_MILTER_H

#include <stdbool.h>
#include <string.h>
#include <libmilter/mfapi.h>

#include "process.h"

extern struct smfiDesc milter_desc;
void milter_use(process *p);

/*
 * The stages the daemon never answers, negotiated as "no reply" on a
 * unix socket only: over TCP an MTA's next small packet would wait for
 * the filter's delayed acknowledgement of the unanswered one (40 ms on
 * Linux; session_socket.h), so there every stage is answered. make bench's
 * do-nothing filter follows the same rule.
 */
#define MILTER_NO_REPLY_STAGES (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_UNKN \
				| SMFIP_NR_DATA | SMFIP_NR_EOH | SMFIP_NR_HDR \
				| SMFIP_NR_BODY)

/* Whether a libmilter socket spec is TCP (inet:PORT@HOST, inet6:...). */
static inline bool
milter_socket_is_tcp(const char *spec)
{
	return strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0;
}

/*
 * The macros the daemon asks the MTA for at each stage (smfi_setsymlist):
 * the client's address, the address and port the client reached (which
 * tell one MTA's sessions from another's for the policy service's
 * greeting) and the MTA's version at connect, the TLS state at HELO (the EHLO after STARTTLS brings it), the
 * queue id, {r}, the SMTP AUTH facts and the TLS state again at MAIL, the
 * queue id after. make bench's do-nothing filter asks for the same.
 */
#define MILTER_MACROS_CONNECT "{client_addr} {daemon_addr} {daemon_port} v"
#define MILTER_MACROS_HELO "{tls_version} {cipher} {cipher_bits}"
#define MILTER_MACROS_MAIL "i {r} {auth_type} {auth_authen} {tls_version} {cipher_bits}"
#define MILTER_MACROS_RCPT "i"
#define MILTER_MACROS_EOM "i"

#endif
