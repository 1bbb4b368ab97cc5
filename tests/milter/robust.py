#!/usr/bin/env python3
"""Bad input over the milter protocol: out-of-order callbacks, empty and
malformed arguments, thousands of parameters, a 200 KB parameter, raw 8-bit
octets, sessions cut mid-message, broken packets. After each, an honest
session must still be served correctly.

usage: robust.py SOCKET_PATH DAEMON_LOG
"""
import socket
import struct
import sys
import time

from rawmilter import Closed, Conn as RawConn, args

SOCK, LOG = sys.argv[1], sys.argv[2]


def Conn():
    return RawConn(SOCK)


def honest(n):
    """A clean transaction that must be accepted."""
    c = Conn()
    c.negotiate()
    assert c.ask(b"C", b"honest.example\x004\x00\x19" + b"192.0.2.9\0")[0] == b"c"
    assert c.ask(b"H", b"honest.example\0")[0] == b"c"
    c.send(b"D", b"M" + args(b"{r}", b"ESMTP", b"i", b"HONEST%d" % n))
    assert c.ask(b"M", args(b"<a@example.net>", b"SIZE=100"))[0] == b"c"
    assert c.ask(b"R", args(b"<b@example.org>"))[0] == b"c"
    assert c.ask(b"L", args(b"Subject", b"hi"))[0] == b"c"
    assert c.ask(b"B", b"hello\r\n")[0] == b"c"
    cmd, data = c.ask(b"E")
    assert cmd in (b"c", b"a"), (cmd, data)
    c.send(b"Q")
    c.close()


def expect_line(fragment):
    for _ in range(100):
        with open(LOG, "rb") as f:
            if fragment in f.read():
                return
        time.sleep(0.05)
    raise AssertionError("not in the daemon log: %r" % fragment)


def case_rcpt_before_mail(c):
    c.poke(b"R", args(b"<b@example.org>"))
    c.poke(b"E")


def case_eom_alone(c):
    c.poke(b"E")
    c.poke(b"E")


def case_body_before_mail(c):
    c.poke(b"B", b"x" * 100)
    c.poke(b"L", args(b"Subject", b"x"))
    c.send(b"A")
    c.send(b"A")
    c.poke(b"E")


def case_empty_mail(c):
    c.poke(b"M", b"")


def case_unterminated_args(c):
    c.poke(b"M", b"<a@example.net>\0SIZE=1")


def case_thousands_of_params(c):
    params = [b"FOO%d=1" % i for i in range(3000)]
    cmd, data = c.ask(b"M", args(b"<a@example.net>", *params))
    assert cmd == b"y" and data.startswith(b"555 5.5.4 "), (cmd, data[:80])


def case_huge_param(c):
    # 200 KB: over libmilter's packet limit; the connection may be dropped
    c.poke(b"M", args(b"<a@example.net>", b"ENVID=" + b"a" * 200000))


def case_long_param(c):
    cmd, data = c.ask(b"M", args(b"<a@example.net>", b"ENVID=" + b"a" * 60000))
    assert cmd == b"y" and data.startswith(b"501 5.5.4 "), (cmd, data[:80])
    assert len(data) < 1000, len(data)


def case_raw_8bit(c):
    cmd, data = c.ask(b"M", args(b"<\xff\xfe@x>", b"BODY=\xff\x80", b"\xc3\xa9=1"))
    assert cmd == b"y" and data.startswith(b"501 5.5.4 "), (cmd, data)
    assert all(32 <= ch < 127 for ch in data[:-1]), data
    assert c.ask(b"M", args(b"<\xff\xfe@x>"))[0] == b"c"
    assert c.ask(b"R", args(b"<\xff@\x01\x02>", b"NOTIFY=\x7f"))[0] == b"y"
    assert c.ask(b"R", args(b"<b@example.org>"))[0] == b"c"
    assert c.ask(b"L", args(b"\xff\xfe", b"\x80\x81\r\n"))[0] == b"c"
    assert c.ask(b"B", bytes(range(256)) * 10)[0] == b"c"
    assert c.ask(b"E")[0] in (b"c", b"a", b"y")


