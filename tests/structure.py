#!/usr/bin/env python3
"""The shape of the sources, which make layering checks:
- no cycles between source files: from the objects' symbol tables (nm),
  file A depends on file B when A uses a function or variable B
  defines. A cycle is printed with the symbols that make each step of
  it; so is an object that defines what another defines.
- no source file over 600 lines and no function over 80 (from its "{" at
  the start of a line to its "}"), so that each reads in one sitting.

usage: structure.py OBJECT... -- SOURCE...
"""
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True,
                         text=True, check=True).stdout
    defined = {line.split()[-1] for line in out.splitlines() if line.strip()}
    out = subprocess.run(["nm", "--undefined-only", "-g", obj], capture_output=True,
                         text=True, check=True).stdout
    used = {line.split()[-1] for line in out.splitlines() if line.strip()}
    return defined, used


MAX_FILE, MAX_FUNCTION = 600, 80


def sizes(sources):
    problems = []
    for path in sources:
        with open(path) as f:
            lines = f.read().split("\n")
        if len(lines) - 1 > MAX_FILE:
            problems.append("%s: %d lines (at most %d)" % (path, len(lines) - 1, MAX_FILE))
        start = None
        for n, line in enumerate(lines, 1):
            if line.startswith("{"):
                start, name = n, lines[n - 2].split("(")[0] if n > 1 else "?"
            elif line.startswith("}") and start is not None:
                if n - start > MAX_FUNCTION:
                    problems.append("%s:%d: %s is %d lines (at most %d)"
                                    % (path, start, name, n - start, MAX_FUNCTION))
                start = None
    for p in problems:
        print("size: " + p)
    return not problems


def main(objs):
    name = {o: os.path.splitext(os.path.relpath(o))[0] for o in objs}
    owner, uses = {}, {}
    for o in objs:
        defined, used = symbols(o)
        uses[o] = used
        for sym in defined:
            if sym in owner:
                sys.exit("structure: %s is defined in %s and in %s" % (sym, name[owner[sym]], name[o]))
            owner[sym] = o
    edges = {o: {} for o in objs}
    for o in objs:
        for sym in uses[o]:
            if sym in owner and owner[sym] != o:
                edges[o].setdefault(owner[sym], []).append(sym)
    # depth-first search; a back edge closes a cycle
    state, stack, cycles = {}, [], []

    def visit(o):
        state[o] = "open"
        stack.append(o)
        for d in sorted(edges[o]):
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[o] = "done"
    for o in sorted(objs):
        if o not in state:
            visit(o)
    for c in cycles:
        steps = ["%s -> %s (%s)" % (name[a], name[b], ", ".join(sorted(edges[a][b])[:3]))
                 for a, b in zip(c, c[1:])]
        print("cycle: " + "; ".join(steps))
    if cycles:
        return False
    print("structure: no cycles among %d source files" % len(objs))
    return True


if __name__ == "__main__":
    args = sys.argv[1:]
    cut = args.index("--") if "--" in args else len(args)
    ok = main(args[:cut])
    if cut < len(args):
        ok = sizes(args[cut + 1:]) and ok
        if ok:
            print("structure: %d sources within %d lines a file, %d a function"
                  % (len(args) - cut - 1, MAX_FILE, MAX_FUNCTION))
    sys.exit(0 if ok else 1)
