#!/usr/bin/env python3
"""What a person reads agrees with what the daemon does, each fact
checked against its one definition, `esmtp-milter -T` and `-V`:
- the README's RULES table and the RULES section of esmtp-milter(8) name
  every rule, with its stages (README), its default action and its reply
  codes; the README's list of what each rule refuses of honest mail and
  the policy-only table of contrib/postfix/README name every rule;
- the [actions] defaults of esmtp-milter.conf(5) and of the sample
  contrib/esmtp-milter.conf are the rule table's, every rule and no other;
- the keys only a restart changes are named in esmtp-milter(8)'s
  SIGNALS, as the key table marks them;
- every metric family the daemon serves at /metrics is in
  esmtp-milter-statistics(7), and every name that page lists is served;
- every man page carries the daemon's version;
- every config key `esmtp-milter -T` prints is in esmtp-milter.conf(5),
  every option `esmtp-milter -h` prints in esmtp-milter(8), and every
  option `esmtp-milter-stats --help` prints in esmtp-milter-stats(1).

usage: docs.py DAEMON TOP
"""
import os
import re
import subprocess
import sys
import tempfile

DAEMON, TOP = sys.argv[1], sys.argv[2]
CODE = re.compile(r"\b([245]\d\d) ([245]\.\d{1,3}\.\d{1,3})\b")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def daemon_dump():
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("[stats]\nlisten = 127.0.0.1:9464\n")
        f.flush()
        return subprocess.run([DAEMON, "-T", "-c", f.name], capture_output=True,
                              text=True, check=True).stdout


def rules_from_daemon():
    out = daemon_dump()
    rules = {}
    last = None
    for line in out.splitlines():
        m = re.match(r"# (\w+) +(\S+) +(\w+) +(.*)$", line)
        codes = CODE.findall(line)
        if m and len(codes) >= 2:
            token, stages, action, replies = m.groups()
            rules[token] = {"stages": set(stages.split(",")), "action": action,
                            "permanent": set(codes[:-1]), "tempfail": codes[-1],
                            "extra": set()}
            last = token
        m = re.match(r"#   (\S+)=: (\d{3}) (\d\.\d\.\d)", line)
        if m and last:
            rules[last]["extra"].add((m.group(2), m.group(3)))
    return rules


def readme_rows():
    with open(os.path.join(TOP, "README")) as f:
        text = f.read()
    section = text[text.index("\nRULES\n"):text.index("\nWhat each rule refuses of honest mail")]
    rows = {}
    current = None
    for line in section.splitlines():
        m = re.match(r"  (\w+) ", line)
        if m and m.group(1) != "token":
            current = m.group(1)
            rows[current] = line
        elif current and line.startswith("  ") and line.strip():
            rows[current] += " " + line
    return rows


def man_rows():
    with open(os.path.join(TOP, "milter/man/esmtp-milter.8")) as f:
        text = f.read()
    section = text[text.index(".SH RULES"):text.index(".SH SIGNALS")]
    rows = {}
    for m in re.finditer(r"\.TP\n\.B (\w+)\n(.*?)(?=\n\.TP|\n\.PP)", section, re.S):
        rows[m.group(1)] = m.group(2).replace("\n", " ")
    tail = section[section.index(".PP"):]
    return rows, set(CODE.findall(tail))


def read(path):
    with open(os.path.join(TOP, path)) as f:
        return f.read()


def actions_block(text, start, end):
    """token = action lines between the start marker and the end one."""
    block = text[text.index(start):]
    block = block[:block.index(end, len(start))]
    return dict(re.findall(r"^(\w+) = (\w+)$", block, re.M))


def check_actions(rules):
    want = {t: r["action"] for t, r in rules.items()}
    for where, got in (
            ("esmtp-milter.conf(5) [actions]",
             actions_block(read("milter/man/esmtp-milter.conf.5"), '.SH "[actions]"', ".SH")),
            ("contrib/esmtp-milter.conf [actions]",
             actions_block(read("contrib/esmtp-milter.conf"), "\n[actions]\n", "\n[")),
            ("esmtp-milter -T [actions]",
             actions_block(daemon_dump(), "\n[actions]\n", "\n["))):
        if got != want:
            fail("%s: %s, the rule table's %s" % (
                where, sorted(set(got.items()) ^ set(want.items())), "defaults"))


