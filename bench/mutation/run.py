#!/usr/bin/env python3
"""Mutation score of slotsim's oracle: how many realistic engine bugs the
checkers catch, and how fast.

For each mutant of bench/mutation/mutants.txt (one-line edits of engine/):
  1. apply it to the working tree (the file is restored afterwards, even on
     Ctrl-C);
  2. build `slotsim` in build-mutation/ (a build directory of its own);
  3. run `slotsim explore` on each profile in turn (faults, migration,
     all) for a third of the time budget each, two jobs, stopping at the
     first finding; if none found it, run the library suite with one seed
     per scenario (pinned seeds where a scenario has them);
  4. record which checker found it first, after how many seeds and
     seconds, how far the finding shrank, and what the suite saw.

Before the first mutant, the clean engine is swept (--baseline-seeds per
profile, cached in bench/mutation/baseline.json for the commit): the seeds
it fails are excluded from every mutant's explore, so a finding is the
mutant's own. A mutant whose explore ran past the swept seeds is marked.

Results go to a TSV file (one row per mutant, appended as each finishes,
so a long run can be resumed with --skip-done) and a Markdown table on
stdout. Budgets are wall-clock seconds on this machine: quote them with the
machine. The clean engine's false-alarm rate is measured separately (see
bench/README.md).

  bench/mutation/run.py [--budget 300] [--only NAME ...] [--tsv FILE] [--skip-done]
  bench/mutation/run.py --check   (every mutant still applies: a ctest)
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build-mutation")
BIN = os.path.join(BUILD, "cli", "slotsim")
PROFILES = ["faults", "migration", "all"]
FIELDS = ["name", "area", "file", "find", "replace", "why"]


def parse_mutants(path):
    mutants, cur = [], {}
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if cur:
                    mutants.append(cur)
                    cur = {}
                continue
            key, sep, value = line.partition(": ")
            if not sep or key not in FIELDS:
                sys.exit(f"{path}: bad line: {line!r}")
            cur[key] = value
    if cur:
        mutants.append(cur)
    for m in mutants:
        missing = [k for k in FIELDS if k not in m]
        if missing:
            sys.exit(f"{path}: mutant {m.get('name', '?')} lacks {missing}")
    return mutants


class Applied:
    """Applies one mutant for the duration of a `with` block."""

    def __init__(self, m):
        self.path = os.path.join(ROOT, m["file"])
        self.m = m

    def __enter__(self):
        with open(self.path) as f:
            self.original = f.read()
        if self.original.count(self.m["find"]) != 1:
            raise RuntimeError(f"{self.m['name']}: find text occurs "
                               f"{self.original.count(self.m['find'])} times in {self.m['file']}")
        with open(self.path, "w") as f:
            f.write(self.original.replace(self.m["find"], self.m["replace"], 1))
        return self

    def __exit__(self, *exc):
        with open(self.path, "w") as f:
            f.write(self.original)


def build():
    if not os.path.exists(os.path.join(BUILD, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", ROOT, "-B", BUILD, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                       check=True, stdout=subprocess.DEVNULL)
    r = subprocess.run(["cmake", "--build", BUILD, "--target", "slotsim", "-j", "2"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0, r.stdout[-2000:]


def explore(profile, seconds, out_dir, exclude=()):
    start = time.monotonic()
    cmd = [BIN, "explore", "--time", str(seconds), "--profile", profile, "--jobs", "2",
           "--shrink-runs", "60", "--out", out_dir, "--json"]
    if exclude:
        cmd += ["--exclude-seeds", ",".join(str(x) for x in sorted(exclude))]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wall = time.monotonic() - start
    try:
        summary = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"profile": profile, "error": f"exit {r.returncode}, no summary"}
    out = {"profile": profile, "seeds": summary.get("seeds_explored"), "wall": round(wall, 1)}
    f = summary.get("finding")
    if f:
        out.update(violation=f["violation"], seed=f["seed"],
                   shrink=f"{f['original_fault_steps']} -> {f['fault_steps']}",
                   find_seconds=round(summary.get("wall_seconds", wall), 1))
    return out


def baseline(seeds, path):
    """The clean engine's failing seeds per profile (explore --keep-going over
    the first `seeds`), cached in `path` for the commit: a mutant's explore
    skips them, so what it finds is what the mutant added. The "all"
    profile fails on the clean engine by design (Redis's native-migration
    weakness under faults), and faults/migration should not fail at all."""
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    if os.path.exists(path):
        with open(path) as f:
            cached = json.load(f)
        if cached.get("commit") == head and cached.get("seeds") == seeds:
            return cached
    out = {"commit": head, "seeds": seeds, "failing": {}}
    for p in PROFILES:
        print(f"baseline: clean engine, {p}, {seeds} seeds", file=sys.stderr, flush=True)
        start = time.monotonic()
        r = subprocess.run([BIN, "explore", "--seeds", str(seeds), "--profile", p, "--jobs", "2",
                            "--keep-going", "--shrink-runs", "0", "--out",
                            os.path.join(BUILD, "mutation-work", "baseline", p), "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        out["failing"][p] = {str(f["seed"]): f["violation"] for f in summary.get("failures", [])}
        out.setdefault("wall", {})[p] = round(time.monotonic() - start, 1)
        print(f"  {len(out['failing'][p])} failing: {out['failing'][p]}", file=sys.stderr,
              flush=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    return out


def suite(out_db):
    if os.path.exists(out_db):
        os.remove(out_db)
    r = subprocess.run([BIN, "suite", os.path.join(ROOT, "scenarios"), "--seeds", "1", "--jobs",
                        "2", "--db", out_db], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if r.returncode == 0:
        return []
    q = subprocess.run(["sqlite3", out_db,
                        "SELECT scenario, json_extract(violations, '$[0].id') FROM runs "
                        "WHERE outcome NOT IN ('pass', 'expected')"],
                       stdout=subprocess.PIPE, text=True)
    return [line.split("|") for line in q.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=float, default=300,
                    help="explore seconds per mutant, split across the profiles")
    ap.add_argument("--only", nargs="*", help="mutant names to run")
    ap.add_argument("--tsv", default=os.path.join(ROOT, "bench", "mutation", "results.tsv"))
    ap.add_argument("--skip-done", action="store_true", help="skip mutants already in --tsv")
    ap.add_argument("--no-suite", action="store_true", help="explore only")
    ap.add_argument("--suite-always", action="store_true",
                    help="run the library suite for found mutants too (default: only for those "
                         "explore missed)")
    ap.add_argument("--baseline-seeds", type=int, default=800,
                    help="seeds of the clean engine's sweep per profile; their failures are "
                         "excluded from every mutant's explore")
    ap.add_argument("--every-profile", action="store_true",
                    help="explore every profile even after one found the mutant")
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutant still applies (its find occurs once)")
    args = ap.parse_args()
    if args.check:
        stale = []
        for m in parse_mutants(os.path.join(ROOT, "bench", "mutation", "mutants.txt")):
            with open(os.path.join(ROOT, m["file"])) as f:
                n = f.read().count(m["find"])
            if n != 1:
                stale.append(f"{m['name']}: {m['file']} has its find {n} times, wanted 1")
        if stale:
            sys.exit("mutants that no longer apply:\n  " + "\n  ".join(stale))
        print("every mutant applies")
        return
    if subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "--", "engine"]).returncode != 0:
        sys.exit("engine/ has uncommitted changes: mutants apply to a clean engine only")
    mutants = parse_mutants(os.path.join(ROOT, "bench", "mutation", "mutants.txt"))
    if args.only:
        mutants = [m for m in mutants if m["name"] in args.only]
    done = set()
    if args.skip_done and os.path.exists(args.tsv):
        with open(args.tsv) as f:
            done = {line.split("\t")[0] for line in f if line.strip()}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    work = os.path.join(BUILD, "mutation-work")
    os.makedirs(work, exist_ok=True)
    ok, log = build()
    if not ok:
        sys.exit("the clean engine does not build:\n" + log)
    base = baseline(args.baseline_seeds, os.path.join(ROOT, "bench", "mutation", "baseline.json"))
    rows = []
    for i, m in enumerate(mutants, 1):
        if m["name"] in done:
            continue
        print(f"[{i}/{len(mutants)}] {m['name']} ({m['area']})", file=sys.stderr, flush=True)
        with Applied(m):
            ok, log = build()
            if not ok:
                row = {"name": m["name"], "area": m["area"], "status": "build-failed",
                       "detail": log.splitlines()[-1] if log else ""}
            else:
                # The profiles run in turn, a third of the budget each; the
                # seconds to find count from the first profile's start, so
                # "found within the budget" means what it says.
                results, spent, first = [], 0.0, None
                for p in PROFILES:
                    d = os.path.join(work, m["name"], p)
                    shutil.rmtree(d, ignore_errors=True)
                    r = explore(p, args.budget / len(PROFILES), d,
                                {int(x) for x in base["failing"][p]})
                    if (r.get("seeds") or 0) > args.baseline_seeds:
                        r["beyond_baseline"] = True  # seeds the clean engine was not swept on
                    results.append(r)
                    if "violation" in r:
                        r["find_seconds"] = round(spent + r["find_seconds"], 1)
                        if first is None:
                            first = r
                        if not args.every_profile:
                            break
                    spent += r.get("wall", 0)
                # The library suite is the second chance: it runs when explore
                # missed the mutant (or always, with --suite-always).
                run_suite = not args.no_suite and (first is None or args.suite_always)
                suite_hits = suite(os.path.join(work, "suite.db")) if run_suite else []
                row = {"name": m["name"], "area": m["area"],
                       "status": "killed" if (first or suite_hits) else "survived",
                       "checker": first["violation"] if first else
                       (suite_hits[0][1] if suite_hits else ""),
                       "profile": first["profile"] if first else "",
                       "seed": first["seed"] if first else "",
                       "seconds": first["find_seconds"] if first else "",
                       "shrink": first["shrink"] if first else "",
                       "suite": ";".join(f"{s}:{v}" for s, v in suite_hits[:3]),
                       "explored": json.dumps(results)}
        rows.append(row)
        with open(args.tsv, "a") as f:
            f.write("\t".join(str(row.get(k, "")) for k in
                              ["name", "area", "status", "checker", "profile", "seed", "seconds",
                               "shrink", "suite", "explored"]) + "\n")
        print(f"  {row['status']} {row.get('checker', '')}", file=sys.stderr, flush=True)
    # Restore the clean binary's sources in the mutation build (next run).
    print("| mutant | area | found by | profile | seed | seconds | shrunk | suite |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['area']} | {r.get('checker') or r['status']} | "
              f"{r.get('profile', '')} | {r.get('seed', '')} | {r.get('seconds', '')} | "
              f"{r.get('shrink', '')} | {r.get('suite', '')} |")
    killed = sum(r["status"] == "killed" for r in rows)
    print(f"\n{killed} of {len(rows)} mutants killed", file=sys.stderr)


if __name__ == "__main__":
    main()
