-- The tag action: the message is accepted with an X-ESMTP-Policy header
-- naming the violations; tempfail gives the 4xx reply.
local t = dofile(lib)
local conn = t.connect("mx.example.net", "192.0.2.7")
t.check(mt.test_action(conn, SMFIF_ADDHDRS), "ADDHDRS not negotiated")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=10", "FOO=1")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
t.check(t.message(conn, {{"Subject", "x"}}, string.rep("a", 500)) == SMFIR_CONTINUE, "tagged message refused")
t.check(mt.eom_check(conn, MT_HDRADD, "X-ESMTP-Policy", "param_unregistered, size_overrun"),
	"no X-ESMTP-Policy header with both violations")
t.wait_log("violations=param_unregistered:tag,size_overrun:tag verdict=accept")

mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(conn, "size_syntax", "tempfail", "<a@example.net>", "SIZE=x")
t.wait_log("verdict=tempfail")

-- a clean message gets no header
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=100")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
t.check(t.message(conn, {{"Subject", "x"}}, "hi\r\n") == SMFIR_CONTINUE, "clean refused")
t.check(not mt.eom_check(conn, MT_HDRADD), "header added to a clean message")
mt.disconnect(conn)
