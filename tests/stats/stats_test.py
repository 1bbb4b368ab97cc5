#!/usr/bin/python3
"""Statistics end to end: known traffic over the milter protocol, then the
exact counters on /metrics (read with prometheus_client's parser) and on
/stats.json; the summary line; the state file across a restart, a kill -9
and a corrupt file; the esmtp-milter-stats report; the Grafana dashboard.

usage: stats_test.py DAEMON REPORT_TOOL WORKDIR
Every daemon started here is stopped by its pid.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests/milter"))
sys.path.insert(0, os.path.join(TOP, "tests/e2e"))
import rawmilter  # noqa: E402
from e2e import free_port, wait_for  # noqa: E402

DAEMON, REPORT, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
started = []


class Daemon:
    def __init__(self, name, extra_stats="", listen=None, env=None):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "sock")
        self.port = free_port()
        self.state = os.path.join(self.dir, "state.json")
        self.logfile = os.path.join(self.dir, "log")
        self.conf = os.path.join(self.dir, "conf")
        self.listen = listen or "127.0.0.1:%d" % self.port
        self.env = dict(os.environ, **(env or {}))
        with open(self.conf, "w") as f:
            f.write("[milter]\ntrusted_networks =\n[stats]\nlisten = %s\n"
                    "state_file = %s\n%s" % (self.listen, self.state, extra_stats))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [DAEMON, "-f", "-c", self.conf, "-p", "unix:" + self.sock],
            stderr=open(self.logfile, "ab"), env=self.env)
        started.append(self.proc.pid)
        wait_for(self.ready, "the daemon")

    def ready(self):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(self.sock)
            s.close()
            return self.log().count("statistics on http://") >= self.starts()
        except OSError:
            return False

    def starts(self):
        return self.log().count("starting on")

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        status = self.proc.wait(30)
        self.proc = None
        return status

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def get(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()

    def json(self):
        return json.loads(self.get("/stats.json")[2])

    def metrics(self):
        """{(name, frozenset(labels)): value} from a real parser."""
        out = {}
        for fam in text_string_to_metric_families(self.get("/metrics")[2]):
            for s in fam.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out


def m(metrics, name, **labels):
    key = (name, frozenset(labels.items()))
    assert key in metrics, "no sample %s %s" % (name, labels)
    return metrics[key]


def traffic(sock):
    """Six sessions with known effects."""
    r = rawmilter
    # 1. EHLO, SIZE and BODY=8BITMIME, NOTIFY on RCPT: accepted (22 octets)
    out = r.session(sock, ip=b"192.0.2.1", helo=b"one.example",
                    mail=(b"<a@example.net>", b"SIZE=100", b"BODY=8BITMIME"),
                    rcpts=((b"<b@example.org>", b"NOTIFY=NEVER"),))
    assert out["eom"][0] == b"c", out
    # 2. SIZE=abc: refused at MAIL
    out = r.session(sock, ip=b"192.0.2.2", helo=b"two.example",
                    mail=(b"<a@example.net>", b"SIZE=abc"))
    assert out["mail"][0] == b"y", out
    # 3. a private keyword: ignored, counted
    out = r.session(sock, ip=b"192.0.2.1", helo=b"one.example",
                    mail=(b"<a@example.net>", b"XVERP"))
    assert out["eom"][0] == b"c", out
    # 4. HELO ({r}=SMTP) with SIZE: param_without_ehlo is logged
    out = r.session(sock, ip=b"192.0.2.1", helo=b"one.example", r=b"SMTP",
                    mail=(b"<a@example.net>", b"SIZE=50"))
    assert out["eom"][0] == b"c", out
    # 5. no {r} (as under Postfix), 8-bit body without BODY=8BITMIME
    out = r.session(sock, ip=b"192.0.2.3", helo=b"three.example", r=None,
                    body="caf\u00e9\r\n".encode())
    assert out["eom"][0] == b"c", out
    # 6. an unknown X-command, no transaction
    c = rawmilter.Conn(sock)
    c.negotiate()
    c.ask(b"C", b"client\x004\x00\x19192.0.2.4\0")
    c.ask(b"H", b"four.example\0")
    c.ask(b"U", b"XFOO bar\0")
    c.send(b"Q")
    c.close()


results = {"passed": 0, "failed": 0}


def case(fn):
    try:
        fn()
        results["passed"] += 1
        print("PASS: " + fn.__name__[5:], flush=True)
    except Exception as e:  # noqa: BLE001 - report every case
        results["failed"] += 1
        print("FAIL: %s\n    %s" % (fn.__name__[5:], str(e).replace("\n", "\n    ")),
              flush=True)


D = None


def test_exact_counters():
    global D
    D = Daemon("main", "summary_interval = 1\n",
               env={"ESMTP_MILTER_STATE_INTERVAL": "1"})
    D.start()
    traffic(D.sock)
    wait_for(lambda: m(D.metrics(), "esmtp_milter_connections_total") == 6
             and m(D.metrics(), "esmtp_milter_active_connections") == 0, "six closed sessions")
    x = D.metrics()
    expect = [
        ("esmtp_milter_connections_total", {}, 6),
        ("esmtp_milter_greetings_total", {"greeting": "ehlo"}, 3),
        ("esmtp_milter_greetings_total", {"greeting": "helo"}, 1),
        ("esmtp_milter_greetings_total", {"greeting": "unknown"}, 2),
        ("esmtp_milter_transactions_total", {}, 5),
        ("esmtp_milter_messages_total", {}, 4),
        ("esmtp_milter_message_octets_total", {}, 22 * 4),
        ("esmtp_milter_parameters_total", {"command": "mail", "keyword": "SIZE"}, 3),
        ("esmtp_milter_parameters_total", {"command": "mail", "keyword": "BODY"}, 1),
        ("esmtp_milter_parameters_total", {"command": "mail", "keyword": "private"}, 1),
        ("esmtp_milter_parameters_total", {"command": "mail", "keyword": "unregistered"}, 0),
        ("esmtp_milter_parameters_total", {"command": "rcpt", "keyword": "NOTIFY"}, 1),
        ("esmtp_milter_body_types_total", {"body": "8BITMIME"}, 1),
        ("esmtp_milter_body_types_total", {"body": "none"}, 4),
        ("esmtp_milter_size_declared_total", {"declared": "yes"}, 2),
        ("esmtp_milter_size_declared_total", {"declared": "no"}, 3),
        ("esmtp_milter_size_ratio_count", {}, 2),
        ("esmtp_milter_size_ratio_bucket", {"le": "0.5"}, 2),
        ("esmtp_milter_size_ratio_bucket", {"le": "+Inf"}, 2),
        ("esmtp_milter_message_size_octets_count", {}, 4),
        ("esmtp_milter_message_size_octets_bucket", {"le": "1024"}, 4),
        ("esmtp_milter_message_size_octets_sum", {}, 22 * 4),
        ("esmtp_milter_violations_total", {"rule": "size_syntax", "action": "reject"}, 1),
        ("esmtp_milter_violations_total", {"rule": "param_private", "action": "ignore"}, 1),
        ("esmtp_milter_violations_total", {"rule": "param_without_ehlo", "action": "log"}, 1),
        ("esmtp_milter_violations_total", {"rule": "body_8bit_undeclared", "action": "log"}, 1),
        ("esmtp_milter_violations_total", {"rule": "size_limit", "action": "reject"}, 0),
        ("esmtp_milter_verdicts_total", {"verdict": "accept"}, 4),
        ("esmtp_milter_verdicts_total", {"verdict": "reject"}, 1),
        ("esmtp_milter_unknown_commands_total", {"class": "private"}, 1),
        ("esmtp_milter_processing_seconds_count", {"stage": "mail"}, 5),
        ("esmtp_milter_processing_seconds_count", {"stage": "eom"}, 4),
    ]
    bad = ["%s%s = %s, expected %s" % (n, l, m(x, n, **l), v)
           for n, l, v in expect if m(x, n, **l) != v]
    assert not bad, "\n".join(bad)
    # the ratio: 22/100 and 22/50
    assert abs(m(x, "esmtp_milter_size_ratio_sum") - 0.66) < 0.001, m(x, "esmtp_milter_size_ratio_sum")
    assert m(x, "esmtp_milter_start_time_seconds") <= time.time()


def test_json_matches():
    j = D.json()
    assert j["transactions"] == 5 and j["connections"] == 6, j
    assert j["greetings"] == {"unknown": 2, "helo": 1, "ehlo": 3}, j["greetings"]
    assert j["parameters"]["mail"]["SIZE"] == 3
    assert j["violations"]["size_syntax"]["reject"] == 1
    assert j["verdicts"]["accept"] == 4
    top = j["top_clients"]["by_transactions"]
    # each client with its ESMTP profile, from the traffic above: 192.0.2.1
    # said EHLO in one session and HELO in another, and keeps both
    assert top[0] == {"address": "192.0.2.1", "helo": "one.example", "count": 3, "error": 0,
                      "greetings": ["helo", "ehlo"], "tls": "plaintext", "keywords": ["SIZE", "BODY", "NOTIFY"],
                      "size_declared": 2, "size_overruns": 0, "size_overrun_max": 0,
                      "violations": {"param_private": 1, "param_without_ehlo": 1},
                      # param_without_ehlo is at log: reject would have refused it
                      "would_refuse": {"param_without_ehlo": 1}}, top
    assert top[1]["violations"] == {"size_syntax": 1} and top[1]["greetings"] == ["ehlo"], top
    assert [t["address"] for t in top] == ["192.0.2.1", "192.0.2.2", "192.0.2.3"], top
    viol = j["top_clients"]["by_violations"]
    assert viol[0]["address"] == "192.0.2.1" and viol[0]["count"] == 2, viol


def test_http():
    status, ctype, body = D.get("/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), ctype
    assert "# HELP esmtp_milter_transactions_total" in body
    assert "# TYPE esmtp_milter_size_ratio histogram" in body
    assert all(l.startswith(("#", "esmtp_milter_")) for l in body.splitlines() if l)
    for path, code in (("/nope", 404),):
        try:
            D.get(path)
            raise AssertionError(path + " answered")
        except urllib.error.HTTPError as e:
            assert e.code == code, e.code
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % D.port, data=b"x", method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("POST answered")
    except urllib.error.HTTPError as e:
        assert e.code == 405, e.code


def test_http_slow_clients():
    """64 clients that send a header line a second hold no slot for good:
    a scrape is answered at once, and each of them is cut after 5 s."""
    import threading
    slow = []
    for _ in range(64):
        c = socket.create_connection(("127.0.0.1", D.port), 5)
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        slow.append(c)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for c in slow:
                try:
                    c.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            time.sleep(1)
    t = threading.Thread(target=trickle)
    t.start()
    try:
        time.sleep(1.5)
        start = time.time()
        status = D.get("/metrics")[0]
        took = time.time() - start
        assert status == 200 and took < 3, (status, took)
        cut = 0
        deadline = time.time() + 10
        for c in slow:
            c.settimeout(max(0.1, deadline - time.time()))
            try:
                cut += c.recv(1) == b""
            except (ConnectionResetError, socket.timeout):
                cut += 0
        assert cut == 64, "%d of 64 slow clients cut" % cut
        print("figure: scrape answered in %.2f s beside 64 slow clients, all cut" % took)
    finally:
        stop.set()
        t.join()
        for c in slow:
            c.close()


def test_http_many_descriptors():
    """Metrics with more than 1,024 descriptors open in the daemon."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    held = []
    try:
        for _ in range(1100):
            c = socket.socket(socket.AF_UNIX)
            c.connect(D.sock)
            held.append(c)
        time.sleep(0.5)
        status, _, body = D.get("/metrics")
        assert status == 200 and "esmtp_milter_transactions_total" in body
    finally:
        for c in held:
            c.close()


