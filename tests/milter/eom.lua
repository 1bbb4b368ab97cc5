-- End-of-message rules: declared SIZE against the real size, the real
-- size against the limit, 8-bit content.
local t = dofile(lib)
local conn = t.connect("mx.example.net", "192.0.2.7")
local hdr = {{"Subject", "x"}}        -- "Subject: x\r\n" + "\r\n" = 14 octets

-- declared 1000, tolerance 10% + 100: 1200 octets pass
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=1000")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
t.check(t.message(conn, hdr, string.rep("a", 1186)) == SMFIR_CONTINUE, "within tolerance refused")
t.wait_log("size_declared=1000 size_actual=1200 tls=none auth=none violations=none verdict=accept")

-- one octet more is a lie about SIZE
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=1000")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
t.message(conn, hdr, string.rep("a", 1187))
t.eom_refused(conn, "552", "5.3.4", "message size 1201 exceeds the declared SIZE 1000 (size_overrun)")

-- no SIZE, real size over the limit of 100000
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
local big = string.rep(string.rep("b", 998) .. "\r\n", 101)
t.message(conn, hdr, big)
t.eom_refused(conn, "552", "5.3.4", "message size 101014 exceeds the limit of 100000 (size_actual_limit)")

-- 8-bit body without BODY=8BITMIME: logged by default, accepted
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
t.check(t.message(conn, hdr, "caf\xc3\xa9\r\n") == SMFIR_CONTINUE, "8-bit refused")
t.wait_log("violation rule=body_8bit_undeclared action=log stage=eom")
t.wait_log("violations=body_8bit_undeclared:log verdict=accept")

-- with BODY=8BITMIME it is clean
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "BODY=8BITMIME")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
t.check(t.message(conn, hdr, "caf\xc3\xa9\r\n") == SMFIR_CONTINUE, "8BITMIME refused")
t.check(t.count_log("violation rule=body_8bit_undeclared") == 1, "8BITMIME flagged")

-- folded header lines count as CRLF
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=42")
t.rcpt(conn, SMFIR_CONTINUE, "<b@example.org>")
t.check(t.message(conn, {{"To", "a@example.org,\n\tb@example.org"}}, "hi\r\n") == SMFIR_CONTINUE, "folded")
t.wait_log("size_declared=42 size_actual=42 ")
mt.disconnect(conn)
