#!/usr/bin/env python3
"""End-to-end tests of the Postfix policy service: a private Postfix with
the daemon as its policy service alone (policy-only: no smtpd_milters),
then with both attached as contrib/postfix/main.cf says. Each case asserts
the client's exact reply and the daemon's log line; the statistics are
read from /metrics.

usage: policy.py DAEMON WORKDIR

Every process started here is stopped by its own pid when the run ends.
"""
import base64
import os
import re
import shutil
import sys

import e2e
from e2e import SMTP, message, wait_for

# Postfix adds Date: and Message-ID: to mail from its own addresses:
# the sizes both front ends report must still be the client's octets.
EXTRA_MAIN_CF = """
local_header_rewrite_clients = permit_inet_interfaces
header_checks = regexp:{conf}/header_checks
"""


class Setup:
    def __init__(self, work, policy_only):
        self.name = "policy-only" if policy_only else "milter+policy"
        self.d = e2e.Daemon(os.path.join(work, "daemon"), inet=False, policy=True)
        self.stats_port = e2e.free_port()
        self.config = e2e.BASE_CONFIG.replace(
            "[stats]\nlisten =", "[stats]\nlisten = 127.0.0.1:%d" % self.stats_port)
        self.d.write_config(self.config)
        self.mta = e2e.Postfix(os.path.join(work, "mta"), self.d)
        conf = self.mta.confdir
        with open(os.path.join(conf, "main.cf"), "a") as f:
            f.write(EXTRA_MAIN_CF.format(conf=conf))
            if policy_only:
                f.write("smtpd_milters =\n")
        # a message the policy service tagged (PREPEND) is held
        with open(os.path.join(conf, "header_checks"), "w") as f:
            f.write("/^X-ESMTP-Policy:/ HOLD tagged by esmtp-milter\n")

    def metrics(self):
        return e2e.metrics(self.stats_port)

    def reload(self, text):
        self.d.reload(text.replace("[stats]\nlisten =",
                                   "[stats]\nlisten = 127.0.0.1:%d" % self.stats_port))


def transaction(mta, helo, mail, rcpt="RCPT TO:<b@example.org>", msg=None,
                rcpt_code=250, eom_code=250, fragment=None):
    s = SMTP(mta.port)
    s.expect(helo, 250)
    s.expect(mail, 250)
    if rcpt_code != 250:
        s.expect(rcpt, rcpt_code, fragment)
        s.close()
        return
    s.expect(rcpt, 250)
    if msg is not None:
        s.data(msg, eom_code, fragment)
    s.close()


def bare_message(body=b"hello\r\n"):
    """Without Date: and Message-ID:, which Postfix adds for a local client."""
    return b"From: a@example.net\r\nTo: b@example.org\r\nSubject: t\r\n\r\n" + body


# ---- policy-only -----------------------------------------------------------

def case_honest(st):
    msg = message()
    mark = st.d.mark()
    transaction(st.mta, "EHLO client.example", "MAIL FROM:<a@example.net> SIZE=%d BODY=7BIT" % len(msg),
                msg=msg)
    st.d.wait_log(mark, r"client=unknown\[127\.0\.0\.1\] greeting=ehlo helo=client\.example "
                  r"from=<a@example\.net> params=SIZE rcpts=1 size_declared=%d size_actual=%d "
                  r"tls=none auth=none violations=none via=policy verdict=accept" % (len(msg), len(msg)))


def case_size_after_helo(st):
    mark = st.d.mark()
    transaction(st.mta, "HELO old.example", "MAIL FROM:<a@example.net> SIZE=100",
                rcpt_code=555, fragment="5.5.4 <b@example.org>: Recipient address rejected: "
                "ESMTP parameters after HELO instead of EHLO (param_without_ehlo)")
    st.d.wait_log(mark, r"greeting=helo helo=old\.example from=<a@example\.net> params=SIZE "
                  r"rcpts=0 size_declared=100 size_actual=unknown tls=none auth=none violations=param_without_ehlo:reject "
                  r"via=policy verdict=reject")
    # without SIZE the policy service sees no parameter: accepted
    mark = st.d.mark()
    transaction(st.mta, "HELO old.example", "MAIL FROM:<a@example.net> BODY=7BIT", msg=message())
    st.d.wait_log(mark, r"greeting=helo helo=old\.example .*params=none rcpts=1 .*violations=none via=policy verdict=accept")


