#!/usr/bin/env python3
"""A real Prometheus (Debian's, unpacked by prometheus-setup.sh) scrapes
two daemons on loopback with contrib/prometheus's rules loaded, and
answers fleet queries over its HTTP API: the sum of both daemons'
transactions, both targets up, the recording rules evaluated; and every
query of the Grafana dashboard runs there.

usage: fleet.py DAEMON PROMETHEUS_DIR WORKDIR

Every process started here is stopped by its own pid at the end.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests/milter"))
import rawmilter  # noqa: E402

DAEMON, PROM, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
started = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, what, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def daemon(name):
    d = os.path.join(WORK, name)
    os.makedirs(d)
    port = free_port()
    sock = os.path.join(d, "sock")
    with open(os.path.join(d, "conf"), "w") as f:
        f.write("[milter]\ntrusted_networks =\n[stats]\nlisten = 127.0.0.1:%d\n" % port)
    p = subprocess.Popen([DAEMON, "-f", "-c", os.path.join(d, "conf"), "-p", "unix:" + sock],
                         stderr=open(os.path.join(d, "log"), "wb"))
    started.append(p)
    wait_for(lambda: os.path.exists(sock), name + "'s socket")
    return sock, port


def stop_all(procs):
    """Each process started, by its own pid: SIGTERM, then SIGKILL after
    20 s."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def query(port, q):
    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(q))
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.loads(r.read())
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    failed = []
    try:
        (s1, p1), (s2, p2) = daemon("mx1"), daemon("mx2")
        for sock, n in ((s1, 3), (s2, 5)):
            for i in range(n):
                rawmilter.session(sock, qid=b"Q%d" % i)
        port = free_port()
        conf = os.path.join(WORK, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files:\n  - %s\n"
                    "scrape_configs:\n  - job_name: esmtp-milter\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d', '127.0.0.1:%d']\n"
                    % (os.path.join(TOP, "contrib/prometheus/esmtp-milter.rules.yml"), p1, p2))
        prom = subprocess.Popen(
            [os.path.join(PROM, "root/usr/bin/prometheus"), "--config.file=" + conf,
             "--storage.tsdb.path=" + os.path.join(WORK, "data"),
             "--web.listen-address=127.0.0.1:%d" % port],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(WORK, "prometheus.log"), "wb"))
        started.append(prom)
        checks = [
            ("both targets up", 'count(up{job="esmtp-milter"} == 1)', 2),
            ("the fleet's transactions", "sum(esmtp_milter_transactions_total)", 8),
            ("the fleet's EHLO sessions", 'sum(esmtp_milter_greetings_total{greeting="ehlo"})', 8),
            ("a recording rule", "count(instance:esmtp_milter_transactions:rate5m)", 2),
        ]
        for what, q, want in checks:
            try:
                wait_for(lambda: (r := query(port, q)) and float(r[0]["value"][1]) == want,
                         "%s: %s = %s" % (what, q, want))
                print("PASS: prometheus: %s (%s = %s)" % (what, q, want))
            except AssertionError as e:
                failed.append(what)
                print("FAIL: prometheus: %s\n    %s" % (what, e))
        # every query of the Grafana dashboard parses and runs
        dash = json.load(open(os.path.join(TOP, "contrib/grafana/esmtp-milter.json")))
        before = len(failed)
        for panel in dash["panels"]:
            for t in panel.get("targets", []):
                q = t["expr"].replace("$instance", ".*").replace("$__range", "5m")
                try:
                    query(port, q)
                except Exception as e:      # noqa: BLE001 - report every one
                    failed.append(panel["title"])
                    print("FAIL: prometheus: the dashboard's %r: %s" % (q, e))
        if len(failed) == before:
            print("PASS: prometheus: the dashboard's queries run")
    finally:
        stop_all(started)
    print("prometheus: %d failed" % len(failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
