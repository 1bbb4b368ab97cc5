#!/usr/bin/env python3
"""The milter over TCP: offered every "no reply" flag (SMFIP_NR_*), the
daemon takes some on its unix socket and none on an inet or inet6 socket,
where an unanswered packet would make the MTA wait for a delayed
acknowledgement; a whole session over TCP gets a reply at every stage;
and the daemon's socket options reach the sessions libmilter accepts (its
own record: the replies go out on descriptors its accept() marked).

usage: tcp.py SOCKET LOG CONFIG PID (run.sh's daemon, on a unix socket,
gives the binary; the TCP daemons are this script's own)
"""
import os
import socket
import subprocess
import sys
import time

from rawmilter import Conn, args

DAEMON = os.readlink("/proc/%s/exe" % sys.argv[4])
WORK = os.path.dirname(sys.argv[3])
NO_REPLY = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80
OFFER = 0x1FFFFF            # every step and flag of milter protocol 6


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def taken_no_reply(where):
    c = Conn(where)
    _, proto = c.negotiate(OFFER)
    c.close()
    return proto & NO_REPLY


def whole_session(where):
    """Every stage answered ('c'), the verdict at the end."""
    c = Conn(where)
    _, proto = c.negotiate(OFFER)
    replies = [c.ask(b"C", b"client\x004\x00\x19" + b"192.0.2.9\0")[0],
               c.ask(b"H", b"client.example\0")[0]]
    c.send(b"D", b"M" + args(b"{r}", b"ESMTP", b"i", b"TCP1"))
    replies += [c.ask(b"M", args(b"<a@example.net>", b"SIZE=100"))[0],
                c.ask(b"R", args(b"<b@example.org>"))[0],
                c.ask(b"L", args(b"Subject", b"hi"))[0],
                c.ask(b"N")[0] if not proto & 0x40 else b"c",
                c.ask(b"B", b"hello\r\n")[0],
                c.ask(b"E")[0]]
    c.send(b"Q")
    c.close()
    assert replies == [b"c"] * 8, replies


def main():
    failures = 0
    unix = taken_no_reply(sys.argv[1])
    print("ok: on a unix socket the daemon takes no-reply flags 0x%x" % unix)
    if not unix:
        print("FAIL: no no-reply flag taken on a unix socket")
        failures += 1
    for family, host, spec in ((socket.AF_INET, "127.0.0.1", "inet:%d@127.0.0.1"),
                               (socket.AF_INET6, "::1", "inet6:%d@::1")):
        port = free_port(family, host)
        log = open(os.path.join(WORK, "tcp-%d.log" % port), "wb")
        proc = subprocess.Popen([DAEMON, "-f", "-l", "debug", "-c", sys.argv[3],
                                 "-p", spec % port], stderr=log)
        try:
            end = time.time() + 10
            while time.time() < end:
                try:
                    socket.create_connection((host, port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            taken = taken_no_reply((host, port))
            if taken:
                print("FAIL: %s: no-reply flags 0x%x taken over TCP" % (spec % port, taken))
                failures += 1
            else:
                print("ok: %s: no no-reply flag taken" % (spec % port))
            whole_session((host, port))
            print("ok: %s: every stage answered" % (spec % port))
            # the daemon's record of its socket options: the connect
            # reply went out on a descriptor its accept() marked (told at
            # the next session's connect)
            whole_session((host, port))
            with open(log.name, errors="replace") as f:
                text = f.read()
            if "TCP_NODELAY and TCP_QUICKACK applied" not in text \
                    or "accept() never returned" in text:
                print("FAIL: %s: the TCP options did not reach libmilter's sessions"
                      % (spec % port))
                failures += 1
            else:
                print("ok: %s: TCP_NODELAY and TCP_QUICKACK applied to the sessions"
                      % (spec % port))
        except Exception as e:  # noqa: BLE001 - report and go on
            print("FAIL: %s: %r" % (spec % port, e))
            failures += 1
        finally:
            proc.terminate()
            if proc.wait(30) != 0:
                print("FAIL: the daemon on %s exited %d" % (spec % port, proc.returncode))
                failures += 1
        with open(log.name, errors="replace") as f:
            if "AddressSanitizer" in f.read():
                print("FAIL: sanitizer report in " + log.name)
                failures += 1
    sys.exit(1 if failures else 0)


main()