def test_summary_line():
    wait_for(lambda: re.search(r"summary interval=\d+s connections=\d+ transactions=\d+ .*total_transactions=5 ", D.log()),
             "a summary line")


def test_state_survives_restart():
    wait_for(lambda: os.path.exists(D.state), "the state file")
    assert D.stop() == 0
    saved = json.load(open(D.state))
    assert saved["transactions"] == 5, saved["transactions"]
    D.start()
    j = D.json()
    assert j["transactions"] == 5 and j["connections"] == 6, j
    assert j["top_clients"]["by_transactions"][0]["count"] == 3
    assert "statistics restored from" in D.log()


def test_kill_9_loses_at_most_one_interval():
    # the file is always whole: read it over and over while traffic runs
    reads = [0]
    for _ in range(3):
        rawmilter.session(D.sock, ip=b"192.0.2.5")
    end = time.time() + 2.5         # more than one interval: saved
    while time.time() < end:
        with open(D.state) as f:
            json.load(f)
        reads[0] += 1
    saved = json.load(open(D.state))["transactions"]
    assert saved == 8, saved
    for _ in range(2):
        rawmilter.session(D.sock, ip=b"192.0.2.5")
    D.stop(signal.SIGKILL)
    json.load(open(D.state))        # never half-written
    D.start()
    got = D.json()["transactions"]
    assert 8 <= got <= 10, got
    assert reads[0] > 10


