"""Summarise `mutmut results --all true` per module: killed / total mutants of the method core (the `make mutate` report).

Usage: python tools/mutation_score.py [results.txt]  (reads `mutmut results --all true` from stdin or a file).
       python tools/mutation_score.py --every N results.txt   prints every N-th core mutant's name (a deterministic
       sample, in name order, for `make mutate EVERY=N`); --only names.txt scores only the mutants named there.
Mutants of fbr_nb.train other than the FBR callback's are not part of the core and are left out.
"""
import re, sys
from collections import Counter, defaultdict

CORE = ["cam", "prototypes", "queries", "nroi", "bank", "fb_contrast", "sampling", "if_contrast", "loss", "train"]
LINE = re.compile(r"^\s*(fbr_nb\.(\w+)\.\S+?)__mutmut_\d+: (.+?)\s*$")


def core_mutants(text: str) -> list:
    "Names of the core's mutants in a stable order (function, then mutant number)."
    names = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m and m.group(2) in CORE and (m.group(2) != "train" or "FBRCallback" in m.group(1)):
            names.append(line.strip().rsplit(":", 1)[0])
    return sorted(names, key=lambda n: (n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])))


def summarise(text: str, only: set | None = None):
    by_mod, survivors = defaultdict(Counter), []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m: continue
        name, mod, status = m.group(1), m.group(2), m.group(3)
        if mod not in CORE or (mod == "train" and "FBRCallback" not in name): continue
        if only is not None and line.strip().rsplit(":", 1)[0] not in only: continue
        by_mod[mod][status] += 1
        if status == "survived": survivors.append(line.strip().rsplit(":", 1)[0])
    return by_mod, survivors


def report(by_mod, survivors) -> str:
    rows, tot = ["| module | mutants | killed | survived | other | score |", "|---|---|---|---|---|---|"], Counter()
    for mod in CORE:
        c = by_mod.get(mod)
        if not c: continue
        n, k, s = sum(c.values()), c["killed"] + c["timeout"], c["survived"]
        tot.update(n=n, k=k, s=s)
        rows.append(f"| {mod} | {n} | {k} | {s} | {n - k - s} | {100 * k / n:.1f} % |")
    if tot["n"]: rows.append(f"| **all** | {tot['n']} | {tot['k']} | {tot['s']} | {tot['n'] - tot['k'] - tot['s']} | "
                             f"**{100 * tot['k'] / tot['n']:.1f} %** |")
    return "\n".join(rows + ["", f"survivors ({len(survivors)}):"] + [f"- {s}" for s in survivors])


if __name__ == "__main__":
    args = sys.argv[1:]
    every, only = None, None
    while args[:1] and args[0].startswith("--"):
        if args[0] == "--every": every = int(args[1])
        elif args[0] == "--only": only = set(open(args[1]).read().split())
        else: raise SystemExit(f"unknown option {args[0]}")
        args = args[2:]
    text = open(args[0]).read() if args else sys.stdin.read()
    if every: print("\n".join(core_mutants(text)[::every]))
    else: print(report(*summarise(text, only)))
