#!/usr/bin/env python3
"""The shape of the sources, which make layering checks:
- no cycles between source files: from the objects' symbol tables (nm),
  file A depends on file B when A uses a function or variable B
  defines. A cycle is printed with the symbols that make each step of
  it; so is an object that defines what another defines.
- each header is implemented by the source file of the same name, or
  says at its top which files implement it ("Implemented by: a.c and
  b.c."): every function a source file defines and a header declares
  must come from that header's file or from one its line names.
- no source file over 600 lines and no function over 80 (from its "{" at
  the start of a line to its "}"), so that each reads in one sitting.

usage: structure.py OBJECT... -- SOURCE... [-- HEADER...]
"""
import os
import re
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


def implemented_by(text):
    """The file names of a header's "Implemented by:" sentence, or None."""
    at = text.find("Implemented by:")
    if at < 0:
        return None
    sentence = text[at:text.index(".\n", at)]
    return set(re.findall(r"[\w-]+\.c", sentence))


def header_owners(objs, headers):
    """Every function a source defines, declared in a header, is the
    header's own file's or a file its "Implemented by:" names."""
    decls = {}
    for h in headers:
        with open(h) as f:
            text = f.read()
        code = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
        decls[h] = (code, implemented_by(text))
        if decls[h][1] is None and not any(
                os.path.basename(os.path.splitext(o)[0]) == os.path.basename(h)[:-2]
                for o in objs):
            print("header: %s has no %s.c and no \"Implemented by:\" line"
                  % (h, os.path.basename(h)[:-2]))
            return False
    problems = []
    for o in objs:
        src = os.path.basename(os.path.splitext(o)[0]) + ".c"
        out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True,
                             text=True, check=True).stdout
        funcs = [l.split()[-1] for l in out.splitlines() if l.split()[-2:-1] == ["T"]]
        for sym in funcs:
            if sym == "main":
                continue
            for h, (text, owners) in decls.items():
                if not re.search(r"\b%s\s*\(" % re.escape(sym), text):
                    continue
                own = os.path.basename(h)[:-2] + ".c"
                if src != own and (owners is None or src not in owners):
                    problems.append("%s defines %s, declared in %s, which names %s"
                                    % (src, sym, h, sorted(owners) if owners else own))
    for p in problems:
        print("header: " + p)
    if not problems:
        print("structure: %d headers, each implemented by its own file or the files it names"
              % len(headers))
    return not problems


if __name__ == "__main__":
    args = sys.argv[1:]
    cut = args.index("--") if "--" in args else len(args)
    ok = main(args[:cut])
    rest = args[cut + 1:]
    headers = rest[rest.index("--") + 1:] if "--" in rest else []
    sources = rest[:rest.index("--")] if "--" in rest else rest
    if headers:
        ok = header_owners(args[:cut], headers) and ok
    if sources:
        ok = sizes(sources) and ok
        if ok:
            print("structure: %d sources within %d lines a file, %d a function"
                  % (len(sources), MAX_FILE, MAX_FUNCTION))
    sys.exit(0 if ok else 1)
