#!/usr/bin/env python3
"""make demo: a private Postfix with esmtp-milter attached, a handful of
sample SMTP sessions, what each client was told and what the daemon
logged. Everything started here is stopped at the end.

usage: demo.py DAEMON WORKDIR
"""
import os
import re
import shutil
import sys

import e2e

# The shipped sample config, with these changes, each shown to the reader.
CHANGES = [
    (r"(?m)^trusted_networks = .*$", "trusted_networks =",
     "the demo's clients come from 127.0.0.1, which the sample trusts:\n"
     "trusted clients are logged, never refused"),
    (r"(?m)^state_file = .*$", "state_file = {work}/state.json",
     "the sample's /var/lib/esmtp-milter is made by the systemd unit"),
    (r"(?m)^listen =$", "listen = unix:{work}/daemon/policy.sock",
     "the policy service beside the milter socket ([policy] listen), for\n"
     "the check_policy_service lines of contrib/postfix/main.cf"),
    (r"(?m)^listen = 127\.0\.0\.1:9464$", "listen =",
     "no statistics port, to stay clear of an installed daemon's"),
    (r"(?m)^\[size_limits\]$", "[size_limits]\nto:lists.example.net = 2000",
     "a smaller limit for one recipient domain, to show one"),
]


def demo_config(work):
    with open(os.path.join(e2e.TOP, "contrib/esmtp-milter.conf")) as f:
        text = f.read()
    print("esmtp-milter runs with contrib/esmtp-milter.conf, changed so:")
    for pattern, line, why in CHANGES:
        line = line.format(work="WORKDIR")
        text, n = re.subn(pattern, line.replace("WORKDIR", work), text)
        assert n == 1, pattern
        print("  " + line.replace("\n", " + "))
        print("      " + why.replace("\n", "\n      "))
    print("Postfix's message_size_limit is 50000000 here, above the daemon's\n"
          "[size] max of 10485760: under Postfix's default (10240000) Postfix\n"
          "would refuse the large message itself, before the daemon sees it.")
    return text


def show_reply(code, text):
    lines = text.split("\n")
    if len(lines) > 1:
        print("S: %d-%s   (and %d more lines)" % (code, lines[0], len(lines) - 1))
    else:
        print("S: %d %s" % (code, text))


def show_session(title, d, steps, body=None):
    print("\n== %s" % title)
    mark = d.mark()
    s = e2e.SMTP(mta.port)
    for line in steps:
        code, text = s.cmd(line)
        print("C: " + line)
        show_reply(code, text)
        if line == "DATA" and code == 354:
            s.s.sendall(body.replace(b"\r\n.", b"\r\n..") + b".\r\n")
            print("C: (%d octets of message)" % len(body))
            show_reply(*s.reply())
    s.close()
    print("-- esmtp-milter logged:")
    try:
        d.wait_log(mark, r"verdict=")
    except AssertionError:
        print("   (nothing: the MTA answered by itself)")
        return
    for line in d.lines_since(mark).splitlines():
        if ": debug: " in line:
            continue
        # drop the timestamp and pid, keep level and line
        print("   " + line.split(": ", 1)[1] if ": " in line else line)


def main():
    global mta
    e2e.DAEMON = os.path.abspath(sys.argv[1])
    work = os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    d = e2e.Daemon(os.path.join(work, "daemon"), inet=False, policy=True)
    with open(d.conf, "w") as f:
        f.write(demo_config(work))
    mta = e2e.Postfix(os.path.join(work, "postfix"), d)
    d.start()
    mta.start()
    try:
        print("\nPostfix on 127.0.0.1:%d, esmtp-milter on a unix socket beside it"
              % mta.port)
        honest = e2e.message(b"Hello, world.\r\n")
        show_session("an honest client", d, [
            "EHLO honest.example",
            "MAIL FROM:<alice@example.net> SIZE=%d" % len(honest),
            "RCPT TO:<bob@example.org>", "DATA", "QUIT"], honest)
        show_session("a message larger than the limit, declared", d, [
            "EHLO big.example",
            "MAIL FROM:<carol@example.net> SIZE=20000000", "QUIT"])
        liar = e2e.message(b"x" * 10000 + b"\r\n")
        show_session("a client lying about SIZE", d, [
            "EHLO liar.example",
            "MAIL FROM:<dave@example.net> SIZE=1000",
            "RCPT TO:<bob@example.org>", "DATA", "QUIT"], liar)
        eight = e2e.message("Grüße aus Köln\r\n".encode("utf-8"))
        show_session("8-bit text without BODY=8BITMIME (logged, accepted)", d, [
            "EHLO eight.example",
            "MAIL FROM:<erin@example.net>",
            "RCPT TO:<bob@example.org>", "DATA", "QUIT"], eight)
        show_session("a recipient domain with a smaller limit", d, [
            "EHLO lists.example",
            "MAIL FROM:<frank@example.net> SIZE=5000",
            "RCPT TO:<list@lists.example.net>",
            "RCPT TO:<bob@example.org>", "DATA", "QUIT"], honest)
    finally:
        mta.stop()
        d.stop()
        for pid in e2e.started:
            e2e.kill_pid(pid)
    print("\nEverything the demo started has stopped.")


if __name__ == "__main__":
    main()
