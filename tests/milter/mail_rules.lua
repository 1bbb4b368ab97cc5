-- Every MAIL-stage rule over the milter protocol, on one connection.
local t = dofile(lib)
local conn = t.connect("mx.example.net", "192.0.2.7")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")

t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "SIZE=100", "BODY=7BIT",
	"RET=FULL", "ENVID=QQ314159", "AUTH=<>", "MT-PRIORITY=-3")
t.mail_refused(conn, "size_syntax", "reject", "<a@example.net>", "SIZE=abc")
t.mail_refused(conn, "param_syntax", "reject", "<a@example.net>", "SIZE=")
t.mail_refused(conn, "size_limit", "reject", "<a@example.net>", "SIZE=200000")
t.wait_log("declared SIZE 200000 exceeds the limit of 100000 (size_limit)")
t.mail_refused(conn, "param_unregistered", "reject", "<a@example.net>", "FOO=bar")
t.mail_refused(conn, "param_duplicate", "reject", "<a@example.net>", "SIZE=1", "SIZE=2")
t.mail_refused(conn, "param_misplaced", "reject", "<a@example.net>", "NOTIFY=NEVER")
t.mail_refused(conn, "param_value", "reject", "<a@example.net>", "BODY=FOO")
t.mail_refused(conn, "param_value", "reject", "<a@example.net>", "RET=ALL")
t.mail_refused(conn, "param_value", "reject", "<a@example.net>", "SMTPUTF8=yes")
t.mail_refused(conn, "param_value", "reject", "<a@example.net>", "MT-PRIORITY=12")
t.mail_refused(conn, "param_value", "reject", "<a@example.net>",
	"ENVID=" .. string.rep("x", 101))
t.mail_refused(conn, "param_value", "reject", "<a@example.net>", "ENVID=a+2b")
t.mail_refused(conn, "param_syntax", "reject", "<a@example.net>", "-X=1")
-- private keywords are ignored by default: counted, not logged
t.mail(conn, SMFIR_CONTINUE, "<a@example.net>", "XVERP")
-- utf8_undeclared defaults to log
t.mail(conn, SMFIR_CONTINUE, "<j\xc3\xb6rg@example.net>")
t.wait_log("violation rule=utf8_undeclared action=log")
t.mail(conn, SMFIR_CONTINUE, "<j\xc3\xb6rg@example.net>", "SMTPUTF8")
t.check(t.count_log("violation rule=utf8_undeclared") == 1, "utf8 logged twice")
mt.disconnect(conn)
t.wait_count("greeting=ehlo", 17)
t.check(t.count_log("verdict=reject") == 13, "13 rejected transactions")
