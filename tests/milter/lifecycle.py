#!/usr/bin/env python3
"""The daemon's life under pressure, each case on a daemon of its own:
a session the MTA leaves silent is closed after [milter] timeout and
counted; past max_sessions a new session is tempfailed at connect, with a
warning and a counter; SIGTERM stops accepting at once, lets a session in
flight finish, cuts one that outlives shutdown_grace, saves the counters,
removes the socket, and exits at once when idle. The figures are printed.

usage: lifecycle.py SOCKET LOG CONFIG PID (run.sh's daemon gives the
binary; it is otherwise left alone)
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from rawmilter import Closed, Conn, args

DAEMON = os.readlink("/proc/%s/exe" % sys.argv[4])
WORK = os.path.dirname(sys.argv[3])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    def __init__(self, name, milter_keys, nofile=None):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "sock")
        self.port = free_port()
        self.logfile = os.path.join(self.dir, "log")
        self.state = os.path.join(self.dir, "state.json")
        conf = os.path.join(self.dir, "conf")
        with open(conf, "w") as f:
            f.write("[milter]\ntrusted_networks =\n%s\n[stats]\nlisten = 127.0.0.1:%d\n"
                    "state_file = %s\n" % (milter_keys, self.port, self.state))
        import resource
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) \
            if nofile else None
        self.proc = subprocess.Popen([DAEMON, "-f", "-l", "debug", "-c", conf,
                                      "-p", "unix:" + self.sock],
                                     stderr=open(self.logfile, "wb"), preexec_fn=limit)
        end = time.time() + 10
        while not os.path.exists(self.sock) and time.time() < end:
            time.sleep(0.05)
        time.sleep(0.2)

    def stats(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/stats.json" % self.port, timeout=5) as r:
            return json.loads(r.read())

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(30)
        assert not re.search(r"AddressSanitizer|runtime error:|LeakSanitizer", self.log()), \
            self.log()[-3000:]
        return status


def opened(path):
    """A session through connect and HELO."""
    c = Conn(path)
    c.negotiate()
    cmd, _ = c.ask(b"C", b"client\x004\x00\x19192.0.2.9\0")
    return c, cmd


def case_timeout():
    d = Daemon("timeout", "timeout = 2")
    try:
        c, cmd = opened(d.sock)
        assert cmd == b"c", cmd
        c.s.sendall(b"\0\0\0\x20M<a@")          # half a command, then silence
        start = time.time()
        c.s.settimeout(10)
        try:
            got = c.s.recv(100)
        except ConnectionResetError:
            got = b""
        took = time.time() - start
        assert got == b"", got
        assert 1.5 <= took <= 5, took
        deadline = time.time() + 5
        while d.stats()["sessions_timed_out"] != 1 and time.time() < deadline:
            time.sleep(0.05)
        assert d.stats()["sessions_timed_out"] == 1, d.stats()["sessions_timed_out"]
        assert "closed: the MTA sent nothing for 2 s ([milter] timeout)" in d.log()
        print("figure: a stalled session closed after %.1f s (timeout = 2)" % took)
    finally:
        assert d.stop() == 0


def case_max_sessions():
    d = Daemon("cap", "max_sessions = 2")
    try:
        held = [opened(d.sock) for _ in range(2)]
        assert all(cmd == b"c" for _, cmd in held)
        c, cmd = opened(d.sock)
        assert cmd == b"t", cmd               # tempfail at connect
        # and the daemon closes that session itself, whatever the peer
        # does: it sends nothing more and keeps its end open
        c.s.settimeout(2)
        t0 = time.time()
        assert c.s.recv(1) == b"", "the refused session is still open"
        assert time.time() - t0 < 1.5, time.time() - t0
        c.close()
        # many refused sessions that the peer keeps open hold nothing:
        # the daemon still has its descriptors for the next ones
        kept = [opened(d.sock) for _ in range(50)]
        assert all(cmd == b"t" for _, cmd in kept)
        assert d.stats()["sessions_refused"] == 51, d.stats()["sessions_refused"]
        for c, _ in kept:
            c.close()
        assert re.search(r"warning: NOQUEUE: 2 milter sessions open: a new one is tempfailed "
                         r"at connect \(max_sessions: 2\)", d.log()), d.log()[-2000:]
        for c, _ in held:
            c.close()
        deadline = time.time() + 5
        while d.stats()["active_connections"] != 0 and time.time() < deadline:
            time.sleep(0.05)
        c, cmd = opened(d.sock)
        assert cmd == b"c", cmd               # room again
        c.close()
    finally:
        assert d.stop() == 0


def case_open_files_limit():
    """Under an open-files limit of 200 the daemon keeps 64 descriptors
    and the statistics listener's 256 connections: more than the limit,
    so half of it, 100, goes to milter sessions, as the start says."""
    d = Daemon("nofile", "", nofile=200)
    try:
        assert "descriptors: 200 open files allowed; 64 kept for the listeners, logs and " \
            "state file, 0 for policy connections, 256 for statistics connections; " \
            "100 left for milter sessions" in d.log(), d.log()[-2000:]
        held = [opened(d.sock) for _ in range(100)]
        assert all(cmd == b"c" for _, cmd in held)
        c, cmd = opened(d.sock)
        assert cmd == b"t", cmd
        c.close()
        assert "100 milter sessions open: a new one is tempfailed at connect " \
            "(file descriptors: 100)" in d.log(), d.log()[-2000:]
        for c, _ in held:
            c.close()
    finally:
        assert d.stop() == 0


def case_descriptor_budget():
    """Under a limit of 2000: 64 kept, 256 for the statistics listener,
    1680 left for milter sessions, as the start line says."""
    d = Daemon("budget", "", nofile=2000)
    try:
        assert "descriptors: 2000 open files allowed; 64 kept for the listeners, logs and " \
            "state file, 0 for policy connections, 256 for statistics connections; " \
            "1680 left for milter sessions" in d.log(), d.log()[-2000:]
        assert "at most 1680 milter sessions at once (file descriptors)" in d.log()
    finally:
        assert d.stop() == 0


def case_stop_lets_session_finish():
    d = Daemon("stop", "shutdown_grace = 10")
    c, cmd = opened(d.sock)
    c.ask(b"H", b"client.example\0")
    c.send(b"D", b"M" + args(b"i", b"STOP1"))
    assert c.ask(b"M", args(b"<a@example.net>", b"SIZE=20"))[0] == b"c"
    d.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # no new session: the socket is closed and removed
    try:
        Conn(d.sock).negotiate()
        refused = False
    except (OSError, Closed):
        refused = True
    assert refused, "a new session was accepted after SIGTERM"
    assert d.proc.poll() is None, "the daemon did not wait for the session"
    assert c.ask(b"R", args(b"<b@example.org>"))[0] == b"c"
    c.ask(b"L", args(b"Subject", b"hi"))
    c.ask(b"B", b"hello\r\n")
    assert c.ask(b"E")[0] == b"c"
    c.send(b"Q")
    c.close()
    start = time.time()
    assert d.stop() == 0
    took = time.time() - start
    log = d.log()
    assert "waiting up to 10 s for 1 in flight" in log, log[-2000:]
    assert re.search(r"STOP1: client=.* verdict=accept", log), log[-2000:]
    assert "esmtp-milter stopping" in log
    assert not os.path.exists(d.sock), "the socket is still there"
    with open(d.state) as f:
        assert json.load(f)["transactions"] == 1
    assert took < 2, took
    print("figure: a session in flight finished after SIGTERM; exit %.2f s after it ended" % took)


def case_stop_grace_runs_out():
    d = Daemon("grace", "shutdown_grace = 2")
    c, cmd = opened(d.sock)
    start = time.time()
    assert d.stop() == 0
    took = time.time() - start
    c.close()
    assert 1.8 <= took <= 4, took
    assert "1 sessions still open after shutdown_grace (2 s): cut" in d.log(), d.log()[-2000:]
    print("figure: a silent session cut after shutdown_grace = 2: exit after %.1f s" % took)


def case_idle_stop():
    d = Daemon("idle", "")
    start = time.time()
    assert d.stop() == 0
    took = time.time() - start
    assert took < 1, took
    assert not os.path.exists(d.sock)
    print("figure: idle daemon stopped %.2f s after SIGTERM" % took)


if __name__ == "__main__":
    for case in (case_timeout, case_max_sessions, case_open_files_limit, case_descriptor_budget,
                 case_stop_lets_session_finish,
                 case_stop_grace_runs_out, case_idle_stop):
        case()
        print("ok: " + case.__name__[5:])