def test_corrupt_state_kept_aside():
    assert D.stop() == 0
    with open(D.state, "w") as f:
        f.write('{"version": 1, "transactions": "many"')
    D.start()
    assert D.json()["transactions"] == 0
    aside = glob.glob(D.state + ".corrupt-*")
    assert len(aside) == 1, aside
    assert "unreadable" in D.log() and "counting from zero" in D.log()
    out = rawmilter.session(D.sock)
    assert out["eom"][0] == b"c"


LONG_HELO = b"a" * 126 + "\u20ac".encode()     # 129 octets, valid UTF-8
ODD_HELOS = [LONG_HELO, b"\xff\xfe.example", b"b" * 200 + b"\xe2\x82",
             b"evil\x1b[31m.example", "\u00e9" * 100, "\U0001f600" * 40,
             b"\xed\xa0\x80surrogate", b"\xc0\xafoverlong"]


def strict_json(raw):
    """JSON as a strict reader takes it: UTF-8 or nothing."""
    return json.loads(raw.decode("utf-8"))


def counters_of(doc):
    """Everything a state carries but the clock (start_time is this start's)."""
    return {k: v for k, v in doc.items() if k not in ("time", "start_time", "active_connections")}


def test_client_text_round_trip():
    """One client's long non-ASCII greeting (and others' octets that are
    not UTF-8 at all): /stats.json, /, /metrics and the state file stay
    valid UTF-8, and a restart keeps every counter."""
    d = Daemon("utf8")
    d.start()
    try:
        for i in range(38):
            helo = ODD_HELOS[i % len(ODD_HELOS)]
            helo = helo if isinstance(helo, bytes) else helo.encode()
            ip = b"192.0.2.50" if helo == LONG_HELO else b"192.0.2.%d" % (60 + i % 7)
            out = rawmilter.session(d.sock, ip=ip, helo=helo)
            assert out["eom"][0] == b"c", out
        raw = urllib.request.urlopen("http://127.0.0.1:%d/stats.json" % d.port, timeout=10).read()
        before = strict_json(raw)
        assert before["transactions"] == 38, before["transactions"]
        helos = {e["address"]: e["helo"] for e in before["top_clients"]["by_transactions"]}
        # cut on a character boundary: the euro sign whole or not at all
        assert LONG_HELO.decode().startswith(helos["192.0.2.50"]), helos
        assert len(helos["192.0.2.50"].encode()) <= 127, helos
        page = urllib.request.urlopen("http://127.0.0.1:%d/" % d.port, timeout=10).read()
        page.decode("utf-8")
        metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.port, timeout=10).read()
        list(text_string_to_metric_families(metrics.decode("utf-8")))
        rep = subprocess.run([REPORT, "--url", "http://127.0.0.1:%d" % d.port],
                             capture_output=True)
        assert rep.returncode == 0, rep.stderr
        assert b"\x1b" not in rep.stdout, rep.stdout
        rep.stdout.decode("utf-8")
        assert d.stop() == 0
        saved = strict_json(open(d.state, "rb").read())
        assert saved["transactions"] == 38
        d.start()
        after = strict_json(urllib.request.urlopen(
            "http://127.0.0.1:%d/stats.json" % d.port, timeout=10).read())
        a, b = counters_of(after), counters_of(saved)
        assert a == b, "restart changed %s" % sorted(
            k for k in set(a) | set(b) if a.get(k) != b.get(k))
        assert "statistics restored from" in d.log()
        assert "unreadable" not in d.log()
    finally:
        if d.proc is not None:
            d.stop()


