#!/usr/bin/env python3
"""Attaching the daemon to a Postfix that already runs a milter, as the
README's step 5 says: the site's milter (tests/e2e/recorder.c, which
writes down every macro it is given) is in smtpd_milters first; the
README's postconf line puts esmtp-milter in front of it. Then one honest
message and one refused: both milters see the same sessions (the same
queue id), the other milter still gets every macro Postfix's default
lists give it, and Postfix's own milter settings are untouched.

usage: attach.py DAEMON RECORDER WORKDIR

Every process started here is stopped by its own pid when the run ends.
"""
import os
import re
import shutil
import subprocess
import sys
import time

import e2e

# Postfix 3.7's default milter macro lists, less what a plain session
# without TLS or AUTH does not set (and i at MAIL: Postfix has no queue
# id before the first RCPT is accepted, after the milters saw it)
DEFAULT_MACROS = {
    "connect": {"j", "{daemon_name}", "{daemon_addr}", "v", "_"},
    "mail": {"{mail_addr}", "{mail_host}", "{mail_mailer}"},
    "rcpt": {"{rcpt_addr}", "{rcpt_host}", "{rcpt_mailer}"},
    "eom": {"i"},
}


def readme_step5():
    """The postconf lines of the README's step 5, as they are written."""
    with open(os.path.join(e2e.TOP, "README")) as f:
        text = f.read()
    step = text[text.index("  5. Attach Postfix"):text.index("  6. Look at the logs")]
    lines = [l.strip() for l in step.splitlines() if l.strip().startswith("postconf -e")]
    assert len(lines) >= 3, step
    return lines


def run_postconf(mta, line, sockets):
    """One README line against the test's Postfix: the sample sockets
    replaced by the test's, and -c added to every postconf."""
    for sample, real in sockets:
        line = line.replace(sample, real)
    line = line.replace("postconf ", "postconf -c %s " % mta.confdir)
    subprocess.run(["sh", "-c", line], check=True)


def postconf(mta, name):
    return subprocess.run(["postconf", "-c", mta.confdir, "-h", name], capture_output=True,
                          text=True, check=True).stdout.strip()


def recorded(path):
    seen = {}
    with open(path) as f:
        for line in f:
            stage, rest = line.rstrip("\n").split(" ", 1)
            name, value = rest.split("=", 1)
            seen.setdefault(stage, []).append((name, value))
    return seen


def main():
    e2e.DAEMON = os.path.abspath(sys.argv[1])
    recorder = os.path.abspath(sys.argv[2])
    work = os.path.abspath(sys.argv[3])
    e2e.WORK = work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)
    passed, failed = [], []
    d = e2e.Daemon(os.path.join(work, "daemon"), inet=False, policy=True)
    mta = e2e.Postfix(os.path.join(work, "mta"), d)
    rec_sock = os.path.join(work, "recorder.sock")
    rec_out = os.path.join(work, "recorder.out")
    rec = subprocess.Popen([recorder, "unix:" + rec_sock, rec_out])
    e2e.started.append(rec.pid)
    e2e.wait_for(lambda: os.path.exists(rec_sock), "the recorder's socket")
    os.chmod(rec_sock, 0o666)
    try:
        # the site before: its own milter alone, Postfix's own milter
        # settings, and no policy service yet
        subprocess.run(["postconf", "-c", mta.confdir, "-e", "smtpd_milters = unix:" + rec_sock,
                        "smtpd_recipient_restrictions =", "smtpd_end_of_data_restrictions ="],
                       check=True)
        before = {n: postconf(mta, n) for n in (
            "milter_default_action", "milter_protocol", "milter_connect_macros",
            "milter_mail_macros", "milter_rcpt_macros", "milter_end_of_data_macros")}
        for line in readme_step5():
            run_postconf(mta, line, (("unix:/esmtp-milter/esmtp-milter.sock",
                                      e2e.postfix_socket(d.socket)),
                                     ("unix:esmtp-milter/policy.sock", d.policy)))

        def settings():
            milters = postconf(mta, "smtpd_milters").split()
            assert milters == [e2e.postfix_socket(d.socket), "unix:" + rec_sock], milters
            after = {n: postconf(mta, n) for n in before}
            assert after == before, (before, after)
            assert "check_policy_service " + d.policy in postconf(
                mta, "smtpd_recipient_restrictions")
        e2e.run_case("README step 5: esmtp-milter first, the site's milter kept, "
                     "Postfix's milter settings untouched", settings, passed, failed)
        d.start()
        mta.start()

        def both_milters():
            mark = d.mark()
            e2e.case_honest(mta, d)
            qid = d.wait_log(mark, r"(\w+): client=\S+ greeting=ehlo .*verdict=accept").group(1)
            e2e.wait_for(lambda: any(v == qid for n, v in recorded(rec_out).get("eom", [])
                                     if n == "i"), "the recorder's end of message")
            seen = recorded(rec_out)
            for stage, want in DEFAULT_MACROS.items():
                got = {n for n, _ in seen.get(stage, [])}
                assert want <= got, "%s: the other milter lacks %s (has %s)" % (
                    stage, sorted(want - got), sorted(got))
            # and esmtp-milter's own requests did not reach it
            assert "{daemon_port}" not in {n for n, _ in seen.get("connect", [])}
        e2e.run_case("both milters see the session; the other still gets Postfix's "
                      "default macros", both_milters, passed, failed)

        def refused():
            mark = d.mark()
            e2e.case_helo_params(mta, d)
            d.wait_log(mark, r"verdict=reject")
        e2e.run_case("esmtp-milter's refusals still apply with the other milter",
                     refused, passed, failed)
    finally:
        mta.stop()
        d.stop()
        for pid in e2e.started:
            e2e.kill_pid(pid)
    e2e.check_sanitizers("attach", d.log(), failed)
    print("attach e2e: %d passed, %d failed" % (len(passed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
