#!/usr/bin/env python3
"""No cycles between source files: from the objects' symbol tables (nm),
file A depends on file B when A uses a function or variable B defines.
A cycle is printed with the symbols that make each step of it, and
fails the check; so does an object that defines what another defines.

usage: cycles.py OBJECT...
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


def main(objs):
    name = {o: os.path.splitext(os.path.relpath(o))[0] for o in objs}
    owner, uses = {}, {}
    for o in objs:
        defined, used = symbols(o)
        uses[o] = used
        for sym in defined:
            if sym in owner:
                sys.exit("cycles: %s is defined in %s and in %s" % (sym, name[owner[sym]], name[o]))
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
        return 1
    print("cycles: none among %d source files" % len(objs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
