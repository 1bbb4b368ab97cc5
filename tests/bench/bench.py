#!/usr/bin/env python3
"""make bench: what the daemon costs, measured against do-nothing
libmilter filters that negotiate exactly what it negotiates, in one run.

Rows (each filter started fresh, fed by tests/bench/milterload.c):
  1. raw, envelope-only policy (end-of-message rules ignore: no headers,
     no body) against the envelope-only do-nothing filter;
  2. raw, full policy with 10 KB bodies against the full do-nothing
     filter; the same over an inet socket with one connection shows the
     delayed-ACK stall a unix socket avoids;
  3. concurrency: 1, 100, 1,000, 2,000 connections held open after their
     first RCPT: peak RSS, threads, heap per connection, errors;
  4. behind a private Postfix fed by smtp-source (as root): no filter,
     the do-nothing milter, esmtp-milter;
  5. the parser alone (parse_bench.c): ns and heap allocations per MAIL
     command with 0, 3 and 10 parameters;
  6. the Postfix policy service alone: requests over its unix socket from
     20 connections (an RCPT and an END-OF-MESSAGE request per message),
     the daemon's CPU per request; behind Postfix (row 4), policy-only
     against no filter and against a do-nothing epoll policy server
     (tests/bench/null_policy.c), and milter + policy service.
  7. the HTML page at /: its render time per request, from a state with
     every family and 50 top clients in each table;
Next to each throughput: filter CPU (user + system, all threads, from
/proc) and context switches per message, and peak RSS. Nothing is
asserted: the targets are printed beside the figures. The numbers also
go to WORKDIR/bench.json. BENCH_QUICK=1 runs a subset in under a minute;
BENCH_ONLY="postfix latency" runs only the sections named (parser,
policy, raw, concurrency, postfix, page, latency).

usage: bench.py TOP BUILDDIR
"""
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
QUICK = os.environ.get("BENCH_QUICK") == "1"
DAEMON = os.path.join(TOP, "esmtp-milter")
NULL = os.path.join(BUILD, "null_filter")
LOAD = os.path.join(BUILD, "milterload")
PARSE = os.path.join(BUILD, "parse_bench")
NULL_POLICY = os.path.join(BUILD, "null_policy")
sys.path.insert(0, os.path.join(TOP, "tests/e2e"))
sys.path.insert(0, os.path.join(TOP, "tests/bench"))

BASE_CONF = "[milter]\ntrusted_networks =\n[stats]\nlisten =\n"
ENVELOPE_CONF = BASE_CONF + "[actions]\nsize_overrun = ignore\n" \
    "size_actual_limit = ignore\nbody_8bit_undeclared = ignore\n"
results = {"quick": QUICK, "rows": []}
started = []


