"""``python -m benchmarks [--size tiny|small|full] [--json] [--only NAME] [--inproc]``

Each benchmark runs in its own child process (so its peak RSS is its own), unless
``--inproc``. Prints a table, then (with ``--json``) one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

from benchmarks.core import BENCHMARKS, OPT_IN, SIZES, Result, run_benchmark


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "python": platform.python_version(),
            "platform": platform.platform()}


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def table(results: list[Result]) -> str:
    head = ["name", "value", "unit", "baseline", "ratio", "target", "met", "peak RSS MB"]
    rows = [[r.name, fmt(r.value), r.unit, fmt(r.baseline), fmt(r.ratio), r.target, fmt(r.met),
             fmt(r.peak_rss_mb)] for r in results]
    widths = [max(len(h), *(len(x[i]) for x in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) + " |" for x in rows]
    return "\n".join(lines)


def run_child(name: str, size: str) -> list[Result]:
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--size", size, "--only", name, "--inproc",
                           "--json-only"], capture_output=True, text=True)
    if proc.returncode != 0:
        err = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [Result(name, 0.0, "", None, "", None, "", None, notes={"error": err})]
    return [Result(**d) for d in json.loads(proc.stdout)["results"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--json", action="store_true", help="also print the results as JSON")
    ap.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only this one (repeatable)")
    ap.add_argument("--inproc", action="store_true", help="run in this process (peak RSS then accumulates)")
    args = ap.parse_args(argv)
    names = args.only or [n for n in BENCHMARKS if n not in OPT_IN]
    results: list[Result] = []
    t0 = time.perf_counter()
    for name in names:
        got = run_benchmark(name, args.size) if args.inproc else run_child(name, args.size)
        results.extend(got)
        if not args.json_only:
            print(f"# {name}: done ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    doc = {"size": args.size, "sizes": SIZES[args.size], "machine": machine(),
           "wall_seconds": round(time.perf_counter() - t0, 1), "results": [r.as_dict() for r in results]}
    if args.json_only:
        print(json.dumps(doc))
        return 0
    print(table(results))
    for r in results:
        if r.notes:
            print(f"  {r.name}: {json.dumps(r.notes, default=str)}")
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
