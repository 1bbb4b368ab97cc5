#!/usr/bin/env python3
"""The exact reply the MTA receives for every rule: the SMFIR_REPLYCODE
packet's payload (code, enhanced code, text, with "%" doubled as
libmilter and the MTA expect), once with every action reject and once,
after a reload, with every action tempfail. Also: the header leading
space is asked for when the MTA offers it, so that "Subject:x" counts
exactly its octets.

usage: replies.py SOCKET_PATH DAEMON_LOG CONFIG PID
"""
import os
import re
import signal
import subprocess
import struct
import sys
import time

from rawmilter import ACTIONS, PROTOCOL, Conn, args

SOCK, LOG, CONF, PID = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
SMFIP_HDR_LEADSPC = 0x100000


def rules_from_daemon():
    """Every rule token, from the rule table of the daemon under test
    (esmtp-milter -T), so that a rule added there without a case here
    fails this test."""
    daemon = os.readlink("/proc/%d/exe" % PID)
    out = subprocess.run([daemon, "-T", "-c", CONF], capture_output=True,
                         text=True, check=True).stdout
    rules = re.findall(r"^# (\w+) +[a-z,]+ +\w+ +\d{3} ", out, re.M)
    assert len(rules) > 10, "no rule table in esmtp-milter -T:\n" + out
    return rules


RULES = rules_from_daemon()

CONFIG = """\
[milter]
trusted_networks =
[size]
max = 1000
overrun_percent = 0
overrun_bytes = 0
[size_limits]
to:small.example = 100
[stats]
listen =
[actions]
""" + "".join("%s = %%(action)s\n" % r for r in RULES)

BODY = b"hello\r\n"
HDR = ((b"Subject", b"hi"),)   # no leading space negotiated: "Subject: hi"
SIZE = len(b"Subject: hi\r\n\r\n") + len(BODY)

