"""Every performance measure of issue 15 in one table: measure, now, goal, verdict.

Each timing is a ratio against a baseline measured in the same process (CPU time, the median
of interleaved repeats), so the table means the same on a fast or a busy machine.

    python bench/run_all.py                 # the whole table at the issue's sizes
    python bench/run_all.py --scale 0.2     # smaller workloads, quicker and noisier
    python bench/run_all.py queries outbox  # only these rows (keys in the first column)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_coverage
import bench_durable
import rows_engine
import rows_pytest
import rows_servers
import rows_startup
import rows_state
from _measure import Result, Row

_MODULES = (rows_engine, rows_state, rows_servers, rows_pytest, rows_startup, bench_coverage)
_ALL = {r.key: r for module in (*_MODULES, bench_durable) for r in module.ROWS}
ORDER = "engine gc memory timers queries mailpit outbox intake days second fixture startup import"
ROWS: list[Row] = [_ALL[key] for key in [*ORDER.split(), "smtp", "resend", "coverage", "restart"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keys", nargs="*", help="row keys to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="workload size (1.0: issue's)")
    args = parser.parse_args(argv)
    unknown = set(args.keys) - {r.key for r in ROWS}
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; known: {[r.key for r in ROWS]}")
    rows = [r for r in ROWS if not args.keys or r.key in args.keys]
    print("| key | measure | now | goal | verdict |")
    print("|---|---|---|---|---|")
    for row in rows:
        start = time.perf_counter()
        result: Result = row.run(args.scale)
        verdict = "met" if result.met else "**not met**"
        print(f"| {row.key} | {row.measure} | {result.now} | {row.goal} | {verdict} |", flush=True)
        print(f"  ({row.key}: {time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
