#!/usr/bin/env python3
"""End-to-end tests over TCP, as a filter host shared by several MX hosts
is reached: Postfix with the milter on inet (127.0.0.1) and on inet6
(::1) and the policy service on inet, Sendmail with the milter on inet6
(e2e.py runs Sendmail on inet), each through the main cases, with the
contrib/shared-filter-host samples; then two Postfix instances sharing
one daemon, with one client address and
source port talking HELO to one and EHLO to the other at the same time:
only the HELO session's parameters are refused, and each session is
counted with its own greeting.

usage: tcp.py DAEMON WORKDIR

Every process started here is stopped by its own pid when the run ends.
"""
import os
import shutil
import subprocess
import sys
import time

import e2e
from e2e import SMTP

CASES = [
    e2e.case_honest, e2e.case_size_limit_mail, e2e.case_overrun,
    e2e.case_8bit_body, e2e.case_helo_params, e2e.case_ehlo_params,
    e2e.case_tag,
]
RUNS = [("postfix", "inet"), ("postfix", "inet6"), ("sendmail", "inet6")]
SHARED = "contrib/shared-filter-host"
with open(os.path.join(e2e.TOP, SHARED, "sendmail.mc")) as f:
    SENDMAIL_LINE = [l + "\n" for l in f.read().splitlines()
                     if l.startswith("INPUT_MAIL_FILTER(")][0]