# name, {r}, MAIL argv, RCPT argv, header fields, body, where it stops,
# reject reply, tempfail reply (text without "(rule)")
CASES = [
    ("param_syntax", b"ESMTP", [b"<a@example.net>", b"SIZE=10", b"X_Y=1"], None, None, None,
     "mail", ("501", "5.5.4"), ("455", "4.5.0"),
     "parameter X_Y=1: keyword must be letters, digits and hyphens"),
    ("param_unregistered", b"ESMTP", [b"<a@example.net>", b"FOO=1"], None, None, None,
     "mail", ("555", "5.5.4"), ("455", "4.5.0"),
     "FOO is not a registered MAIL parameter"),
    ("param_private", b"ESMTP", [b"<a@example.net>", b"XFOO=1"], None, None, None,
     "mail", ("555", "5.5.4"), ("455", "4.5.0"),
     "private parameter XFOO is not accepted"),
    ("param_duplicate", b"ESMTP", [b"<a@example.net>", b"RET=FULL", b"ret=HDRS"], None, None, None,
     "mail", ("501", "5.5.4"), ("455", "4.5.0"),
     "parameter ret given more than once"),
    ("param_misplaced", b"ESMTP", [b"<a@example.net>"], [b"<b@example.org>", b"SIZE=10"], None, None,
     "rcpt", ("555", "5.5.4"), ("455", "4.5.0"),
     "SIZE is not a RCPT parameter (RFC 1870)"),
    ("param_value", b"ESMTP", [b"<a@example.net>", b"BODY=50%"], None, None, None,
     "mail", ("501", "5.5.4"), ("455", "4.5.0"),
     "BODY=50%%: not 7BIT, 8BITMIME or BINARYMIME (RFC 6152, RFC 3030)"),
    ("param_value MT-PRIORITY (RFC 6710 4.1)", b"ESMTP",
     [b"<a@example.net>", b"MT-PRIORITY=12"], None, None, None,
     "mail", ("501", "5.5.2"), ("455", "4.5.0"),
     "MT-PRIORITY=12: not an integer from -9 to 9 (RFC 6710)"),
    ("param_without_ehlo", b"SMTP", [b"<a@example.net>", b"SIZE=10"], None, None, None,
     "mail", ("555", "5.5.4"), ("455", "4.5.0"),
     "ESMTP parameters after HELO instead of EHLO"),
    ("size_syntax", b"ESMTP", [b"<a@example.net>", b"SIZE=abc"], None, None, None,
     "mail", ("501", "5.5.4"), ("455", "4.5.0"),
     "SIZE=abc: not 1 to 20 digits (RFC 1870)"),
    ("size_limit", b"ESMTP", [b"<a@example.net>", b"SIZE=5000"], None, None, None,
     "mail", ("552", "5.3.4"), ("452", "4.3.1"),
     "declared SIZE 5000 exceeds the limit of 1000"),
    ("size_limit at RCPT", b"ESMTP", [b"<a@example.net>", b"SIZE=500"],
     [b"<b@small.example>"], None, None,
     "rcpt", ("552", "5.3.4"), ("452", "4.3.1"),
     "declared SIZE 500 exceeds the limit of 100 for this recipient"),
    ("size_overrun", b"ESMTP", [b"<a@example.net>", b"SIZE=%d" % (SIZE - 1)], None, HDR, BODY,
     "eom", ("552", "5.3.4"), ("452", "4.3.1"),
     "message size %d exceeds the declared SIZE %d" % (SIZE, SIZE - 1)),
    ("size_actual_limit", b"ESMTP", [b"<a@example.net>"], None, HDR, b"x" * 1000 + b"\r\n",
     "eom", ("552", "5.3.4"), ("452", "4.3.1"),
     "message size %d exceeds the limit of 1000" % (SIZE - len(BODY) + 1002)),
    ("body_8bit_undeclared", b"ESMTP", [b"<a@example.net>"], None, HDR, b"Gr\xc3\xbc\xc3\x9fe\r\n",
     "eom", ("554", "5.6.0"), ("451", "4.6.0"),
     "8-bit octets in the body without BODY=8BITMIME"),
    ("body_8bit_undeclared in a header", b"ESMTP", [b"<a@example.net>", b"BODY=8BITMIME"], None,
     ((b"Subject", b"Gr\xc3\xbc\xc3\x9fe"),), BODY,
     "eom", ("554", "5.6.0"), ("451", "4.6.0"),
     "8-bit octets in the header without SMTPUTF8"),
    ("utf8_undeclared at MAIL (RFC 6531 3.5)", b"ESMTP", ["<j\u00f6rg@example.net>".encode()],
     None, None, None,
     "mail", ("550", "5.6.7"), ("451", "4.6.7"),
     "non-ASCII sender address without SMTPUTF8"),
    ("utf8_undeclared at RCPT (RFC 6531 3.5)", b"ESMTP", [b"<a@example.net>"],
     ["<j\u00f6rg@example.org>".encode()], None, None,
     "rcpt", ("553", "5.6.7"), ("451", "4.6.7"),
     "non-ASCII recipient address without SMTPUTF8"),
    # no {tls_version}, which the daemon asked for: a plaintext session
    ("requiretls_without_tls (RFC 8689 4.2)", b"ESMTP", [b"<a@example.net>", b"REQUIRETLS"],
     None, None, None,
     "mail", ("530", "5.7.10"), ("451", "4.7.10"),
     "REQUIRETLS in a session without TLS"),
]


def rule_of(name):
    return name.split(" ")[0]


