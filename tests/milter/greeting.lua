-- Sendmail's {r} macro tells HELO from EHLO; without it the greeting is
-- unknown and nothing is guessed.
local t = dofile(lib)
local conn = t.connect("mx.example.net", "192.0.2.7", "old.example.net")
mt.macro(conn, SMFIC_MAIL, "{r}", "SMTP")
t.mail_refused(conn, "param_without_ehlo", "reject", "<a@example.net>", "SIZE=100")
t.wait_log("greeting=helo helo=old.example.net")
-- HELO without parameters is fine
mt.macro(conn, SMFIC_MAIL, "{r}", "SMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>")
mt.disconnect(conn)

conn = t.connect("mx.example.net", "192.0.2.7", "new.example.net")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTPS")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=100")
mt.disconnect(conn)
t.wait_log("greeting=ehlo helo=new.example.net")

-- Postfix sends no {r}: parameters are accepted, the greeting is unknown
conn = t.connect("mx.example.net", "192.0.2.7", "postfix.example.net")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=100")
mt.disconnect(conn)
t.wait_log("greeting=unknown helo=postfix.example.net")
