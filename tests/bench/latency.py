"""make bench, the transports: milliseconds per message on one SMTP
connection through a private Postfix and an unpacked Sendmail, with the
milter on a unix socket, on inet (127.0.0.1) and on inet6 (::1), each
beside the do-nothing filter on the same transport; Postfix with a rule
at tag firing on every message; and Postfix with 8 connections
(smtp-source) with the milter on inet against the milter on a unix
socket. Imported by bench.py, which owns the processes it starts.

Over TCP an MTA's small packet that gets no reply waits for the filter's
delayed acknowledgement (40 ms on Linux); the rows show whether the
daemon pays it. Needs root (the MTAs switch users).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2e  # noqa: E402

bench = None            # bench.py's module, set by run()

# 3.5 KB messages, as an ordinary mail
BODY = b"".join(b"line %04d of an ordinary message body, nothing special\r\n" % i
                for i in range(60))
TAG_RULE = "[actions]\nbody_8bit_undeclared = tag\n"
TRANSPORTS = ("unix", "inet", "inet6")


def socket_spec(transport, sockdir):
    if transport == "unix":
        return "unix:" + os.path.join(sockdir, "milter.sock")
    port = e2e.free_port()
    return "inet:%d@127.0.0.1" % port if transport == "inet" else "inet6:%d@::1" % port


class Sock:
    """What e2e's MTA classes read of a daemon: its socket spec."""
    policy = None

    def __init__(self, spec):
        self.socket = spec


def start_filter(work, name, spec):
    if name == "do-nothing":
        f = bench.null("full", spec)
    else:
        f = bench.daemon(work, bench.BASE_CONF + (TAG_RULE if name.endswith("tag") else ""),
                         spec)
    wait_listening(spec)
    return f


def wait_listening(spec):
    if spec.startswith("unix:"):
        e2e.wait_for(lambda: os.path.exists(spec[5:]), "the filter's socket")
        os.chmod(spec[5:], 0o666)
    else:
        e2e.wait_for(lambda: port_open(spec), "the filter's port")


def port_open(spec):
    import socket
    port = int(spec.split(":", 1)[1].split("@")[0])
    family = socket.AF_INET6 if spec.startswith("inet6") else socket.AF_INET
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    s = socket.socket(family)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_mta(kind, work, spec):
    if kind == "postfix":
        mta = e2e.Postfix(os.path.join(work, "postfix"), Sock(spec))
        subprocess.run(["postconf", "-c", mta.confdir, "-e",
                        "smtpd_recipient_restrictions=", "smtpd_end_of_data_restrictions=",
                        "milter_header_checks="], check=True)
    else:
        mta = e2e.Sendmail(os.path.join(work, "sendmail"), Sock(spec))
    mta.start()
    return mta


def per_message_ms(mta, messages, eight_bit):
    """Messages one after another on one SMTP connection: ms each."""
    body = BODY + (b"caf\xc3\xa9\r\n" if eight_bit else b"")
    s = e2e.SMTP(mta.port)
    s.expect("EHLO client.example", 250)

    def one():
        s.expect("MAIL FROM:<a@example.net> SIZE=%d" % (len(body) + 200), 250)
        s.expect("RCPT TO:<b@example.org>", 250)
        s.data(e2e.message(body), 250)
    try:
        for _ in range(3):
            one()
        t0 = time.monotonic()
        for _ in range(messages):
            one()
        return (time.monotonic() - t0) * 1000 / messages
    finally:
        s.close()


