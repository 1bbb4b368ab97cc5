#!/usr/bin/env python3
"""The rule tables a person reads agree with the one the daemon uses:
the README's RULES table and the RULES section of esmtp-milter(8) name
every rule of `esmtp-milter -T`, with its stages (README), its default
action and its reply codes.

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


def rules_from_daemon():
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("[stats]\nlisten = 127.0.0.1:9464\n")
        f.flush()
        out = subprocess.run([DAEMON, "-T", "-c", f.name], capture_output=True,
                             text=True, check=True).stdout
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
    section = text[text.index("\nRULES\n"):text.index("\nActions:")]
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


def main():
    rules = rules_from_daemon()
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