def raise_nofile():
    """Lets a process hold thousands of sockets: the soft descriptor limit
    up to the hard one (the daemon does so itself; the do-nothing filter
    and the load generator need it too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def proc_switches(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if "ctxt_switches" in line:
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Filter:
    def __init__(self, name, argv, sock):
        self.name, self.sock = name, sock
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     preexec_fn=raise_nofile)
        started.append(self.proc.pid)
        path = sock[5:] if sock.startswith("unix:") else None
        for _ in range(200):
            if path is None or os.path.exists(path):
                break
            time.sleep(0.05)
        time.sleep(0.2)

    def stop(self):
        # measured already: no need to wait the seconds libmilter takes to
        # stop on SIGTERM; both filters remove a stale socket at start
        self.proc.kill()
        self.proc.wait()


def daemon(work, conf, sock):
    path = os.path.join(work, "esmtp-milter.conf")
    with open(path, "w") as f:
        f.write(conf)
    return Filter("esmtp-milter", [DAEMON, "-f", "-l", "warning", "-c", path,
                                   "-p", sock], sock)


def null(mode, sock):
    return Filter("do-nothing (%s)" % mode, [NULL, sock, mode], sock)


def load(sock, **kw):
    argv = [LOAD, "--socket", sock]
    for k, v in kw.items():
        argv += ["--" + k, str(v)]
    out = subprocess.run(argv, capture_output=True, text=True,
                         preexec_fn=raise_nofile).stdout
    return json.loads(out)


def raw_row(label, f, conf_kind, **kw):
    """Warm up, then measure one load run with the filter's CPU and
    context switches."""
    load(f.sock, connections=2, sessions=20, messages=5)
    cpu0, sw0 = proc_cpu(f.proc.pid), proc_switches(f.proc.pid)
    r = load(f.sock, **kw)
    cpu = proc_cpu(f.proc.pid) - cpu0
    sw = proc_switches(f.proc.pid) - sw0
    n = max(r["messages"], 1)
    row = {"scenario": label, "filter": f.name, "policy": conf_kind,
           "messages": r["messages"], "msg_per_s": r["msg_per_s"],
           "p50_us": r["p50_us"], "p99_us": r["p99_us"],
           "cpu_us_per_msg": cpu * 1e6 / n, "switches_per_msg": sw / n,
           "peak_rss_kib": proc_status(f.proc.pid, "VmHWM"),
           "errors": r["errors"], "protocol": r["protocol"]}
    results.setdefault("runs", []).append(row)
    return row


def show(row):
    # /proc counts CPU in clock ticks (10 ms): too coarse for a few messages
    cpu = "%9.1f" % row["cpu_us_per_msg"] if row["messages"] >= 1000 else "%9s" % "-"
    print("  %-30s %-22s %8d %9.0f %8.0f %8.0f %s %7.2f %8d %6d" % (
        row["scenario"], row["filter"], row["messages"], row["msg_per_s"],
        row["p50_us"], row["p99_us"], cpu, row["switches_per_msg"],
        row["peak_rss_kib"], row["errors"]))


def ratio(label, ours, base, target_tp=0.95, target_cpu=1.1):
    tp = ours["msg_per_s"] / base["msg_per_s"] if base["msg_per_s"] else 0
    cpu = ours["cpu_us_per_msg"] / base["cpu_us_per_msg"] if base["cpu_us_per_msg"] else 0
    results.setdefault("ratios", []).append(
        {"scenario": label, "throughput": tp, "cpu": cpu})
    print("  ratio %-24s throughput %.2f x (target >= %.2f)   CPU per message %.2f x (target <= %.2f)%s"
          % (label, tp, target_tp, cpu, target_cpu,
             "" if tp >= target_tp and cpu <= target_cpu else "   <- missed"))


HEAD = "  %-30s %-22s %8s %9s %8s %8s %9s %7s %8s %6s" % (
    "scenario", "filter", "messages", "msg/s", "p50 us", "p99 us",
    "CPU us/msg", "sw/msg", "RSS KiB", "errors")


ROUNDS = 1 if QUICK else 3


def median_row(rows):
    """The median of each figure over rounds run alternately with the
    baseline, so that a noisy moment on a shared machine weighs less."""
    out = dict(rows[0])
    for k in ("msg_per_s", "p50_us", "p99_us", "cpu_us_per_msg",
              "switches_per_msg", "peak_rss_kib"):
        vals = sorted(r[k] for r in rows)
        out[k] = vals[len(vals) // 2]
    out["errors"] = sum(r["errors"] for r in rows)
    out["rounds"] = len(rows)
    return out


def raw_scenarios(work):
    sessions = 200 if QUICK else 2000
    common = dict(connections=4, sessions=sessions, messages=5, rcpts=2,
                  headers=6, body=10240)
    print("\nRaw milter protocol, unix socket, 4 connections, 5 messages each, 10 KB bodies"
          "\n(median of %d rounds, each filter in turn)" % ROUNDS)
    print(HEAD)
    pairs = [("envelope-only policy", ENVELOPE_CONF, "envelope"),
             ("full policy", BASE_CONF, "full")]
    for label, conf, mode in pairs:
        rounds = ([], [])
        for _ in range(ROUNDS):
            for k, make in enumerate((lambda s: daemon(work, conf, s),
                                      lambda s: null(mode, s))):
                sock = "unix:" + os.path.join(work, "bench.sock")
                f = make(sock)
                try:
                    rounds[k].append(raw_row(label, f, mode, **common))
                finally:
                    f.stop()
        rows = [median_row(r) for r in rounds]
        results["rows"].extend(rows)
        for row in rows:
            show(row)
        ratio(label, rows[0], rows[1])
    # the delayed-ACK stall: one connection over inet against unix
    print("\nOne connection, full policy: inet socket against unix socket")
    print(HEAD)
    port = 20000 + os.getpid() % 20000
    for sock in ("unix:" + os.path.join(work, "bench.sock"), "inet:%d@127.0.0.1" % port):
        f = daemon(work, BASE_CONF, sock)
        try:
            time.sleep(0.3)
            row = raw_row("1 connection, " + sock.split(":")[0], f, "full",
                          connections=1, sessions=4 if QUICK else 10, messages=5,
                          rcpts=2, headers=6, body=10240)
        finally:
            f.stop()
        results["rows"].append(row)
        show(row)


def concurrency(work):
    counts = [1, 100] if QUICK else [1, 100, 1000, 2000]
    print("\nConcurrency: connections held open after their first RCPT (full policy)")
    print("  %-22s %8s %10s %10s %8s %14s %7s" % (
        "filter", "conns", "idle KiB", "peak KiB", "threads", "heap/conn KiB", "errors"))
    rows = []
    for n in counts:
        for name in ("esmtp-milter", "do-nothing (full)"):
            sock = "unix:" + os.path.join(work, "hold.sock")
            f = daemon(work, BASE_CONF, sock) if name == "esmtp-milter" else null("full", sock)
            try:
                idle = proc_status(f.proc.pid, "VmRSS")
                hold = 4 if n >= 1000 else 2
                gen = subprocess.Popen([LOAD, "--socket", sock, "--connections", str(n),
                                        "--hold", str(hold), "--messages", "1",
                                        "--rcpts", "1", "--body", "1000"],
                                       stdout=subprocess.PIPE, text=True,
                                       preexec_fn=raise_nofile)
                started.append(gen.pid)
                threads = 0
                deadline = time.time() + hold - 0.5
                while time.time() < deadline:
                    threads = max(threads, proc_status(f.proc.pid, "Threads"))
                    time.sleep(0.1)
                out = json.loads(gen.communicate(timeout=120)[0])
                peak = proc_status(f.proc.pid, "VmHWM")
            finally:
                f.stop()
            row = {"scenario": "hold", "filter": name, "connections": n,
                   "idle_rss_kib": idle, "peak_rss_kib": peak, "threads": threads,
                   "heap_per_conn_kib": (peak - idle) / n, "errors": out["errors"]}
            rows.append(row)
            results["rows"].append(row)
            print("  %-22s %8d %10d %10d %8d %14.1f %7d" % (
                name, n, idle, peak, threads, row["heap_per_conn_kib"], out["errors"]))
    big = [r for r in rows if r["filter"] == "esmtp-milter" and r["connections"] == max(counts)]
    if big:
        r = big[0]
        print("  target: %d connections served with heap <= 64 KiB each: %.1f KiB, %d errors%s"
              % (r["connections"], r["heap_per_conn_kib"], r["errors"],
                 "" if r["heap_per_conn_kib"] <= 64 and r["errors"] == 0 else "   <- missed"))


def policy_requests(path, sessions):
    """An RCPT and an END-OF-MESSAGE request per session, as Postfix asks,
    written in batches of 100 and read back: requests answered."""
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    sent = 0
    for start in range(0, sessions, 50):
        batch = b""
        for i in range(start, min(start + 50, sessions)):
            common = ("request=smtpd_access_policy\nprotocol_name=ESMTP\nclient_address=192.0.2.%d\n"
                      "client_port=%d\nclient_name=mx.example\nhelo_name=mx.example\n"
                      "sender=a@example.net\nrecipient=b@example.org\ninstance=%d.0\n"
                      % (i % 250 + 1, 1024 + i % 60000, i))
            batch += (common + "protocol_state=RCPT\nsize=10240\nrecipient_count=0\nqueue_id=\n\n"
                      + common + "protocol_state=END-OF-MESSAGE\nsize=10240\nrecipient_count=1\n"
                      "queue_id=Q%d\n\n" % i).encode()
        s.sendall(batch)
        want = batch.count(b"\n\nrequest=") + 1
        got = b""
        while got.count(b"\n\n") < want:
            chunk = s.recv(65536)
            assert chunk, "the policy service closed the connection"
            got += chunk
        assert got.count(b"action=DUNNO") == want, got[:200]
        sent += want
    s.close()
    return sent


def policy_raw(work):
    """The policy service alone: CPU per request, requests a second."""
    import threading
    path = os.path.join(work, "policy.sock")
    conf = BASE_CONF + "[policy]\nlisten = unix:%s\n" % path
    per_conn = 250 if QUICK else 2500
    f = daemon(work, conf, "unix:" + os.path.join(work, "bench.sock"))
    try:
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        policy_requests(path, 50)
        cpu0, t0 = proc_cpu(f.proc.pid), time.monotonic()
        counts = []
        threads = [threading.Thread(target=lambda: counts.append(policy_requests(path, per_conn)))
                   for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        secs = time.monotonic() - t0
        n = sum(counts)
        cpu_us = (proc_cpu(f.proc.pid) - cpu0) * 1e6 / n
        rss = proc_status(f.proc.pid, "VmHWM")
    finally:
        f.stop()
    row = {"scenario": "policy", "requests": n, "connections": 20,
           "requests_per_s": n / secs, "cpu_us_per_request": cpu_us, "peak_rss_kib": rss}
    results["rows"].append(row)
    print("\nThe Postfix policy service alone: 20 connections, %d requests (RCPT and"
          "\nEND-OF-MESSAGE of %d policy-only sessions)" % (n, n // 2))
    print("  %.0f requests/s, daemon CPU %.1f us per request (target: tens of us), peak RSS %d KiB%s"
          % (n / secs, cpu_us, rss, "" if cpu_us < 100 else "   <- missed"))


def postfix_run(work, name, messages, transport="unix", connections=10):
    """One smtp-source run through a fresh private Postfix with this
    milter (or none) and the policy service (or not): messages a second,
    filter CPU and switches each."""
    import e2e
    import latency
    pw = tempfile.mkdtemp(prefix="pf.", dir=work)
    os.chmod(pw, 0o755)
    sock = latency.socket_spec(transport, pw)
    policy = "unix:" + os.path.join(pw, "policy.sock")
    uses_policy = name in ("esmtp-milter policy-only", "esmtp-milter + policy",
                           "do-nothing policy")
    uses_milter = name not in ("no filter", "esmtp-milter policy-only", "do-nothing policy")
    f = None
    if name.startswith("esmtp-milter"):
        f = daemon(pw, BASE_CONF + ("[policy]\nlisten = %s\n" % policy if uses_policy else ""), sock)
        for _ in range(100):
            if not uses_policy or os.path.exists(policy[5:]):
                break
            time.sleep(0.05)
    elif name == "do-nothing policy":
        f = Filter(name, [NULL_POLICY, policy], policy)
    elif name != "no filter":
        f = null("full", sock)
    if f is not None and name != "do-nothing policy":
        # the daemon opens its milter socket after the policy one has its mode
        latency.wait_listening(sock)
        if uses_policy:
            os.chmod(policy[5:], 0o666)

    class Sock:
        socket = sock
    Sock.policy = policy
    mta = e2e.Postfix(os.path.join(pw, "postfix"), Sock)
    if not uses_milter:
        subprocess.run(["postconf", "-c", mta.confdir, "-e", "smtpd_milters="], check=True)
    if not uses_policy:
        subprocess.run(["postconf", "-c", mta.confdir, "-e", "smtpd_recipient_restrictions=",
                        "smtpd_end_of_data_restrictions="], check=True)
    mta.start()
    source = ["/usr/sbin/smtp-source", "-s", str(connections), "-l", "10240", "-f", "a@example.net",
              "-t", "b@example.org", "127.0.0.1:%d" % mta.port]
    try:
        subprocess.run(source[:1] + ["-m", "50"] + source[1:], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu0 = proc_cpu(f.proc.pid) if f else 0
        sw0 = proc_switches(f.proc.pid) if f else 0
        t0 = time.monotonic()
        subprocess.run(source[:1] + ["-m", str(messages)] + source[1:], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        secs = time.monotonic() - t0
        cpu = (proc_cpu(f.proc.pid) - cpu0) * 1e6 / messages if f else 0
        sw = (proc_switches(f.proc.pid) - sw0) / messages if f else 0
    finally:
        mta.stop()
        if f is not None:
            f.stop()
        shutil.rmtree(pw, ignore_errors=True)
    return messages / secs, cpu, sw


def postfix(work):
    if os.geteuid() != 0 or shutil.which("smtp-source") is None and not os.path.exists("/usr/sbin/smtp-source"):
        print("\nBehind Postfix: skipped (needs root and Postfix's smtp-source)")
        return
    import e2e
    e2e.DAEMON = DAEMON
    messages = 300 if QUICK else 2000
    print("\nBehind a private Postfix: smtp-source, 10 sessions, %d messages of 10 KB"
          " (median of %d rounds)" % (messages, ROUNDS))
    print("  %-22s %9s %11s %9s %10s" % ("milter", "msg/s", "CPU us/msg", "sw/msg", "ratio"))
    rates = {}
    names = ("no filter", "do-nothing (full)", "esmtp-milter", "do-nothing policy",
             "esmtp-milter policy-only", "esmtp-milter + policy")
    for _ in range(ROUNDS):
        for name in names:
            rates.setdefault(name, []).append(postfix_run(work, name, messages))
    base = None
    for name in names:
        runs = sorted(rates[name], key=lambda r: r[0])
        rate, cpu, sw = runs[len(runs) // 2]
        base = base or rate
        row = {"scenario": "postfix", "filter": name, "messages": messages,
               "msg_per_s": rate, "cpu_us_per_msg": cpu, "switches_per_msg": sw,
               "ratio_to_no_filter": rate / base, "rounds": ROUNDS}
        results["rows"].append(row)
        print("  %-22s %9.0f %11.1f %9.2f %9.2fx" % (name, rate, cpu, sw, rate / base))
    pf = {r["filter"]: r for r in results["rows"] if r["scenario"] == "postfix"}
    r = pf["esmtp-milter"]["msg_per_s"] / pf["do-nothing (full)"]["msg_per_s"]
    results.setdefault("ratios", []).append({"scenario": "postfix", "throughput": r})
    print("  ratio Postfix + esmtp-milter / Postfix + do-nothing milter: %.2f x (target >= 0.95)%s"
          % (r, "" if r >= 0.95 else "   <- missed"))
    r = pf["esmtp-milter policy-only"]["msg_per_s"] / pf["no filter"]["msg_per_s"]
    results["ratios"].append({"scenario": "postfix policy-only", "throughput": r})
    print("  ratio Postfix + policy service alone / Postfix alone: %.2f x (the do-nothing"
          " policy server: %.2f x)" % (r, pf["do-nothing policy"]["ratio_to_no_filter"]))
    r = pf["esmtp-milter policy-only"]["msg_per_s"] / pf["do-nothing policy"]["msg_per_s"]
    results["ratios"].append({"scenario": "postfix policy vs do-nothing policy", "throughput": r})
    print("  ratio Postfix + policy service / Postfix + do-nothing policy server: %.2f x"
          " (target >= 0.95)%s" % (r, "" if r >= 0.95 else "   <- missed"))
    r = pf["esmtp-milter + policy"]["msg_per_s"] / pf["esmtp-milter"]["msg_per_s"]
    results["ratios"].append({"scenario": "postfix milter+policy", "throughput": r})
    print("  ratio Postfix + milter + policy service / Postfix + milter: %.2f x (what the"
          " greeting costs)" % r)


def parser():
    out = json.loads(subprocess.run([PARSE, "20000" if QUICK else "200000"],
                                    capture_output=True, text=True, check=True).stdout)
    results["parser"] = out
    print("\nThe parser alone (session core, MAIL command then abort, log line formatted)")
    for k in ("params_0", "params_3", "params_10"):
        print("  %-12s %8.0f ns per command %8.3f allocations per command (target 0)"
              % (k.replace("params_", "") + " params", out[k]["ns_per_command"],
                 out[k]["allocations_per_command"]))


def state_save(work):
    """What the history adds to a save of the state file: the golden
    state saved without a history and with every bucket full, in turn."""
    out = json.loads(subprocess.run(
        [os.path.join(BUILD, "save_bench"), os.path.join(TOP, "tests/stats/state.json"),
         work, "5" if QUICK else "30"], capture_output=True, text=True, check=True).stdout)
    results["state_save"] = out
    extra = out["with_ms"] - out["without_ms"]
    print("\nSaving the state file (write, fsync, rename; median of %d), the golden state"
          % (5 if QUICK else 30))
    print("  without history %7.2f ms %8d octets" % (out["without_ms"], out["without_octets"]))
    print("  full history    %7.2f ms %8d octets (48 hours and 400 days of a busy site, %d KiB of memory)"
          % (out["with_ms"], out["with_octets"], out["history_memory"] // 1024))
    print("  the history adds %.2f ms a save (target: under 10 ms; one save a minute)%s"
          % (extra, "" if extra <= 10 else "   <- missed"))


def page(work):
    """The HTML page at /: rendered on request from a snapshot of the
    counters, so its cost is per request, never per message. A state
    with the golden report's families and 50 top clients in each table,
    with profiles; the median of 50 requests."""
    import statistics
    import urllib.request
    with open(os.path.join(TOP, "tests/stats/state.json")) as f:
        state = json.load(f)
    clients = [{"address": "198.51.100.%d" % i, "helo": "mx%d.example.net" % i,
                "count": 10000 - i, "error": 0, "greetings": ["ehlo"],
                "keywords": ["SIZE", "BODY"], "size_declared": 50, "size_overruns": 1,
                "size_overrun_max": 900, "violations": {"size_overrun": 1, "param_private": 3},
                "would_refuse": {"param_without_ehlo": 2}} for i in range(50)]
    state["top_clients"] = {"by_transactions": clients, "by_violations": clients}
    d = tempfile.mkdtemp(prefix="page.", dir=work)
    path = os.path.join(d, "state.json")
    with open(path, "w") as f:
        json.dump(state, f)
    port = latency_free_port()
    conf = BASE_CONF.replace("[stats]\nlisten =\n", "[stats]\nlisten = 127.0.0.1:%d\n"
                             "state_file = %s\n" % (port, path))
    f = daemon(d, conf, "unix:" + os.path.join(d, "sock"))
    times = []
    try:
        for _ in range(60):
            t0 = time.perf_counter()
            with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as r:
                body = r.read()
            times.append(time.perf_counter() - t0)
    finally:
        f.stop()
    ms = statistics.median(times[10:]) * 1000
    results["page"] = {"ms": ms, "octets": len(body), "top_clients": 50}
    print("\nThe HTML page at / (the golden state's families, 50 top clients in each table):"
          "\n  %.2f ms per request (median of 50, after 10), %d octets" % (ms, len(body)))


def latency_free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Tee:
    """Everything printed goes to the terminal and into the figures."""
    def __init__(self, out):
        self.out, self.text = out, []

    def write(self, s):
        self.text.append(s)
        return self.out.write(s)

    def flush(self):
        self.out.flush()


def figures_header():
    def cmd(*args):
        try:
            return subprocess.run(args, capture_output=True, text=True, cwd=TOP).stdout.strip()
        except OSError:
            return "?"
    release = "?"
    try:
        with open("/etc/os-release") as f:
            release = dict(l.rstrip().split("=", 1) for l in f if "=" in l) \
                .get("PRETTY_NAME", "?").strip('"')
    except OSError:
        pass
    return ("make bench, %s\non %s, %d CPUs, load average %s before the run, commit %s\n"
            "Written by tests/bench/bench.py; each row's meaning is in tests/bench/README.\n"
            % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), release, os.cpu_count(),
               " ".join("%.2f" % x for x in os.getloadavg()), cmd("git", "describe", "--always",
                                                               "--dirty")))


def main():
    header = figures_header()
    tee = Tee(sys.stdout)
    sys.stdout = tee
    work = tempfile.mkdtemp(prefix="esmtp-milter-bench.", dir="/tmp")
    os.chmod(work, 0o755)
    t0 = time.time()
    import latency
    sections = [("parser", lambda w: parser()), ("policy", policy_raw),
                ("raw", raw_scenarios), ("concurrency", concurrency),
                ("postfix", postfix), ("page", page), ("state", state_save),
                ("latency", lambda w: latency.run(w, sys.modules[__name__]))]
    only = os.environ.get("BENCH_ONLY", "").split()
    try:
        for name, run in sections:
            if name in only or (not only and not (QUICK and name == "postfix")):
                run(work)
    finally:
        for pid in started:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.time() - t0
    with open(os.path.join(BUILD, "bench.json"), "w") as f:
        json.dump(results, f, indent=1)
    # a full run's figures are kept with the sources; a partial run's in build
    full = not QUICK and not os.environ.get("BENCH_ONLY")
    figures = os.path.join(TOP, "tests/bench/FIGURES") if full \
        else os.path.join(BUILD, "bench-figures.txt")
    print("\nbench: %.0f s; numbers in %s, this table in %s" % (
        results["seconds"], os.path.relpath(os.path.join(BUILD, "bench.json"), TOP),
        os.path.relpath(figures, TOP)))
    sys.stdout = tee.out
    with open(figures, "w") as f:
        f.write(header + "".join(tee.text))


if __name__ == "__main__":
    main()
