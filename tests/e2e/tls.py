#!/usr/bin/env python3
"""STARTTLS and SMTP AUTH through a real Postfix (contrib/postfix/main.cf
with TLS switched on, a self-signed certificate made here with openssl):
the client is Python's smtplib, with and without starttls() and login();
the daemon's log fields tls= and auth= and its /metrics counters are
checked exactly. REQUIRETLS never reaches the daemon under Postfix 3.7,
which refuses the parameter itself; requiretls_without_tls is tested over
the milter protocol (tests/milter/tls.lua).

usage: tls.py DAEMON WORKDIR
"""
import os
import shutil
import smtplib
import ssl
import subprocess
import sys

import e2e
from e2e import SMTP, message, metrics, wait_for


def main():
    e2e.DAEMON = os.path.abspath(sys.argv[1])
    work = os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    passed, failed = [], []
    d = e2e.Daemon(os.path.join(work, "daemon"), inet=False, policy=True)
    stats_port = e2e.free_port()
    d.write_config(e2e.BASE_CONFIG.replace(
        "[stats]\nlisten =", "[stats]\nlisten = 127.0.0.1:%d" % stats_port))
    mta = e2e.Postfix(os.path.join(work, "mta"), d)
    cert, key = os.path.join(mta.confdir, "cert.pem"), os.path.join(mta.confdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=mx.test.example", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(mta.confdir, "main.cf"), "a") as f:
        f.write("smtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\n"
                "smtpd_tls_security_level = may\n" % (cert, key))
    with open(os.path.join(mta.confdir, "master.cf"), "a") as f:
        f.write("tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    d.start()
    mta.start()

    def send(starttls, login):
        s = smtplib.SMTP("127.0.0.1", mta.port, timeout=30)
        s.ehlo("client.example")
        if starttls:
            s.starttls(context=ctx)
            s.ehlo("client.example")
        if login:
            s.login("alice", "secret")
        s.sendmail("a@example.net", ["b@example.org"], message())
        s.quit()

    try:
        # the start-up probe's session, closed and counted before counting
        SMTP(mta.port).close()
        wait_for(lambda: metrics(stats_port)["esmtp_milter_active_connections"] == 0
                 and metrics(stats_port)["esmtp_milter_connections_total"] >= 2, "quiet")
        before = metrics(stats_port)

        def plaintext():
            mark = d.mark()
            send(False, False)
            d.wait_log(mark, r"tls=none auth=none violations=none verdict=accept")

        def starttls():
            mark = d.mark()
            send(True, False)
            d.wait_log(mark, r"tls=TLSv1\.3 auth=none violations=none verdict=accept")

        def starttls_auth():
            mark = d.mark()
            send(True, True)
            # authenticated: exempt, and the mechanism logged
            d.wait_log(mark, r"tls=TLSv1\.3 auth=PLAIN violations=none exempt=auth verdict=accept")

        def requiretls_refused_by_postfix():
            s = SMTP(mta.port)
            s.expect("EHLO client.example", 250)
            mark = d.mark()
            s.expect("MAIL FROM:<a@example.net> REQUIRETLS", 555, "5.5.4")
            s.expect("MAIL FROM:<a@example.net>", 250)
            s.close()
            d.wait_log(mark, r"tls=none auth=none violations=none verdict=abort")

        def counters():
            wait_for(lambda: metrics(stats_port)["esmtp_milter_active_connections"] == 0,
                     "the sessions to close")
            after = metrics(stats_port)
            want = {
                'esmtp_milter_tls_sessions_total{version="plaintext"}': 2,
                'esmtp_milter_tls_sessions_total{version="TLSv1.3"}': 2,
                'esmtp_milter_tls_sessions_total{version="unknown"}': 0,
                'esmtp_milter_tls_transactions_total{version="plaintext"}': 2,
                'esmtp_milter_tls_transactions_total{version="TLSv1.3"}': 2,
                'esmtp_milter_cipher_transactions_total{bits="none"}': 2,
                'esmtp_milter_cipher_transactions_total{bits="256"}': 2,
                'esmtp_milter_auth_transactions_total{mechanism="PLAIN"}': 1,
            }
            for name, n in want.items():
                got = after.get(name, 0) - before.get(name, 0)
                assert got == n, "%s: %d, expected %d (all: %s)" % (
                    name, got, n, {k: after[k] - before.get(k, 0) for k in after
                                   if "tls" in k or "cipher" in k})

        for name, fn in [("plaintext", plaintext), ("starttls", starttls),
                         ("starttls and AUTH PLAIN", starttls_auth),
                         ("REQUIRETLS refused by Postfix itself", requiretls_refused_by_postfix),
                         ("counters by TLS version, cipher and mechanism", counters)]:
            e2e.run_case("tls: " + name, fn, passed, failed)
    finally:
        mta.stop()
        d.stop()
        for pid in e2e.started:
            e2e.kill_pid(pid)
    e2e.check_sanitizers("tls", d.log(), failed)
    print("tls e2e: %d passed, %d failed" % (len(passed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
