#!/usr/bin/env python3
"""The HTML report the way an administrator sees it: a real headless
Chromium (Debian's) loads the daemon's page at / after known traffic,
with no console error; the rendered DOM carries the exact counts of that
traffic in its chart bars and table cells; a screenshot is saved under
the build folder; HTML Tidy finds the page valid. Then the pages of
esmtp-milter-stats --html from a state with no traffic (every section
says so in words, no empty chart) and from one naming thousands of
clients (the tables stay bounded).

usage: page_test.py DAEMON REPORT WORKDIR SCREENSHOT

Every process started here is stopped by its own pid at the end.
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests/milter"))
sys.path.insert(0, os.path.join(TOP, "tests/prometheus"))
from rawmilter import session  # noqa: E402
from fleet import free_port, stop_all, wait_for  # noqa: E402

DAEMON, REPORT, WORK, SHOT = (os.path.abspath(a) for a in sys.argv[1:5])
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
started, passed, failed = [], [], []


def check(name, fn):
    try:
        fn()
        passed.append(name)
        print("PASS: page: " + name)
    except AssertionError as e:
        failed.append(name)
        print("FAIL: page: %s\n    %s" % (name, e))


class Dom(html.parser.HTMLParser):
    """The elements of a page with their attributes, and the text of
    each section by id."""

    def __init__(self, text):
        super().__init__()
        self.elements = []
        self.section = None
        self.sections = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a, self.section))
        if tag == "section":
            self.section = a.get("id")
            self.sections[self.section] = ""

    def handle_data(self, data):
        if self.section is not None:
            self.sections[self.section] += data

    def bars(self, section):
        return {a["data-label"]: int(a["data-count"]) for t, a, s in self.elements
                if t == "rect" and s == section}

    def columns(self, section):
        """The column charts' bars, (count, bucket start) each, in order."""
        return [(int(a["data-count"]), a["data-at"]) for t, a, s in self.elements
                if t == "rect" and s == section and a.get("class") == "col"]

    def counts(self, section):
        return [int(a["data-count"]) for t, a, s in self.elements
                if t == "td" and s == section and "data-count" in a]


def chromium(*args):
    profile = os.path.join(WORK, "chromium-profile")
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                           "--no-first-run", "--disable-extensions"] + list(args),
                          capture_output=True, text=True, timeout=120)


def console_errors(stderr):
    return [l for l in stderr.splitlines()
            if "CONSOLE" in l or "Uncaught" in l or "Failed to load resource" in l]


def tidy_ok(page):
    path = os.path.join(WORK, "page.html")
    with open(path, "w") as f:
        f.write(page)
    r = subprocess.run(["tidy", "-q", "-e", path], capture_output=True, text=True)
    assert r.returncode == 0, "tidy (%d):\n%s" % (r.returncode, r.stderr)