def run_case(case, tempfail, qid):
    name, r, mail, rcpt, hdrs, body, stage, rej, tmp, text = case
    c = Conn(SOCK)
    c.negotiate()
    assert c.ask(b"C", b"client.example\x004\x00\x19192.0.2.9\0")[0] == b"c"
    assert c.ask(b"H", b"client.example\0")[0] == b"c"
    c.send(b"D", b"M" + args(b"i", qid, b"{r}", r))
    got = {"mail": c.ask(b"M", args(*mail))}
    if got["mail"][0] == b"c":
        got["rcpt"] = c.ask(b"R", args(*(rcpt or [b"<b@example.org>"])))
        if got["rcpt"][0] == b"c":
            for n, v in hdrs or HDR:
                assert c.ask(b"L", args(n, v))[0] == b"c"
            assert c.ask(b"B", body or BODY)[0] == b"c"
            got["eom"] = c.ask(b"E")
    c.send(b"Q")
    c.close()
    code, xcode = tmp if tempfail else rej
    want = ("%s %s %s (%s)" % (code, xcode, text, rule_of(name))).encode() + b"\0"
    cmd, data = got.get(stage, (None, None))
    assert (cmd, data) == (b"y", want), \
        "%s (%s): at %s got %r %r, want 'y' %r" % (
            name, "tempfail" if tempfail else "reject", stage, cmd, data, want)
    # nothing before the stage that fires was refused
    for earlier in ("mail", "rcpt"):
        if earlier == stage:
            break
        assert got[earlier][0] == b"c", (name, earlier, got[earlier])


def reload(action):
    with open(CONF, "w") as f:
        f.write(CONFIG % {"action": action})
    before = open(LOG, "rb").read().count(b"reloaded ")
    os.kill(PID, signal.SIGUSR1)
    for _ in range(200):
        if open(LOG, "rb").read().count(b"reloaded ") > before:
            return
        time.sleep(0.05)
    raise AssertionError("no reload")


def leading_space():
    """Offered SMFIP_HDR_LEADSPC, the daemon takes it: "Subject:x" is 9
    octets and a header line of 11, and SIZE=20 is exact (no tolerance)."""
    c = Conn(SOCK)
    cmd, data = c.ask(b"O", struct.pack(">III", 6, ACTIONS, PROTOCOL | SMFIP_HDR_LEADSPC))
    assert cmd == b"O", cmd
    _, _, proto = struct.unpack(">III", data[:12])
    assert proto & SMFIP_HDR_LEADSPC, "header leading space not requested: %#x" % proto
    assert c.ask(b"C", b"client.example\x004\x00\x19192.0.2.9\0")[0] == b"c"
    assert c.ask(b"H", b"client.example\0")[0] == b"c"
    c.send(b"D", b"M" + args(b"i", b"LEADSPC", b"{r}", b"ESMTP"))
    assert c.ask(b"M", args(b"<a@example.net>", b"SIZE=20"))[0] == b"c"
    assert c.ask(b"R", args(b"<b@example.org>"))[0] == b"c"
    assert c.ask(b"L", args(b"Subject", b"x"))[0] == b"c"
    assert c.ask(b"B", BODY)[0] == b"c"
    cmd, data = c.ask(b"E")
    c.send(b"Q")
    c.close()
    assert cmd == b"c", "Subject:x with SIZE=20: %r %r" % (cmd, data)
    for _ in range(100):
        if b"LEADSPC: client=" in open(LOG, "rb").read():
            break
        time.sleep(0.05)
    assert b"size_declared=20 size_actual=20 " in open(LOG, "rb").read()


def main():
    reload("reject")
    leading_space()
    failures = []
    for tempfail in (False, True):
        if tempfail:
            reload("tempfail")
        for i, case in enumerate(CASES):
            try:
                run_case(case, tempfail, b"R%d%d" % (tempfail, i))
            except AssertionError as e:
                failures.append(str(e))
    # every rule has a case
    missing = set(RULES) - {rule_of(c[0]) for c in CASES}
    assert not missing, "rules without a reply case: %s" % sorted(missing)
    assert not failures, "\n".join(failures)
    print("replies: %d rules, %d cases, reject and tempfail" % (len(RULES), len(CASES)))


if __name__ == "__main__":
    main()
