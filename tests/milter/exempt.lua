-- Trusted networks (IPv4 and IPv6) and authenticated sessions are checked
-- and logged, never refused; IPv6 connect info reaches the size limits.
local t = dofile(lib)

-- 2001:db8::/32 has a client limit of 1000 and is not trusted
local conn = t.connect("v6.example.net", "2001:db8::25")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(conn, "size_limit", "reject", "<a@example.net>", "SIZE=2000")
t.wait_log("declared SIZE 2000 exceeds the limit of 1000 for this client (size_limit)")
t.wait_log("client=v6.example.net[2001:db8::25]")
mt.disconnect(conn)

-- 2001:db8:1::/48 is trusted
conn = t.connect("trusted6.example.net", "2001:db8:1::25")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=2000", "FOO")
t.wait_log("violation rule=param_unregistered action=log stage=mail client=trusted6.example.net[2001:db8:1::25] from=<a@example.net> exempt=network")
mt.disconnect(conn)
t.wait_log("exempt=network verdict=abort")

-- 198.51.100.0/24 is trusted
conn = t.connect("trusted4.example.net", "198.51.100.9")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=abc")
t.wait_log("rule=size_syntax action=log stage=mail client=trusted4.example.net[198.51.100.9]")
mt.disconnect(conn)

-- an authenticated session
conn = t.connect("auth.example.net", "192.0.2.50")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTPA", "{auth_type}", "PLAIN", "{auth_authen}", "alice")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "BODY=BAR")
t.wait_log("rule=param_value action=log stage=mail client=auth.example.net[192.0.2.50] from=<a@example.net> exempt=auth")
mt.disconnect(conn)

-- the same without authentication is refused
conn = t.connect("noauth.example.net", "192.0.2.50")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(conn, "param_value", "reject", "<a@example.net>", "BODY=BAR")
mt.disconnect(conn)