def case_size_lie(st):
    """Refused at END-OF-MESSAGE on Postfix's own count: no body reaches the daemon."""
    msg = message(b"x" * 2000 + b"\r\n")
    mark = st.d.mark()
    transaction(st.mta, "EHLO liar.example", "MAIL FROM:<a@example.net> SIZE=100", msg=msg,
                eom_code=552, fragment="5.3.4 <END-OF-MESSAGE>: End-of-data rejected: "
                "message size %d exceeds the declared SIZE 100 (size_overrun)" % len(msg))
    st.d.wait_log(mark, r"violation rule=size_overrun action=reject stage=eom")
    st.d.wait_log(mark, r"size_declared=100 size_actual=%d tls=none auth=none violations=size_overrun:reject via=policy verdict=reject" % len(msg))
    m = st.metrics()
    assert m.get('esmtp_milter_processing_seconds_count{stage="body"}') == 0, "a body reached the daemon"
    assert "negotiated" not in st.d.log(), "a milter session was opened"


def case_size_limits(st):
    mark = st.d.mark()
    transaction(st.mta, "EHLO c.example", "MAIL FROM:<a@example.net> SIZE=1000",
                rcpt="RCPT TO:<x@lists.example.net>", rcpt_code=552,
                fragment="5.3.4 <x@lists.example.net>: Recipient address rejected: "
                "declared SIZE 1000 exceeds the limit of 500 for this recipient (size_limit)")
    transaction(st.mta, "EHLO c.example", "MAIL FROM:<a@big.example> SIZE=3000", rcpt_code=552,
                fragment="5.3.4 <b@example.org>: Recipient address rejected: "
                "declared SIZE 3000 exceeds the limit of 2000 for this sender (size_limit)")
    big = message((b"y" * 78 + b"\r\n") * 800)
    transaction(st.mta, "EHLO c.example", "MAIL FROM:<a@example.net>", msg=big, eom_code=552,
                fragment="5.3.4 <END-OF-MESSAGE>: End-of-data rejected: "
                "message size %d exceeds the limit of 50000 for this client (size_actual_limit)" % len(big))
    st.d.wait_log(mark, r"size_declared=none size_actual=%d tls=none auth=none violations=size_actual_limit:reject via=policy verdict=reject" % len(big))


def case_utf8(st):
    """Postfix 3.7 accepts a non-ASCII address without SMTPUTF8 and tells a
    policy service nothing of SMTPUTF8: utf8_undeclared is the milter's."""
    for mail in ["MAIL FROM:<jörg@example.net>", "MAIL FROM:<jörg@example.net> SMTPUTF8"]:
        mark = st.d.mark()
        transaction(st.mta, "EHLO c.example", mail, msg=message())
        st.d.wait_log(mark, r"from=<jörg@example\.net> params=none rcpts=1 .*violations=none "
                      r"via=policy verdict=accept")


def case_tag(st):
    st.reload(e2e.BASE_CONFIG.replace("[actions]\n", "[actions]\nsize_limit = tag\n"))
    try:
        mark = st.d.mark()
        transaction(st.mta, "EHLO c.example", "MAIL FROM:<a@example.net> SIZE=1000",
                    rcpt="RCPT TO:<x@lists.example.net>", msg=message())
        st.d.wait_log(mark, r"violations=size_limit:tag via=policy verdict=accept")
        wait_for(lambda: st.mta.queued_with_header("X-ESMTP-Policy:"), "the tagged message in the queue")
        found = st.mta.queued_with_header("X-ESMTP-Policy:")
        assert any(re.match(r"X-ESMTP-Policy: ?size_limit$", h) for h in found), found
    finally:
        st.reload(e2e.BASE_CONFIG)


def case_exempt_auth(st):
    mark = st.d.mark()
    s = SMTP(st.mta.port)
    s.expect("EHLO c.example", 250)
    s.expect("AUTH PLAIN " + base64.b64encode(b"\0alice\0secret").decode(), 235)
    s.expect("MAIL FROM:<a@example.net> SIZE=200000", 250)
    s.expect("RCPT TO:<b@example.org>", 250)
    s.data(message(), 250)
    s.close()
    st.d.wait_log(mark, r"violations=size_limit:log exempt=auth via=policy verdict=accept")


# ---- both front ends, and what they agree on ---------------------------------