def check_policy_table(rules):
    text = read("contrib/postfix/README")
    table = text[text.index("Policy-only (no smtpd_milters line)"):
                 text.index("Exemptions work as under the milter")]
    for token in rules:
        if not re.search(r"\b%s\b" % token, table):
            fail("contrib/postfix/README policy-only table: no row for %s" % token)


def check_honest_list(rules):
    """The README says, for every rule, what it refuses of honest mail."""
    text = read("README")
    block = text[text.index("What each rule refuses of honest mail"):text.index("\nActions:")]
    listed = set(re.findall(r"\b([a-z0-9]+(?:_[a-z0-9]+)+)\b", block))
    for token in rules:
        if token not in listed:
            fail("README: no line for %s in what each rule refuses of honest mail" % token)
    for token in listed - set(rules):
        fail("README's honest-mail list names a rule the daemon does not have: %s" % token)


def check_restart_keys():
    m = re.search(r"^# only a restart changes: (.*)$", daemon_dump(), re.M)
    if not m:
        fail("esmtp-milter -T does not list the keys only a restart changes")
        return
    keys = m.group(1).split(", ")
    man = read("milter/man/esmtp-milter.8")
    man = man[man.index(".SH SIGNALS"):]
    man = man[:man.index(".TP", man.index(".TP") + 1)]
    man = " ".join(re.sub(r"^\.B[RI]? ", "", man, flags=re.M).split())
    for key in keys:
        word = re.compile(r"(?<![\w\]])%s(?!\w)" % re.escape(key))
        if not word.search(man):
            fail("esmtp-milter(8) SIGNALS: the reload entry does not name %s" % key)


def check_version():
    version = subprocess.run([DAEMON, "-V"], capture_output=True, text=True,
                             check=True).stdout.split()[-1]
    for page in ("esmtp-milter.8", "esmtp-milter.conf.5", "esmtp-milter-stats.1",
                 "esmtp-milter-statistics.7"):
        th = read("milter/man/" + page).splitlines()[0]
        if '"esmtp-milter %s"' % version not in th:
            fail("%s: %s does not say esmtp-milter %s" % (page, th, version))


def man_text(page):
    with open(os.path.join(TOP, "milter/man", page)) as f:
        return f.read().replace("\\-", "-")


def check_keys_and_options():
    conf5 = man_text("esmtp-milter.conf.5")
    group = None
    for line in daemon_dump().splitlines():
        m = re.match(r"\[(\w+)\]$", line)
        if m:
            group = m.group(1)
            if '.SH "[%s]"' % group not in conf5:
                fail("esmtp-milter.conf(5): no section for [%s]" % group)
        m = re.match(r"(\w+) =", line)
        if m and group not in ("actions", "size_limits") \
                and not re.search(r"(?m)^\.B %s =" % re.escape(m.group(1)), conf5):
            fail("esmtp-milter.conf(5): no entry for [%s] %s" % (group, m.group(1)))
    man8 = man_text("esmtp-milter.8")
    helptext = subprocess.run([DAEMON, "-h"], capture_output=True, text=True).stdout \
        + subprocess.run([DAEMON, "-h"], capture_output=True, text=True).stderr
    for opt in sorted(set(re.findall(r"(?m)^  (-\w)\b", helptext))):
        if not re.search(r"(?m)^\.(B|BI|BR) %s\b" % re.escape(opt), man8):
            fail("esmtp-milter(8): option %s of -h not described" % opt)
    stats = os.path.join(os.path.dirname(os.path.abspath(DAEMON)), "esmtp-milter-stats")
    man1 = man_text("esmtp-milter-stats.1")
    helptext = subprocess.run([stats, "--help"], capture_output=True, text=True).stdout
    opts = sorted(set(re.findall(r"(?m)^  (--[\w-]+)", helptext)) - {"--help"})
    if not opts:
        fail("esmtp-milter-stats --help lists no option")
    for opt in opts:
        if not re.search(r"(?m)^\.(B|BI|BR) %s\b" % re.escape(opt), man1):
            fail("esmtp-milter-stats(1): option %s of --help not described" % opt)