def test_old_broken_state_file_read():
    """A state file an older daemon wrote with half a character in it is
    read with '?' for the bad octet: every counter kept, the file as it
    was copied aside, the log says what it cost."""
    d = Daemon("utf8old")
    d.start()
    for _ in range(3):
        rawmilter.session(d.sock, ip=b"192.0.2.51", helo=b"plain.example")
    assert d.stop() == 0
    text = open(d.state, "rb").read()
    assert b'"plain.example"' in text
    with open(d.state, "wb") as f:
        f.write(text.replace(b'"plain.example"', b'"plain.exampl\xe2"'))
    mark = len(d.log())
    d.start()
    try:
        j = d.json()
        assert j["transactions"] == 3, j["transactions"]
        assert j["top_clients"]["by_transactions"][0]["helo"] == "plain.exampl?"
        log = d.log()[mark:]
        assert "partly unreadable: 1 octets not UTF-8" in log and "lost=none" in log, log
        aside = glob.glob(d.state + ".corrupt-*")
        assert len(aside) == 1 and b"\xe2" in open(aside[0], "rb").read(), aside
    finally:
        d.stop()


def test_partly_bad_state_file():
    """A member that does not read costs that member only, and says so."""
    d = Daemon("partly")
    with open(d.state, "w") as f:
        json.dump({"version": 1, "transactions": 38, "connections": 40,
                   "mtas": {"not": "a list"},
                   "top_clients": {"by_transactions": [
                       {"address": "192.0.2.7", "helo": "ok", "count": 5},
                       {"address": "192.0.2.8", "count": "five"}]}}, f)
    d.start()
    try:
        j = d.json()
        assert (j["transactions"], j["connections"]) == (38, 40), (j["transactions"], j["connections"])
        assert [e["address"] for e in j["top_clients"]["by_transactions"]] == ["192.0.2.7"]
        log = d.log()
        assert "lost=top_clients,mtas" in log, log
        assert "every other counter restored" in log, log
        assert len(glob.glob(d.state + ".corrupt-*")) == 1
    finally:
        d.stop()