def daemon_page():
    port = free_port()
    conf = os.path.join(WORK, "daemon.conf")
    with open(conf, "w") as f:
        f.write("[milter]\ntrusted_networks =\n[actions]\nparam_without_ehlo = log\n"
                "[stats]\nlisten = 127.0.0.1:%d\n" % port)
    sock = os.path.join(WORK, "daemon.sock")
    p = subprocess.Popen([DAEMON, "-f", "-c", conf, "-p", "unix:" + sock],
                         stderr=open(os.path.join(WORK, "daemon.log"), "wb"))
    started.append(p)
    wait_for(lambda: os.path.exists(sock), "the daemon's socket")
    # known traffic: three EHLO sessions, two with SIZE; one HELO session
    # whose SIZE reject would have refused (param_without_ehlo is at log)
    for i in range(3):
        session(sock, ip=b"192.0.2.%d" % (i + 1), qid=b"P%d" % i,
                mail=(b"<a@example.net>", b"SIZE=20") if i < 2 else (b"<a@example.net>",))
    session(sock, ip=b"198.51.100.7", r=b"SMTP", qid=b"P9",
            mail=(b"<a@example.net>", b"SIZE=20"))
    url = "http://127.0.0.1:%d/" % port

    def served():
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/html"), r.headers["Content-Type"]
            page = r.read().decode()
        assert '<a href="/metrics">' in page and '<a href="/stats.json">' in page
        assert "<script" not in page and "http://" not in page.replace(
            'xmlns="http://www.w3.org/2000/svg"', ""), "the page loads something"
        tidy_ok(page)
    check("the daemon serves the page at /, self-contained, valid for HTML Tidy", served)

    def rendered():
        r = chromium("--dump-dom", url)
        assert r.returncode == 0, r.stderr[-2000:]
        assert not console_errors(r.stderr), console_errors(r.stderr)
        dom = Dom(r.stdout)
        totals = [a.get("data-count") for t, a, s in dom.elements if t == "dd"]
        assert totals[:3] == ["4", "4", "4"], totals    # sessions, transactions, messages
        greet = dom.bars("greetings")
        assert greet.get("EHLO") == 3 and greet.get("HELO") == 1, greet
        params = dom.bars("parameters")
        assert params.get("MAIL SIZE") == 3, params
        ready = [a for t, a, s in dom.elements if t == "tr" and a.get("data-rule")]
        assert [a["data-rule"] for a in ready] == ["param_without_ehlo"], ready
        assert dom.counts("readiness")[:2] == [1, 1], dom.counts("readiness")
        assert "198.51.100.7: 1" in dom.sections["readiness"], dom.sections["readiness"]
        # the last 24 hours and 7 days beside since start: all of it now
        recent = dom.counts("recent")
        assert recent[0:3] == [4, 4, 4] and recent[3:6] == [4, 4, 4], recent  # sessions, transactions
        assert recent[12:15] == [1, 1, 1] and recent[18:21] == [1, 1, 1], recent  # violations, HELO
        cols = dom.columns("recent")
        assert len(cols) == 3 * 48 + 3 * 90, len(cols)
        assert cols[47][0] == 4 and sum(c for c, _ in cols[:48]) == 4, cols[:48]
        assert sum(c for c, _ in cols[48:96]) == 1, cols[48:96]
        assert cols[3 * 48 + 89][0] == 4, cols[3 * 48 + 89]
        shot = chromium("--screenshot=" + SHOT, "--window-size=1280,3000", "--hide-scrollbars",
                        url)
        assert shot.returncode == 0 and os.path.getsize(SHOT) > 10000, shot.stderr[-1000:]
    check("Chromium renders it with no console error; bars and cells carry the traffic's "
          "exact counts; screenshot saved", rendered)


