#!/usr/bin/env python3
"""make bench: the daemon's cost next to a do-nothing libmilter filter.

Both filters get the same sessions over the milter protocol on a unix
socket (connect, EHLO, MAIL with SIZE and BODY, two RCPTs, six headers, a
body in chunks, end of message) from several client threads at once.
Reported: messages per second, filter CPU per message (from /proc), and
the peak resident memory. Numbers only; nothing is asserted: this machine
is shared and noisy, so compare the two rows of one run.

usage: bench.py DAEMON NULL_FILTER WORKDIR [MESSAGES] [CLIENTS]
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../milter"))
import rawmilter  # noqa: E402

DAEMON, NULL, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
MESSAGES = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
CLIENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 4
HEADERS = [(b"From", b"a@example.net"), (b"To", b"b@example.org, c@example.org"),
           (b"Subject", b"a benchmark message"),
           (b"Date", b"Mon, 23 Nov 2026 12:00:00 +0000"),
           (b"Message-ID", b"<bench@example.net>"),
           (b"Received", b"from client.example by mx.example.net;\n\tMon, 23 Nov 2026 12:00:00 +0000")]
BODY = (b"x" * 76 + b"\r\n") * 130            # about 10 KB


def cpu_seconds(pid):
    """User and system CPU seconds of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def one_session(sock):
    c = rawmilter.Conn(sock)
    c.negotiate()
    c.send(b"C", b"client.example\x004\x00\x19192.0.2.7\0")
    c.send(b"H", b"client.example\0")
    c.send(b"D", b"M" + rawmilter.args(b"{r}", b"ESMTP", b"i", b"BENCH"))
    c.ask(b"M", rawmilter.args(b"<a@example.net>", b"SIZE=10500", b"BODY=8BITMIME"))
    c.ask(b"R", rawmilter.args(b"<b@example.org>", b"NOTIFY=SUCCESS,FAILURE"))
    c.ask(b"R", rawmilter.args(b"<c@example.org>"))
    for name, value in HEADERS:
        c.send(b"L", rawmilter.args(name, value))
    for i in range(0, len(BODY), 4096):
        c.send(b"B", BODY[i:i + 4096])
    reply = c.ask(b"E")
    assert reply[0] in (b"c", b"a"), reply
    c.send(b"Q")
    c.close()


def drive(sock):
    per_client = MESSAGES // CLIENTS
    errors = []

    def client():
        try:
            for _ in range(per_client):
                one_session(sock)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit("bench failed: " + errors[0])
    return per_client * CLIENTS, time.monotonic() - start


def run(name, argv, sock):
    proc = subprocess.Popen(argv, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        for _ in range(50):                 # warm up
            one_session(sock)
        user0, sys0 = cpu_seconds(proc.pid)
        n, wall = drive(sock)
        user1, sys1 = cpu_seconds(proc.pid)
        user, system = user1 - user0, sys1 - sys0
        cpu = user + system
        rss = peak_rss_kib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    print("%-20s %8d %8.0f %10.1f %10.1f %10.1f %8d" % (
        name, n, n / wall, cpu / n * 1e6, user / n * 1e6, system / n * 1e6, rss // 1024))
    return cpu / n


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    conf = os.path.join(WORK, "bench.conf")
    with open(conf, "w") as f:
        f.write("[milter]\ntrusted_networks =\nlog_level = warning\n"
                "[size]\nmax = 0\n[stats]\nlisten =\n")
    print("%d messages of %d octets from %d clients at once\n" % (MESSAGES, len(BODY), CLIENTS))
    print("%-20s %8s %8s %10s %10s %10s %8s" % ("filter", "messages", "msg/s",
          "CPU us/msg", "user", "system", "RSS MiB"))
    base = run("do-nothing filter", [NULL, "unix:" + os.path.join(WORK, "null.sock")],
               os.path.join(WORK, "null.sock"))
    ours = run("esmtp-milter", [DAEMON, "-f", "-c", conf, "-p",
                                "unix:" + os.path.join(WORK, "esmtp.sock")],
               os.path.join(WORK, "esmtp.sock"))
    print("\ndifference: %+.1f us of CPU per message (%+.0f%%)"
          % ((ours - base) * 1e6, (ours / base - 1) * 100 if base > 0 else 0))


main()