def one_row(root, kind, transport, name, messages):
    # Sendmail refuses a unix socket below a world-writable directory
    # such as /tmp: its unix sockets go under /run, writable by root only
    work = tempfile.mkdtemp(prefix="lat.", dir=root)
    sockdir = tempfile.mkdtemp(prefix="esmtp-milter-bench.", dir="/run")
    os.chmod(work, 0o755)
    os.chmod(sockdir, 0o755)
    spec = socket_spec(transport, sockdir)
    f = mta = None
    try:
        f = start_filter(work, name, spec)
        mta = start_mta(kind, work, spec)
        return per_message_ms(mta, messages, name.endswith("tag"))
    finally:
        if mta is not None:
            mta.stop()
        if f is not None:
            f.stop()
        shutil.rmtree(sockdir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def one_connection(work):
    messages = 10 if bench.QUICK else 40
    rounds = bench.ROUNDS
    print("\nOne SMTP connection, ms per 3.5 KB message (%d messages, median of %d"
          " rounds): the milter on each transport beside the do-nothing filter"
          " (which answers every stage over TCP and leaves its sockets as"
          " libmilter makes them)" % (messages, rounds))
    print("  %-9s %-6s %14s %16s %8s %s" % ("MTA", "socket", "do-nothing ms",
                                           "esmtp-milter ms", "ratio", "target"))
    rows = []
    for kind in ("postfix", "sendmail"):
        for transport in TRANSPORTS:
            names = ["do-nothing", "esmtp-milter"]
            if kind == "postfix":
                names.append("esmtp-milter tag")
            got = {n: [] for n in names}
            for _ in range(rounds):
                for n in names:
                    got[n].append(one_row(work, kind, transport, n, messages))
            med = {n: statistics.median(v) for n, v in got.items()}
            row = {"scenario": "one connection", "mta": kind, "transport": transport,
                   "messages": messages, "rounds": rounds,
                   "ms_per_msg": med}
            rows.append(row)
            bench.results["rows"].append(row)
            for n in names[1:]:
                r = med[n] / med["do-nothing"]
                target = "<= 1.25 x" if transport != "unix" and kind == "postfix" else "-"
                print("  %-9s %-6s %14.1f %16.1f %7.2fx %s%s" % (
                    kind, transport, med["do-nothing"], med[n], r, target,
                    "  (with tag)" if n.endswith("tag") else ""))
    by = {(r["mta"], r["transport"]): r["ms_per_msg"] for r in rows}
    for kind in ("postfix", "sendmail"):
        unix = by[(kind, "unix")]["esmtp-milter"]
        for transport in ("inet", "inet6"):
            ours = by[(kind, transport)]
            r = ours["esmtp-milter"] / ours["do-nothing"]
            line = "  ratio %s %s esmtp-milter / do-nothing: %.2f x" % (kind, transport, r)
            if kind == "postfix":
                line += " (target <= 1.25)%s" % ("" if r <= 1.25 else "   <- missed")
                rt = ours["esmtp-milter tag"] / ours["do-nothing"]
                line += "; with tag %.2f x (target <= 1.25)%s" % (
                    rt, "" if rt <= 1.25 else "   <- missed")
            bench.results.setdefault("ratios", []).append(
                {"scenario": "%s %s one connection" % (kind, transport), "latency": r})
            print(line)
            r = ours["esmtp-milter"] / unix
            bench.results["ratios"].append(
                {"scenario": "%s %s / unix one connection" % (kind, transport), "latency": r})
            print("  ratio %s %s / unix socket, esmtp-milter: %.2f x%s" % (
                kind, transport, r,
                " (target <= 2)%s" % ("" if r <= 2 else "   <- missed")
                if kind == "sendmail" else ""))


def eight_connections(work):
    messages = 300 if bench.QUICK else 2000
    print("\nBehind Postfix, 8 connections (smtp-source, %d messages of 10 KB, median"
          " of %d rounds): esmtp-milter on inet against esmtp-milter on a unix socket,"
          "\nthe do-nothing filter the same way beside it" % (messages, bench.ROUNDS))
    names = ("esmtp-milter", "do-nothing (full)")
    rates = {(n, t): [] for n in names for t in ("unix", "inet")}
    for _ in range(bench.ROUNDS):
        for name, transport in rates:
            rates[name, transport].append(bench.postfix_run(
                work, name, messages, transport=transport, connections=8)[0])
    med = {k: statistics.median(v) for k, v in rates.items()}
    bench.results["rows"].append({"scenario": "postfix 8 connections",
                                  "msg_per_s": {"%s %s" % k: v for k, v in med.items()},
                                  "messages": messages, "rounds": bench.ROUNDS})
    for name in names:
        r = med[name, "inet"] / med[name, "unix"]
        if name == "esmtp-milter":
            bench.results.setdefault("ratios", []).append(
                {"scenario": "postfix 8 connections inet / unix", "throughput": r})
        print("  %-18s unix %5.0f msg/s, inet %5.0f msg/s: ratio %.2f x%s"
              % (name, med[name, "unix"], med[name, "inet"], r,
                 (" (target >= 0.9)%s" % ("" if r >= 0.9 else "   <- missed"))
                 if name == "esmtp-milter" else ""))


def run(work, bench_module):
    global bench
    bench = bench_module
    if os.geteuid() != 0:
        print("\nThe transports through Postfix and Sendmail: skipped (needs root)")
        return
    e2e.DAEMON = bench.DAEMON
    one_connection(work)
    eight_connections(work)
