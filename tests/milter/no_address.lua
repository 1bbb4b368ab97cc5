-- Sendmail -bs passes no client address at connect, only {client_addr}:
-- the daemon uses the macro, for the log and for client limits.
local t = dofile(lib)

local conn = mt.connect(socket, 40, 0.05)
t.check(conn ~= nil, "connect")
mt.macro(conn, SMFIC_CONNECT, "{client_addr}", "192.0.2.55")
t.check(mt.conninfo(conn, "localhost", "unspec") == nil, "conninfo")
t.check(mt.helo(conn, "bs.example") == nil, "helo")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(conn, "size_limit", "reject", "<a@example.net>", "SIZE=2000")
t.wait_log("declared SIZE 2000 exceeds the limit of 1000 for this client (size_limit)")
t.wait_log("client=localhost[192.0.2.55] greeting=ehlo helo=bs.example")
mt.disconnect(conn)

-- no address at all: logged as unknown, the global limit applies
conn = mt.connect(socket, 40, 0.05)
t.check(mt.conninfo(conn, "localhost", "unspec") == nil, "conninfo")
t.check(mt.helo(conn, "bs2.example") == nil, "helo")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=2000")
mt.disconnect(conn)
t.wait_log("client=localhost[unknown] greeting=ehlo helo=bs2.example")
