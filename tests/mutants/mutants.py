#!/usr/bin/env python3
"""make mutants: applies each mutant of tests/mutants/mutants.txt, one at a
time, to a scratch copy of the tree, rebuilds, and runs the suites in
order of cost (unit, the protocol scripts in parallel, the command
line; then, for the mutants of the files they cover, the statistics,
the page in Chromium and the HTTPS endpoint) until one fails. A mutant that no suite catches has survived: a
behaviour no test pins down. Prints each mutant's result and the kill
rate; exits 1 when a mutant not marked equivalent survived.

usage: mutants.py TOP SCRATCH [FILTER]   (FILTER: only mutants whose
file or text contains it, or @FIRST-LAST: those on these lines). [N] in the output is the mutant's line in
mutants.txt. A mutant that does not build, or whose text no longer
occurs exactly once in its file (the code moved on), is a mistake in the
list: it is reported and skipped, the run goes on, and fails at the end.

usage: mutants.py --check TOP   (make check: only that every mutant's
text occurs exactly once in its file; no build, a second or so)
"""
import os
import shutil
import signal
import subprocess
import sys
import time

CHECK_ONLY = sys.argv[1:2] == ["--check"]
if CHECK_ONLY:
    sys.argv.pop(1)
TOP = os.path.abspath(sys.argv[1])
SCRATCH = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
FILTER = sys.argv[3] if len(sys.argv) > 3 else None
SUITE_TIMEOUT = 300


def load():
    out = []
    with open(os.path.join(TOP, "tests/mutants/mutants.txt")) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(" :: ")
            if len(parts) not in (3, 4):
                sys.exit("mutants.txt:%d: not FILE :: TEXT :: REPLACEMENT" % n)
            equivalent = None
            if len(parts) == 4:
                if not parts[3].startswith("equivalent: "):
                    sys.exit("mutants.txt:%d: the fourth field is 'equivalent: WHY'" % n)
                equivalent = parts[3][len("equivalent: "):]
            out.append({"line": n, "file": parts[0].strip(), "from": parts[1],
                        "to": parts[2], "equivalent": equivalent})
    return out