def served_metrics():
    """The metric families of /metrics of a daemon started for it on a
    free loopback port, stopped by its own id."""
    import socket
    import time
    import urllib.request
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "c.conf")
        with open(conf, "w") as f:
            f.write("[milter]\nsocket = unix:%s/m.sock\n[policy]\nlisten = unix:%s/p.sock\n"
                    "[stats]\nlisten = 127.0.0.1:%d\n" % (d, d, port))
        proc = subprocess.Popen([DAEMON, "-f", "-c", conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                                timeout=5) as r:
                        text = r.read().decode()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                fail("no /metrics from the daemon on 127.0.0.1:%d" % port)
                return set()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return set(re.findall(r"(?m)^# TYPE esmtp_milter_(\w+) ", text))


def check_metrics():
    served = served_metrics()
    page = man_text("esmtp-milter-statistics.7")
    section = page[page.index(".SH METRICS"):]
    section = section[:section.index("\n.SH ", 1)]
    for name in sorted(served):
        if not re.search(r"(?<![\w])%s(?![\w])" % re.escape(name), section):
            fail("esmtp-milter-statistics(7) METRICS: %s, which /metrics serves, is not listed"
                 % name)
    listed = set()
    for line in section.splitlines():
        for part in re.split(r",\s*", line.split("  ")[0].strip()):
            m = re.match(r"([a-z][a-z0-9_]*_[a-z0-9_]+)(\{|$)", part)
            if m:
                listed.add(m.group(1))
    for name in sorted(listed - served):
        fail("esmtp-milter-statistics(7) METRICS lists %s, which /metrics does not serve"
             % name)
    print("docs: %d metric families served, %d listed" % (len(served), len(listed)))


def main():
    rules = rules_from_daemon()
    check_actions(rules)
    check_policy_table(rules)
    check_honest_list(rules)
    check_restart_keys()
    check_version()
    check_keys_and_options()
    check_metrics()
    readme = readme_rows()
    man, man_tempfail = man_rows()
    stage_words = {"mail": "MAIL", "rcpt": "RCPT", "eom": "end"}
    for token, r in rules.items():
        row = readme.get(token)
        if row is None:
            fail("README: no row for %s" % token)
        else:
            words = row.split()
            if r["action"] not in words[2:]:
                fail("README %s: default action %s missing: %s" % (token, r["action"], row))
            for st in r["stages"]:
                if stage_words[st] not in row:
                    fail("README %s: stage %s missing: %s" % (token, st, row))
            codes = set(CODE.findall(row))
            want = r["permanent"] | {r["tempfail"]} | r["extra"]
            if codes != want:
                fail("README %s: codes %s, the daemon's %s" % (token, sorted(codes), sorted(want)))
        text = man.get(token)
        if text is None:
            fail("esmtp-milter(8): no entry for %s" % token)
        else:
            m = re.search(r"\((\w+)", text)
            if not m or m.group(1) != r["action"]:
                fail("esmtp-milter(8) %s: default action is not %s: %s" % (token, r["action"], text))
            codes = set(CODE.findall(text))
            want = r["permanent"] | r["extra"]
            if codes != want:
                fail("esmtp-milter(8) %s: codes %s, the daemon's %s" % (token, sorted(codes), sorted(want)))
            if r["tempfail"] not in man_tempfail:
                fail("esmtp-milter(8): tempfail reply %s %s not listed" % r["tempfail"])
    for token in set(readme) - set(rules):
        fail("README names a rule the daemon does not have: %s" % token)
    for token in set(man) - set(rules):
        fail("esmtp-milter(8) names a rule the daemon does not have: %s" % token)
    print("docs: %d rules checked, %d failed" % (len(rules), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