def report_pages():
    empty = os.path.join(WORK, "empty.json")
    with open(empty, "w") as f:
        json.dump({"version": 1, "start_time": 1, "time": 61}, f)

    def no_traffic():
        page = subprocess.run([REPORT, "--html", "--state", empty], capture_output=True,
                              text=True, check=True).stdout
        tidy_ok(page)
        dom = Dom(page)
        for sid, text in dom.sections.items():
            bars = dom.bars(sid)
            assert not bars or any(bars.values()), "%s: a chart of zeros" % sid
            assert bars or "Nothing counted" in text or "No client" in text \
                or "would have refused nothing" in text or dom.counts(sid), \
                "%s says nothing: %r" % (sid, text[:200])
        assert "<nav>" not in page
    check("with no traffic every section says so in words, no empty chart", no_traffic)

    def many_clients():
        with open(os.path.join(HERE, "state.json")) as f:
            state = json.load(f)
        state["top_clients"]["by_transactions"] = [
            {"address": "10.%d.%d.%d" % (i >> 16, i >> 8 & 255, i & 255), "helo": "h",
             "count": 5000 - i, "error": 0} for i in range(3000)]
        many = os.path.join(WORK, "many.json")
        with open(many, "w") as f:
            json.dump(state, f)
        page = subprocess.run([REPORT, "--html", "--state", many, "--state", many],
                              capture_output=True, text=True, check=True).stdout
        tidy_ok(page)
        dom = Dom(page)
        rows = [1 for t, a, s in dom.elements if t == "tr" and s == "top-transactions"]
        assert 1 < len(rows) <= 51, len(rows)
        assert len(page) < 400000, len(page)
        assert "instances" in dom.sections, "no instances table for two sources"
    check("a state naming thousands of clients, from two sources: bounded tables", many_clients)

    def history():
        """A state file with a known history: the recent table and the
        charts carry its counts where they belong; --since over it."""
        now = int(time.time())
        hour, day = now - now % 3600, now - now % 86400
        past = now - 3 * 86400
        h2 = now - 2 * 3600
        state = {"version": 1, "start_time": now - 30 * 86400, "time": now, "transactions": 16,
                 "violations": {"size_overrun": {"reject": 1}},
                 "history": {"version": 1, "since": now - 30 * 86400,
                             "columns": ["transactions", "violations/size_overrun/reject"],
                             "hours": [[h2 - h2 % 3600, 5, 1]],
                             "days": sorted([[h2 - h2 % 86400, 5, 1],
                                             [past - past % 86400, 11, 0]])}}
        path = os.path.join(WORK, "history.json")
        with open(path, "w") as f:
            json.dump(state, f)
        page = subprocess.run([REPORT, "--html", "--state", path], capture_output=True,
                              text=True, check=True).stdout
        tidy_ok(page)
        dom = Dom(page)
        recent = dom.counts("recent")
        assert recent[3:6] == [5, 16, 16], recent       # transactions: 24 h, 7 d, since start
        assert recent[15:18] == [1, 1, 1], recent       # SIZE lies
        cols = dom.columns("recent")
        at = {a: c for c, a in cols[:48]}
        stamp = time.strftime("%Y-%m-%dT%H:00Z", time.gmtime(h2))
        assert at.get(stamp) == 5 and sum(at.values()) == 5, (stamp, at)
        days = {a: c for c, a in cols[3 * 48:3 * 48 + 90]}
        assert days.get(time.strftime("%Y-%m-%d", time.gmtime(past))) == 11, days
        assert sum(days.values()) == 16, days
        lies = {a: c for c, a in cols[2 * 48:3 * 48]}
        assert lies.get(stamp) == 1 and sum(lies.values()) == 1, lies
        assert cols[47][1] == time.strftime("%Y-%m-%dT%H:00Z", time.gmtime(hour)), cols[47]
        assert cols[-1][1] == time.strftime("%Y-%m-%d", time.gmtime(day)), cols[-1]
        week = subprocess.run([REPORT, "--html", "--since", "7d", "--state", path],
                              capture_output=True, text=True, check=True).stdout
        tidy_ok(week)
        dom = Dom(week)
        assert "over the last 7 days" in week and "top-transactions" not in dom.sections, \
            list(dom.sections)
        totals = [a.get("data-count") for t, a, s in dom.elements if t == "dd"]
        assert totals[1] == "16", totals
        # and as a person sees it: Chromium renders the page of the history
        html_path = os.path.join(WORK, "history.html")
        with open(html_path, "w") as f:
            f.write(page)
        r = chromium("--dump-dom", "file://" + html_path)
        assert r.returncode == 0 and not console_errors(r.stderr), r.stderr[-1000:]
        assert Dom(r.stdout).columns("recent") == cols
    check("a known history: the recent figures and the charts per hour and per day carry "
          "its counts at their hours and days; --since 7d over it", history)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    os.makedirs(os.path.dirname(SHOT), exist_ok=True)
    try:
        daemon_page()
        report_pages()
    finally:
        stop_all(started)
    print("page: %d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
