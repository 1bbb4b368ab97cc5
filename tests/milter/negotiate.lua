-- With every end-of-message rule set to ignore, the filter asks for no
-- header and no body, and needs no reply where it never refuses.
local t = dofile(lib)
local conn = t.connect("mx.example.net", "192.0.2.7")
t.check(mt.test_option(conn, SMFIP_NOBODY), "body not negotiated away")
t.check(mt.test_option(conn, SMFIP_NOHDRS), "headers not negotiated away")
t.check(mt.test_option(conn, SMFIP_NR_CONN), "connect still needs a reply")
t.check(mt.test_option(conn, SMFIP_NR_HELO), "helo still needs a reply")
t.check(not mt.test_option(conn, SMFIP_NR_MAIL), "MAIL must be able to reply")
t.check(not mt.test_option(conn, SMFIP_NR_RCPT), "RCPT must be able to reply")
t.check(not mt.test_action(conn, SMFIF_ADDHDRS), "ADDHDRS asked for with no tag rule")
mt.macro(conn, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(conn, "size_limit", "reject", "<a@example.net>", "SIZE=20000000")
mt.disconnect(conn)
