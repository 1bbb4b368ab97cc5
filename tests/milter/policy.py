#!/usr/bin/env python3
"""The policy listener under bad and heavy input, over its socket: no
empty line, a 1 MB attribute, 10,000 attributes, NUL and 8-bit octets, an
unknown request, a client that stalls mid-request, 1,000 connections at
once, 2,060 connections (12 past the cap), 1,000 pipelined requests. Each bad request gets DEFER and a closed
connection and one log line; nobody else waits; an honest request is
answered after each.

usage: policy.py MILTER_SOCKET DAEMON_LOG CONFIG PID
"""
import os
import resource
import socket
import sys
import threading
import time

LOG = sys.argv[2]
POLICY = os.path.join(os.path.dirname(sys.argv[3]), "policy.sock")


def request(**attrs):
    base = {"request": "smtpd_access_policy", "protocol_state": "RCPT",
            "protocol_name": "ESMTP", "client_address": "192.0.2.1",
            "client_port": "4711", "client_name": "mx.example",
            "helo_name": "mx.example", "sender": "a@example.org",
            "recipient": "b@example.net", "instance": "i1", "size": "100"}
    base.update(attrs)
    return "".join("%s=%s\n" % kv for kv in base.items()).encode() + b"\n"


def connect():
    """A connection; a full listen queue (EAGAIN on a unix socket) is
    tried again, as Postfix's policy client does."""
    for _ in range(200):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(20)
        try:
            s.connect(POLICY)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.01)
    raise AssertionError("the policy listener accepts no connection")


def read_reply(s):
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError("closed without a reply; got %r" % data)
        data += chunk
    return data.decode("utf-8", "replace")


def closed(s):
    s.settimeout(5)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def honest():
    s = connect()
    s.sendall(request(client_port="9", size="0"))
    assert read_reply(s) == "action=DUNNO\n\n"
    s.sendall(request(client_port="9", protocol_name="SMTP", instance="h2", size="5"))
    got = read_reply(s)
    assert got == "action=555 5.5.4 ESMTP parameters after HELO instead of EHLO (param_without_ehlo)\n\n", got
    s.close()


def log_has(fragment, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        with open(LOG, errors="replace") as f:
            if fragment in f.read():
                return
        time.sleep(0.05)
    raise AssertionError("not in the daemon log: " + fragment)


def refused(payload, reason):
    s = connect()
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass            # the daemon stopped reading: its reply came first
    got = read_reply(s)
    assert got == "action=DEFER bad policy request: %s\n\n" % reason, got
    assert closed(s), "the connection stays open"
    s.close()
    log_has("refused (DEFER, connection closed): " + reason)
    honest()


def case_bad_requests():
    refused(b"request=smtpd_access_policy\nclient_address=1.2.3.4\nx=" + b"y" * (1 << 20) + b"\n\n",
            "no empty line within 65536 octets")
    refused(b"request=smtpd_access_policy\nclient_address=1.2.3.4\n" + b"a=b\n" * 10000 + b"\n",
            "more than 128 attributes")
    refused(request(client_name="mx\0evil"), "a NUL octet")
    refused(request(request="smtpd_other_policy"), "request is not smtpd_access_policy")
    refused(b"hello\n\n", "a line is not name=value")
    refused(request(size="lots"), "size, client_port, server_port or recipient_count is not a number")
    # 8-bit octets are values (and a name the service does not read)
    s = connect()
    s.sendall(request(sender="j\xf6rg@example.org".encode("latin-1").decode("latin-1"),
                      **{"n\u00e4me": "\u00ff"}).replace(b"\xc3\xb6", b"\xf6"))
    assert read_reply(s) == "action=DUNNO\n\n"
    s.close()
    # no empty line, then the client goes away
    s = connect()
    s.sendall(b"request=smtpd_access_policy\nclient_address=1.2.3.4\n")
    time.sleep(0.2)
    s.close()
    log_has("closed the connection in the middle of a request")
    honest()


def case_stall():
    """Half a request, then silence: closed after 10 s; others unhindered,
    and a connection idle as long after a whole request stays open."""
    idle = connect()
    idle.sendall(request(client_port="77", instance="idle1"))
    assert read_reply(idle) == "action=DUNNO\n\n"
    stalled = connect()
    stalled.sendall(b"request=smtpd_access_policy\nclient_addr")
    start = time.time()
    for _ in range(5):
        honest()
        time.sleep(0.2)
    assert closed_within(stalled, 15), "the stalled connection is still open"
    took = time.time() - start
    assert 9 <= took <= 14, "closed after %.1f s" % took
    log_has("left a request unfinished for 10 s: connection closed")
    # Postfix keeps its connection between requests: still served
    idle.sendall(request(client_port="77", instance="idle2"))
    assert read_reply(idle) == "action=DUNNO\n\n"
    idle.close()
    print("figure: stalled request closed after %.1f s" % took)


def closed_within(s, seconds):
    s.settimeout(seconds)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


def case_many_connections():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    conns = [connect() for _ in range(1000)]
    start = time.time()
    for i, s in enumerate(conns):
        s.sendall(request(client_port=str(10000 + i), instance="m%d" % i))
    for s in conns:
        assert read_reply(s) == "action=DUNNO\n\n"
    took = time.time() - start
    honest()
    for s in conns:
        s.close()
    print("figure: 1000 connections answered in %.2f s" % took)


def case_connection_cap():
    """2,048 connections are kept; one more is closed at once, with a warning."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    conns = [connect() for _ in range(2048 + 12)]
    answered = closed_early = 0
    for i, s in enumerate(conns):
        try:
            s.sendall(request(client_port=str(20000 + i), instance="c%d" % i))
            if read_reply(s) == "action=DUNNO\n\n":
                answered += 1
        except (AssertionError, BrokenPipeError, ConnectionResetError):
            closed_early += 1
    for s in conns:
        s.close()
    assert (answered, closed_early) == (2048, 12), (answered, closed_early)
    log_has("connection closed at once: 2048 connections are open")
    honest()


def case_pipelined():
    """1,000 requests written before any reply is read: all answered, in order."""
    s = connect()
    payload = b"".join(request(client_port="7", instance="p%d" % i,
                               size=str(200000 if i % 2 else 10)) for i in range(1000))
    t = threading.Thread(target=s.sendall, args=(payload,))
    t.start()
    buf = b""
    replies = []
    while len(replies) < 1000:
        chunk = s.recv(65536)
        assert chunk, "closed after %d replies" % len(replies)
        buf += chunk
        while b"\n\n" in buf:
            r, buf = buf.split(b"\n\n", 1)
            replies.append(r.decode())
    t.join()
    s.close()
    for i, r in enumerate(replies):
        want = ("action=552 5.3.4 declared SIZE 200000 exceeds the limit of 100000 (size_limit)"
                if i % 2 else "action=DUNNO")
        assert r == want, (i, r)


CASES = [case_bad_requests, case_stall, case_many_connections, case_connection_cap,
         case_pipelined]

if __name__ == "__main__":
    for case in CASES:
        case()
        print("ok: " + case.__name__[5:])