def test_state_file_not_followed():
    """A symbolic link, another user's file, or a file that is not JSON:
    named in one line, never quoted, the link left alone."""
    secret = os.path.join(D.dir, "secret")
    with open(secret, "w") as f:
        f.write("rootword and more\n")
    for setup, why in [
            (lambda: os.symlink(secret, D.state), "it is a symbolic link, which is not followed"),
            (lambda: (shutil.copy(secret, D.state), os.chown(D.state, 65534, 65534)),
             "it belongs to another user"),
            (lambda: shutil.copy(secret, D.state), "not JSON (line ")]:
        assert D.stop() == 0
        for p in glob.glob(D.state + "*"):
            os.unlink(p)
        setup()
        mark = len(D.log())
        D.start()
        log = D.log()[mark:]
        assert why in log, log
        assert "rootword" not in log, log
        assert D.json()["transactions"] == 0
        if why.startswith("it is a symbolic"):
            assert os.path.islink(D.state), "the link was touched"
    for p in glob.glob(D.state + "*"):
        os.unlink(p)


def test_report_golden():
    expected = open(os.path.join(HERE, "report.expected")).read()
    got = subprocess.run([REPORT, "--state", os.path.join(HERE, "state.json")],
                         capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    if got.stdout != expected:
        import difflib
        raise AssertionError("".join(difflib.unified_diff(
            expected.splitlines(True), got.stdout.splitlines(True), "expected", "got")))


def test_report_json():
    got = subprocess.run([REPORT, "--state", os.path.join(HERE, "state.json"), "--json"],
                         capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    j = json.loads(got.stdout)
    greet = {g["name"]: g for g in j["greetings"]}
    assert greet["EHLO"]["count"] == 12345 and abs(greet["EHLO"]["percent"] - 82.3) < 0.1, greet
    assert j["top_clients_by_transactions"][0]["address"] == "198.51.100.7"


def test_report_url_and_errors():
    got = subprocess.run([REPORT, "--url", "http://127.0.0.1:%d" % D.port],
                         capture_output=True, text=True)
    assert got.returncode == 0 and "transactions" in got.stdout, got
    got = subprocess.run([REPORT, "--url", "http://127.0.0.1:%d" % free_port()],
                         capture_output=True, text=True)
    assert got.returncode == 69 and got.stderr, got
    got = subprocess.run([REPORT, "--state", "/nonexistent/state.json"],
                         capture_output=True, text=True)
    assert got.returncode == 66, got
    bad = os.path.join(WORK, "bad.json")
    with open(bad, "w") as f:
        f.write("[1, 2]")
    got = subprocess.run([REPORT, "--state", bad], capture_output=True, text=True)
    assert got.returncode == 65 and "not esmtp-milter statistics" in got.stderr, got
    got = subprocess.run([REPORT, "--url", "x", "--state", bad, "extra"],
                         capture_output=True, text=True)
    assert got.returncode == 64, got


def test_report_many_sources():
    """Several daemons and state files in one report: counters summed, a
    line per instance; a source that cannot be read is named, the rest
    still reported."""
    golden = os.path.join(HERE, "state.json")
    live = "http://127.0.0.1:%d" % D.port
    one = json.loads(subprocess.run([REPORT, "--state", golden, "--json"],
                                    capture_output=True, text=True, check=True).stdout)
    now = json.loads(subprocess.run([REPORT, "--url", live, "--json"],
                                    capture_output=True, text=True, check=True).stdout)
    got = subprocess.run([REPORT, "--state", golden, "--url", live, "--state", golden, "--json"],
                         capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    doc = json.loads(got.stdout)
    assert [i["source"] for i in doc["instances"]] == [live, golden, golden], doc["instances"]
    assert doc["merged"]["transactions"] == 2 * one["transactions"] + now["transactions"]
    greet = {r["name"]: r["count"] for r in doc["merged"]["greetings"]}
    assert greet["EHLO"] == 2 * {r["name"]: r["count"] for r in one["greetings"]}["EHLO"] \
        + {r["name"]: r["count"] for r in now["greetings"]}["EHLO"]
    text = subprocess.run([REPORT, "--state", golden, "--state", golden],
                          capture_output=True, text=True, check=True).stdout
    assert "2 instances merged" in text and "\nInstances\n" in text, text[:600]
    assert text.count(golden) == 2
    # a source longer than the column is named whole, its figures below
    far = os.path.join(WORK, "a-rather-long-directory-name-for-a-checkout",
                       "esmtp-milter", "var", "lib", "state.json")
    os.makedirs(os.path.dirname(far), exist_ok=True)
    shutil.copy(golden, far)
    text = subprocess.run([REPORT, "--state", far, "--state", far],
                          capture_output=True, text=True, check=True).stdout
    rows = text.split("\nInstances\n", 1)[1].splitlines()
    assert rows[1] == rows[3] == "  " + far, rows[:5]
    assert rows[2] == rows[4] and rows[2].startswith(" " * 43), rows[:5]
    assert rows[2].split() == ["15.0k", "18.0k", "170", "626"], rows[:5]
    bad = os.path.join(WORK, "bad-many.json")
    with open(bad, "w") as f:
        f.write('{"version": 1, "transactions": "many"}')
    down = "http://127.0.0.1:%d" % free_port()
    got = subprocess.run([REPORT, "--state", golden, "--state", bad, "--url", down],
                         capture_output=True, text=True)
    assert got.returncode in (65, 69), got
    # each source that cannot be read named on a line of its own (the
    # reason's words are libcurl's, which change between releases)
    lines = got.stderr.splitlines()
    assert any(bad in l for l in lines) and any(down in l for l in lines), got.stderr
    assert "reporting the 1 sources that could be read" in got.stderr
    assert "esmtp-milter statistics" in got.stdout and "Instances" not in got.stdout


def history_file(path, events, since):
    """A state file whose history holds events, (seconds ago, transactions,
    size_overrun rejects) each, in its hour (within 48 hours) and its day,
    as the daemon writes them; its totals are the events' sum."""
    now = int(time.time())
    hours, days = {}, {}
    for ago, tx, lies in events:
        t = now - ago
        if ago < 47 * 3600:
            h = hours.setdefault(t - t % 3600, [0, 0])
            h[0] += tx
            h[1] += lies
        d = days.setdefault(t - t % 86400, [0, 0])
        d[0] += tx
        d[1] += lies

    def ring(buckets):
        return [[k, v[0], v[1]] for k, v in sorted(buckets.items())]
    doc = {"version": 1, "start_time": now - since, "time": now,
           "transactions": sum(e[1] for e in events),
           "violations": {"size_overrun": {"reject": sum(e[2] for e in events)}},
           "history": {"version": 1, "since": now - since,
                       "columns": ["transactions", "violations/size_overrun/reject"],
                       "hours": ring(hours), "days": ring(days)}}
    with open(path, "w") as f:
        json.dump(doc, f)


def windowed(*args):
    got = subprocess.run([REPORT, "--json"] + list(args), capture_output=True, text=True)
    assert got.returncode == 0, (args, got.stderr)
    return json.loads(got.stdout)


def test_history_windows():
    """Known traffic spread over simulated hours and days (a state file as
    the daemon writes it) and live traffic now: the report over 24 h, 48 h,
    7 d, 30 d and 400 d gives the exact counts, from the daemon, after a
    reload and after a restart, merged with a second source by hour and
    day; a window
    longer than a source's history says so; a file without history says
    it keeps none."""
    H, Dy = 3600, 86400
    d = Daemon("history", env={"ESMTP_MILTER_STATE_INTERVAL": "1"})
    history_file(d.state, [(2 * H, 5, 1), (30 * H, 7, 0), (3 * Dy, 11, 2),
                           (20 * Dy, 13, 0), (100 * Dy, 17, 0)], since=120 * Dy)
    d.start()
    for i in range(3):
        out = rawmilter.session(d.sock, ip=b"192.0.2.%d" % (60 + i),
                                mail=(b"<a@example.net>", b"SIZE=100"))
        assert out["eom"][0] == b"c", out
    live = "http://127.0.0.1:%d" % d.port
    want = {"24h": 8, "48h": 15, "7d": 26, "30d": 39, "400d": 56}

    def check(where, *sources):
        for span, n in want.items():
            got = windowed("--since", span, *sources)
            assert got["transactions"] == n, (where, span, got["transactions"], n)
            w = got["window"]
            width = 3600 if span.endswith("h") else 86400
            assert w["hours" if width == 3600 else "days"] == int(span[:-1]), w
            # the window starts at the hour or day n - 1 before the last
            assert w["from"] == w["to"] - w["to"] % width - (int(span[:-1]) - 1) * width, w
        v = {r["name"].split()[0]: r["count"] for r in windowed("--since", "7d", *sources)["violations"]
             if r["count"]}
        assert v == {"size_overrun": 3}, (where, v)
    check("from the daemon", "--url", live)
    doc = d.json()
    assert doc["transactions"] == 56 and "history" in doc, doc.get("transactions")
    recent = windowed("--url", live)["recent"]
    assert recent["last_24_hours"]["transactions"] == 8, recent
    assert recent["last_7_days"]["transactions"] == 26, recent
    assert recent["last_24_hours"]["size_lies"] == 1, recent
    # a reload (SIGHUP) saves and keeps the history as it is
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reloaded " in d.log(), "the reload")
    check("after a reload", "--url", live)
    assert d.stop() == 0
    check("from its state file", "--state", d.state)
    d.start()
    check("after a restart", "--url", live)
    # a second MX host's file, its history three days long
    other = os.path.join(WORK, "history-other.json")
    history_file(other, [(2 * H, 100, 0), (3 * Dy - H, 1000, 0)], since=3 * Dy)
    both = windowed("--since", "24h", "--url", live, "--state", other)
    assert both["merged"]["transactions"] == 108, both["merged"]["transactions"]
    assert windowed("--since", "7d", "--url", live, "--state", other)["merged"]["transactions"] \
        == 1126
    text = subprocess.run([REPORT, "--since", "30d", "--url", live, "--state", other],
                          capture_output=True, text=True, check=True).stdout
    assert re.search(r"history-other\.json: its history holds [12] of these 30 days "
                     r"\(it begins ", text), text[:800]
    assert "over the last 30 days" in text.splitlines()[0], text[:200]
    assert "Top clients" not in text, text
    golden = os.path.join(HERE, "state.json")
    text = subprocess.run([REPORT, "--since", "24h", "--state", golden],
                          capture_output=True, text=True, check=True).stdout
    assert "keeps no history" in text, text[:400]
    for bad in ("49h", "401d", "0d", "7", "d", "-1h", "7x"):
        got = subprocess.run([REPORT, "--since", bad, "--state", golden],
                             capture_output=True, text=True)
        assert got.returncode == 64 and "--since" in got.stderr, (bad, got)
    assert d.stop() == 0


def test_grafana_dashboard():
    dash = json.load(open(os.path.join(TOP, "contrib/grafana/esmtp-milter.json")))
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "expr" and isinstance(v, str):
                    exprs.append(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(dash)
    assert len(exprs) >= 8, exprs
    # an instance selector scopes every panel but the fleet-wide ones
    assert [v["name"] for v in dash["templating"]["list"]] == ["instance"]
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            scoped = all('{instance=~"$instance"' in m
                         for m in re.findall(r"esmtp_milter_[a-z_]+\{?[^\[\)\s]*", t["expr"]))
            assert scoped != panel["title"].startswith("Fleet"), (panel["title"], t["expr"])
    exported = {name for name, _ in D.metrics()}
    for e in exprs:
        names = re.findall(r"\besmtp_milter_[a-z_]+", e)
        assert names, "no esmtp_milter metric in " + e
        for n in names:
            assert n in exported, "%s in the dashboard is not exported" % n


def test_non_loopback_warning():
    d = Daemon("public", listen="0.0.0.0:%d" % free_port())
    d.port = int(d.listen.rsplit(":", 1)[1])
    d.start()
    try:
        assert "is not a loopback address" in d.log(), d.log()
    finally:
        assert d.stop() == 0


def test_busy_listener_port():
    """Mail keeps flowing when the statistics port is taken."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    d = Daemon("busy", listen="127.0.0.1:%d" % taken.getsockname()[1])
    d.proc = subprocess.Popen([DAEMON, "-f", "-c", d.conf, "-p", "unix:" + d.sock],
                              stderr=open(d.logfile, "ab"))
    started.append(d.proc.pid)
    try:
        wait_for(lambda: "filtering goes on without it" in d.log(), "the listener error")
        wait_for(lambda: os.path.exists(d.sock), "the milter socket")
        out = rawmilter.session(d.sock)
        assert out["eom"][0] == b"c", out
    finally:
        taken.close()
        assert d.stop() == 0
    assert json.load(open(d.state))["transactions"] == 1


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    try:
        for fn in (test_exact_counters, test_json_matches, test_http,
                   test_http_slow_clients, test_http_many_descriptors,
                   test_summary_line, test_state_survives_restart,
                   test_kill_9_loses_at_most_one_interval,
                   test_corrupt_state_kept_aside, test_state_file_not_followed,
                   test_client_text_round_trip, test_old_broken_state_file_read,
                   test_partly_bad_state_file,
                   test_report_golden,
                   test_report_json, test_report_url_and_errors,
                   test_report_many_sources, test_history_windows,
                   test_grafana_dashboard, test_non_loopback_warning,
                   test_busy_listener_port):
            case(fn)
        if D is not None and D.proc is not None:
            if D.stop() != 0:
                results["failed"] += 1
                print("FAIL: daemon exit status")
    finally:
        for pid in started:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for log in glob.glob(os.path.join(WORK, "*", "log")):
        if re.search(r"AddressSanitizer|runtime error:|LeakSanitizer", open(log, errors="replace").read()):
            results["failed"] += 1
            print("FAIL: sanitizer report in " + log)
    print("stats: %d passed, %d failed" % (results["passed"], results["failed"]))
    sys.exit(1 if results["failed"] else 0)


main()