def case_counted_once(st):
    """Five sessions: three EHLO, two HELO, one transaction each."""
    if st.name == "milter+policy":
        # the milter sessions of Postfix's start-up probe, and of this one,
        # closed and counted before counting starts
        s = SMTP(st.mta.port)
        s.close()
        wait_for(lambda: st.metrics()['esmtp_milter_connections_total'] >= 2
                 and st.metrics()['esmtp_milter_active_connections'] == 0, "the sessions to close")
    before = st.metrics()
    for helo in ["EHLO a.example"] * 3 + ["HELO b.example"] * 2:
        transaction(st.mta, helo, "MAIL FROM:<a@example.net>", msg=message())
    wait_for(lambda: st.metrics()['esmtp_milter_verdicts_total{verdict="accept"}']
             - before['esmtp_milter_verdicts_total{verdict="accept"}'] >= 5, "five verdicts")
    if st.name == "milter+policy":      # counted at the milter's close
        wait_for(lambda: st.metrics()['esmtp_milter_active_connections'] == 0, "the sessions to close")
    after = st.metrics()
    for name, want in [('esmtp_milter_connections_total', 5),
                       ('esmtp_milter_greetings_total{greeting="ehlo"}', 3),
                       ('esmtp_milter_greetings_total{greeting="helo"}', 2),
                       ('esmtp_milter_greetings_total{greeting="unknown"}', 0),
                       ('esmtp_milter_transactions_total', 5),
                       ('esmtp_milter_messages_total', 5),
                       ('esmtp_milter_policy_requests_total{state="rcpt"}', 5),
                       ('esmtp_milter_policy_requests_total{state="end-of-message"}', 5),
                       ('esmtp_milter_policy_requests_total{state="bad"}', 0)]:
        got = after[name] - before.get(name, 0)
        assert got == want, "%s: %s: %d, expected %d" % (st.name, name, got, want)


def case_sizes_agree(st):
    """The size each front end judges is the client's, with Postfix's
    added Date:/Message-ID: and dot-stuffed lines. Postfix's own count, the
    policy service's, is 2 octets higher per line_length_limit (2048)
    octets of a line longer than that (RFC 5321 allows 998)."""
    long_line = b"z" * 5000
    for msg, policy_extra in [(bare_message(), 0), (message(), 0),
                              (bare_message(b"..dot\r\n.\r\n"), 0),
                              (bare_message(long_line + b"\r\n"), 2 * (5000 // 2048))]:
        extra = policy_extra if st.name == "policy-only" else 0
        mark = st.d.mark()
        transaction(st.mta, "EHLO c.example", "MAIL FROM:<a@example.net> SIZE=%d" % len(msg), msg=msg)
        st.d.wait_log(mark, r"size_declared=%d size_actual=%d tls=none auth=none violations=none"
                      % (len(msg), len(msg) + extra))
    # the overrun tolerance (10 % + 100 octets) is the same on both sides
    msg = bare_message(b"w" * 1000 + b"\r\n")
    edge = (len(msg) - 100) * 100 // 110 + 1
    transaction(st.mta, "EHLO c.example", "MAIL FROM:<a@example.net> SIZE=%d" % edge, msg=msg)
    transaction(st.mta, "EHLO c.example", "MAIL FROM:<a@example.net> SIZE=%d" % (edge - 2), msg=msg,
                eom_code=552, fragment="(size_overrun)")


POLICY_ONLY = [case_honest, case_size_after_helo, case_size_lie, case_size_limits,
               case_utf8, case_tag, case_exempt_auth, case_counted_once, case_sizes_agree]
BOTH = [case_counted_once, case_sizes_agree]


def run(work, policy_only, cases, passed, failed):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    st = Setup(work, policy_only)
    st.d.start()
    st.mta.start()
    try:
        for case in cases:
            e2e.run_case("%s: %s" % (st.name, case.__name__[5:]),
                         lambda: case(st), passed, failed)
    finally:
        st.mta.stop()
        st.d.stop()
    e2e.check_sanitizers(st.name, st.d.log(), failed)


def main():
    e2e.DAEMON = os.path.abspath(sys.argv[1])
    work = os.path.abspath(sys.argv[2])
    passed, failed = [], []
    try:
        run(os.path.join(work, "policy-only"), True, POLICY_ONLY, passed, failed)
        run(os.path.join(work, "both"), False, BOTH, passed, failed)
    finally:
        for pid in e2e.started:
            e2e.kill_pid(pid)
    print("policy e2e: %d passed, %d failed" % (len(passed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