def check_nftables(passed, failed):
    """The sample firewall is valid nftables (checked, not loaded, in a
    network namespace of its own)."""
    def check():
        r = subprocess.run(["unshare", "-n", "nft", "-c", "-f",
                            os.path.join(e2e.TOP, SHARED, "nftables.conf")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    e2e.run_case("contrib/shared-filter-host/nftables.conf is valid", check, passed, failed)


def run_transport(work, kind, transport, passed, failed):
    workdir = os.path.join(work, "%s-%s" % (kind, transport))
    d = e2e.Daemon(os.path.join(workdir, "daemon"), inet=transport,
                   policy="inet" if kind == "postfix" else False)
    if kind == "postfix":
        mta = e2e.Postfix(os.path.join(workdir, "mta"), d)
    else:
        mta = e2e.Sendmail(os.path.join(workdir, "mta"), d, filter_line=SENDMAIL_LINE)
    d.start()
    mta.start()
    try:
        for case in CASES:
            e2e.run_case("%s %s: %s" % (kind, transport, case.__name__[5:]),
                         lambda: case(mta, d), passed, failed)
    finally:
        mta.stop()
        d.stop()

    def options_applied():
        # the daemon's own record: the replies went out on the descriptors
        # its accept() marked (a libmilter that duplicated them would not)
        log = d.log()
        assert "TCP_NODELAY and TCP_QUICKACK applied" in log, log[-2000:]
        assert "accept() never returned" not in log, log[-2000:]
    e2e.run_case("%s %s: the TCP options reach the sessions libmilter accepts"
                 % (kind, transport), options_applied, passed, failed)
    e2e.check_sanitizers("%s %s" % (kind, transport), d.log(), failed)


def case_two_mx(mx1, mx2, d, stats_port):
    """The same client address and source port, HELO to mx1 and EHLO to
    mx2 at once. mx1's policy request comes last, so a daemon that told
    every session of the client would leave mx2's session at HELO."""
    def settled():
        """No session open, every session begun also counted at its
        close, and nothing new for half a second: a session Postfix
        opened for an earlier probe is in before, not in the deltas."""
        m = e2e.metrics(stats_port)
        closed = sum(v for k, v in m.items() if k.startswith("esmtp_milter_greetings_total{"))
        if m["esmtp_milter_active_connections"] != 0 \
                or closed != m["esmtp_milter_connections_total"]:
            return False
        time.sleep(0.5)
        return e2e.metrics(stats_port)["esmtp_milter_connections_total"] \
            == m["esmtp_milter_connections_total"]
    e2e.wait_for(settled, "no session open or uncounted")
    before = e2e.metrics(stats_port)
    mark = d.mark()
    port = e2e.free_port()
    a = SMTP(mx1.port, source_port=port)
    b = SMTP(mx2.port, source_port=port)
    a.expect("HELO old.example", 250)
    b.expect("EHLO new.example", 250)
    a.expect("MAIL FROM:<a@example.net> BODY=7BIT", 250)
    b.expect("MAIL FROM:<a@example.net> BODY=7BIT", 250)
    a.expect("RCPT TO:<b@example.org>", 555, "(param_without_ehlo)")
    b.expect("RCPT TO:<b@example.org>", 250)
    a.expect("RCPT TO:<c@example.org>", 555, "(param_without_ehlo)")
    a.close()
    b.close()
    d.wait_log(mark, r"greeting=helo helo=old\.example .*rcpts=0 rcpts_rejected=2 "
               r".*violations=param_without_ehlo:reject verdict=reject")
    d.wait_log(mark, r"greeting=ehlo helo=new\.example .*rcpts=1 .*violations=none verdict=abort")
    e2e.wait_for(lambda: e2e.metrics(stats_port)["esmtp_milter_active_connections"] == 0,
                 "both sessions to close")
    after = e2e.metrics(stats_port)

    def delta(greeting):
        key = 'esmtp_milter_greetings_total{greeting="%s"}' % greeting
        return after.get(key, 0) - before.get(key, 0)
    assert (delta("helo"), delta("ehlo"), delta("unknown")) == (1, 1, 0), \
        (delta("helo"), delta("ehlo"), delta("unknown"))

    # and per MTA: each Postfix's address and port with its own session
    def mta(metric, port, greeting=None):
        key = 'esmtp_milter_mta_%s_total{mta="127.0.0.1:%d"%s}' % (
            metric, port, ',greeting="%s"' % greeting if greeting else "")
        return after.get(key, 0) - before.get(key, 0)
    got = [(mta("connections", m.port), mta("greetings", m.port, "helo"),
            mta("greetings", m.port, "ehlo"), mta("transactions", m.port),
            mta("violations", m.port)) for m in (mx1, mx2)]
    assert got == [(1, 1, 0, 1, 2), (1, 0, 1, 1, 0)], got


def run_two_mx(work, passed, failed):
    workdir = os.path.join(work, "two-mx")
    stats_port = e2e.free_port()
    d = e2e.Daemon(os.path.join(workdir, "daemon"), inet="inet", policy="inet")
    d.write_config(e2e.BASE_CONFIG.replace(
        "[stats]\nlisten =", "[stats]\nlisten = 127.0.0.1:%d" % stats_port))
    mx1 = e2e.Postfix(os.path.join(workdir, "mx1"), d, contrib=SHARED + "/postfix-main.cf")
    mx2 = e2e.Postfix(os.path.join(workdir, "mx2"), d, contrib=SHARED + "/postfix-main.cf")
    d.start()
    mx1.start()
    mx2.start()
    try:
        e2e.run_case("two MX hosts, one client port: HELO to one, EHLO to the other",
                     lambda: case_two_mx(mx1, mx2, d, stats_port), passed, failed)
        e2e.run_case("two MX hosts: an honest message through each",
                     lambda: [e2e.case_honest(m, d) for m in (mx1, mx2)], passed, failed)
    finally:
        mx1.stop()
        mx2.stop()
        d.stop()
    e2e.check_sanitizers("two MX hosts", d.log(), failed)


def main():
    e2e.DAEMON = os.path.abspath(sys.argv[1])
    work = os.path.abspath(sys.argv[2])
    e2e.WORK = work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    passed, failed = [], []
    try:
        check_nftables(passed, failed)
        for kind, transport in RUNS:
            run_transport(work, kind, transport, passed, failed)
        run_two_mx(work, passed, failed)
    finally:
        for pid in e2e.started:
            e2e.kill_pid(pid)
    print("tcp e2e: %d passed, %d failed" % (len(passed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
