-- TLS and AUTH from the macros, as Sendmail gives them with
-- contrib/sendmail/esmtp-milter.mc ({tls_version} and {cipher_bits} at
-- HELO and MAIL, {auth_type} at MAIL): the unpacked test Sendmail cannot
-- do STARTTLS, so its TLS is simulated here by the macros it would send.
local t = dofile(lib)

-- no {tls_version}: the MTA was asked for it, so the session is plaintext
local conn = t.connect("mx.example.net", "192.0.2.7")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP", "i", "TLS1")
t.mail_refused(conn, "requiretls_without_tls", "reject", "<a@example.net>", "REQUIRETLS")
t.wait_log("reason=\"REQUIRETLS in a session without TLS (requiretls_without_tls)\"")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP", "i", "TLS1")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>")
mt.disconnect(conn)
t.wait_log("size_actual=unknown tls=none auth=none violations=none verdict=abort")

-- after STARTTLS: TLSv1.3 with a 256-bit cipher, SMTP AUTH PLAIN
conn = t.connect("mx.example.net", "192.0.2.7")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTPSA", "i", "TLS2", "{tls_version}", "TLSv1.3",
	"{cipher_bits}", "256", "{auth_type}", "PLAIN", "{auth_authen}", "alice")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "REQUIRETLS")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
local r = t.message(conn, {{"Subject", "hi"}}, "hello\r\n")
t.check(r == SMFIR_CONTINUE, "message refused")
mt.disconnect(conn)
t.wait_log("params=REQUIRETLS rcpts=1 size_declared=none size_actual=22 tls=TLSv1.3 auth=PLAIN violations=none verdict=accept")