def case_cut_mid_message(c):
    c.send(b"D", b"M" + args(b"{r}", b"ESMTP"))
    assert c.ask(b"M", args(b"<a@example.net>", b"SIZE=100"))[0] == b"c"
    assert c.ask(b"R", args(b"<b@example.org>"))[0] == b"c"
    assert c.ask(b"L", args(b"Subject", b"cut"))[0] == b"c"
    c.send(b"B", b"partial body")
    c.s.shutdown(socket.SHUT_RDWR)


def case_huge_length(c):
    c.s.settimeout(0.5)
    try:
        c.s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"M" + b"x" * 100)
        c.reply()
    except (socket.timeout, ConnectionError, Closed):
        pass


def case_zero_length(c):
    c.s.settimeout(0.5)
    try:
        c.s.sendall(struct.pack(">I", 0))
        c.reply()
    except (socket.timeout, ConnectionError, Closed):
        pass


def case_unknown_packet(c):
    c.poke(b"Z", b"whatever")


def case_header_without_nul(c):
    c.poke(b"L", b"Subject")


def case_bad_connect(c):
    c.poke(b"C", b"host\x006\x00\x19zz\0")


def case_odd_macros(c):
    c.send(b"D", b"M{r}\0")
    c.send(b"D", b"M" + b"\0" * 50)
    assert c.ask(b"M", args(b"<a@example.net>"))[0] == b"c"
    c.send(b"D", b"")
    c.poke(b"M", args(b"<a@example.net>"))


def case_unknown_command(c):
    assert c.ask(b"U", b"XFOO bar\0")[0] == b"c"
    assert c.ask(b"U", b"\0")[0] == b"c"


def case_no_negotiate(c):
    pass


def case_empty_keyword(c):
    """A parameter with an empty keyword ("=x") after others, on MAIL and
    on RCPT: refused within a second, and other sessions are served while
    this one is still open (it once spun a worker for ever)."""
    assert c.ask(b"C", b"client\x004\x00\x19" + b"192.0.2.9\0")[0] == b"c"
    assert c.ask(b"H", b"client.example\0")[0] == b"c"
    c.send(b"D", b"M" + args(b"{r}", b"ESMTP", b"i", b"EMPTYKW"))
    c.s.settimeout(1)
    cmd, data = c.ask(b"M", args(b"<a@example.org>", b"SIZE=100", b"=x"))
    assert cmd == b"y" and data.startswith(b"501 5.5.4 "), (cmd, data)
    assert c.ask(b"M", args(b"<a@example.org>", b"SIZE=100"))[0] == b"c"
    assert c.ask(b"R", args(b"<b@example.net>", b"NOTIFY=NEVER"))[0] == b"c"
    cmd, data = c.ask(b"R", args(b"<c@example.net>", b"=x"))
    assert cmd == b"y" and data.startswith(b"501 5.5.4 "), (cmd, data)
    assert c.ask(b"R", args(b"<d@example.net>", b"NOTIFY=NEVER", b"=x"))[0] == b"y"
    c.s.settimeout(10)
    honest(1000)
    expect_line(b"HONEST1000: client=honest.example[192.0.2.9] greeting=ehlo")


CASES = [
    case_rcpt_before_mail, case_eom_alone, case_body_before_mail,
    case_empty_mail, case_unterminated_args, case_thousands_of_params,
    case_huge_param, case_long_param, case_raw_8bit, case_cut_mid_message,
    case_huge_length, case_zero_length, case_unknown_packet,
    case_header_without_nul, case_bad_connect, case_odd_macros,
    case_unknown_command, case_empty_keyword,
]


def main():
    failures = 0
    for n, case in enumerate(CASES):
        try:
            c = Conn()
            c.negotiate()
            try:
                case(c)
            except Closed:
                pass            # the library may drop a broken session
            c.close()
            honest(n)
            expect_line(b"HONEST%d: client=honest.example[192.0.2.9] greeting=ehlo" % n)
            print("ok: %s" % case.__name__)
        except Exception as e:  # noqa: BLE001 - report every case
            failures += 1
            print("FAIL: %s: %r" % (case.__name__, e))
    # a connection that never negotiates, then closes
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    s.close()
    honest(len(CASES))
    print("robust: %d cases, %d failed" % (len(CASES), failures))
    sys.exit(1 if failures else 0)


main()
