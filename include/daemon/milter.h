/*
 * The libmilter adapter: thin callbacks that translate between the
 * milter protocol and the session core. milter_desc is what main()
 * registers with smfi_register(); each session takes the current config
 * from process.h at connect and counts into process_stats().
 */
#ifndef ESMTP_MILTER_H
#define ESMTP_MILTER_H

#include <libmilter/mfapi.h>

extern struct smfiDesc milter_desc;

/*
 * The macros the daemon asks the MTA for at each stage (smfi_setsymlist):
 * the client's and the daemon's addresses and the MTA's version at
 * connect, the TLS state at HELO (the EHLO after STARTTLS brings it), the
 * queue id, {r}, the SMTP AUTH facts and the TLS state again at MAIL, the
 * queue id after. make bench's do-nothing filter asks for the same.
 */
#define MILTER_MACROS_CONNECT "{client_addr} {daemon_addr} v"
#define MILTER_MACROS_HELO "{tls_version} {cipher} {cipher_bits}"
#define MILTER_MACROS_MAIL "i {r} {auth_type} {auth_authen} {tls_version} {cipher_bits}"
#define MILTER_MACROS_RCPT "i"
#define MILTER_MACROS_EOM "i"

#endif