def copy_tree():
    """The tracked files and the untracked ones not ignored, as they are."""
    files = subprocess.run(
        ["git", "-C", TOP, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True).stdout.split(b"\0")
    shutil.rmtree(SCRATCH, ignore_errors=True)
    for f in files:
        if not f:
            continue
        src = os.path.join(TOP, f.decode())
        if not os.path.isfile(src):
            continue
        dst = os.path.join(SCRATCH, f.decode())
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def sh(cmd, timeout=SUITE_TIMEOUT):
    """Runs a suite in a process group of its own, so that a mutant that
    hangs is stopped with every process the suite started."""
    p = subprocess.Popen(cmd, cwd=SCRATCH, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out = p.communicate(timeout=timeout)[0]
        return p.returncode == 0, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return False, "timed out after %d s" % timeout


PY = "/usr/bin/python3"


def build():
    return sh(["make", "-s", "esmtp-milter", "esmtp-milter-stats", "build/check_unit"])


def unit():
    return sh(["env", "CK_FORK=yes", "build/check_unit"])


def protocol():
    """Every protocol script at once: each has its own daemon and socket,
    and most of their time is spent waiting."""
    here = os.path.join(SCRATCH, "tests/milter")
    scripts = sorted(os.path.join(here, f) for f in os.listdir(here)
                     if (f.endswith(".lua") and f not in ("lib.lua", "wrapper.lua"))
                     or (f.endswith(".py") and f != "rawmilter.py"))
    procs = [subprocess.Popen(["tests/milter/run.sh", "./esmtp-milter", s], cwd=SCRATCH,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
             for s in scripts]
    ok, out = True, ""
    for p in procs:
        try:
            text = p.communicate(timeout=SUITE_TIMEOUT)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            text = "timed out"
        if p.returncode != 0:
            ok = False
            out += text
    return ok, out


def cli():
    return sh(["tests/cli.sh", "./esmtp-milter"])


def stats():
    return sh([PY, "tests/stats/stats_test.py", "./esmtp-milter", "./esmtp-milter-stats",
               "build/mutants-stats"])


def page():
    return sh([PY, "tests/stats/page_test.py", "./esmtp-milter", "./esmtp-milter-stats",
               "build/mutants-page/w", os.path.join(SCRATCH, "build/mutants-page.png")])


def web():
    return sh(["sh", "-c", "sh tests/prometheus/prometheus-setup.sh build/prometheus >/dev/null"
               " && %s tests/prometheus/web.py ./esmtp-milter build/prometheus "
               "build/mutants-web ./esmtp-milter-stats" % PY])


# every mutant meets the first three; the others, slower, only the
# mutants of the files they cover (None: every file)
SUITES = [("unit", unit, None), ("protocol", protocol, None), ("cli", cli, None),
          ("stats", stats, ("milter/core/stats", "milter/core/utf8_text.c",
                            "milter/daemon/stats_", "milter/daemon/housekeeping.c",
                            "milter/report/")),
          ("page", page, ("milter/report/", "milter/daemon/stats_http.c")),
          ("web", web, ("milter/daemon/stats_http.c", "milter/daemon/web_",
                        "milter/report/stats_main.c"))]


def suites_for(m):
    return [(name, fn) for name, fn, files in SUITES
            if files is None or m is None or m["file"].startswith(files)]


def stale(m, root):
    """Why a mutant's text is not exactly once in its file, or None."""
    path = os.path.join(root, m["file"])
    if not os.path.isfile(path):
        return "mutants.txt:%d: %s does not exist" % (m["line"], m["file"])
    with open(path) as f:
        n = f.read().count(m["from"])
    if n != 1:
        return "mutants.txt:%d: the text occurs %d times in %s, not once: %s" % (
            m["line"], n, m["file"], m["from"].strip())
    return None


def check():
    mutants = load()
    problems = [p for p in (stale(m, TOP) for m in mutants) if p]
    for p in problems:
        print("STALE: " + p)
    print("mutants: %d in the list, %d stale" % (len(mutants), len(problems)))
    return 1 if problems else 0


def main():
    if CHECK_ONLY:
        return check()
    mutants = load()
    if FILTER and FILTER.startswith("@"):
        # @FIRST-LAST: the mutants on those lines of mutants.txt
        first, _, last = FILTER[1:].partition("-")
        mutants = [m for m in mutants
                   if int(first) <= m["line"] <= int(last or first)]
    elif FILTER:
        mutants = [m for m in mutants if FILTER in m["file"] or FILTER in m["from"]]
    start = time.time()
    copy_tree()
    ok, out = build()
    if not ok:
        sys.exit("the unmutated tree does not build:\n" + out)
    needed = {name for m in mutants for name, _ in suites_for(m)}
    for name, suite in suites_for(None):
        if name not in needed:
            continue
        ok, out = suite()
        if not ok:
            sys.exit("the unmutated tree fails the %s suite:\n%s" % (name, out[-3000:]))
    print("baseline: builds and passes %s (%.0f s)" % (
        ", ".join(n for n, _ in suites_for(None) if n in needed), time.time() - start))

    killed = survived = equivalent = 0
    survivors = []
    stillborn = []
    for m in mutants:
        why = stale(m, SCRATCH)
        if why:
            stillborn.append(why)
            print("STALE                    [%d] %s" % (m["line"], why), flush=True)
            continue
        path = os.path.join(SCRATCH, m["file"])
        with open(path) as f:
            text = f.read()
        label = "[%d] %s: %s -> %s" % (m["line"], m["file"], m["from"].strip(), m["to"].strip())
        t0 = time.time()
        with open(path, "w") as f:
            f.write(text.replace(m["from"], m["to"]))
        try:
            ok, out = build()
            by = None
            if not ok:
                stillborn.append("mutants.txt:%d: does not build:\n%s" % (m["line"], out[-1500:]))
                print("DOES NOT BUILD           %s" % label, flush=True)
                continue
            for name, suite in suites_for(m):
                ok, _ = suite()
                if not ok:
                    by = name
                    break
        finally:
            with open(path, "w") as f:
                f.write(text)
            # the next build must not take the mutant's object for current
            os.utime(path, None)
        if by is not None:
            killed += 1
            verdict = "KILLED by %s" % by
        elif m["equivalent"]:
            equivalent += 1
            verdict = "EQUIVALENT (%s)" % m["equivalent"]
        else:
            survived += 1
            verdict = "SURVIVED"
            survivors.append(label)
        print("%-24s %5.1f s  %s" % (verdict if len(verdict) < 24 else verdict[:24],
                                     time.time() - t0, label), flush=True)
    counted = killed + survived
    print("\nmutants: %d, killed %d, survived %d, equivalent %d; kill rate %.0f%% (%d of %d) in %.0f s"
          % (len(mutants), killed, survived, equivalent,
             100.0 * killed / counted if counted else 100.0, killed, counted,
             time.time() - start))
    for s in survivors:
        print("SURVIVED: " + s)
    for s in stillborn:
        print(s)
    return 1 if survived or stillborn else 0


if __name__ == "__main__":
    sys.exit(main())
