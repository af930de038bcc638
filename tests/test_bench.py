"""`bench/run_all.py` keeps working: a tiny pass over two rows prints the table with a verdict
per row (the figures themselves are the bench's business, never a test's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_all_prints_a_row_with_a_verdict_for_each_key_asked() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "queries", "second", "--scale", "0"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| q")]
    rows += [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| s")]
    assert [row[0] for row in rows] == ["| queries", "| second"]
    assert all(row[-1] in ("met |", "**not met** |") for row in rows)


def test_run_all_names_the_known_rows_when_asked_for_an_unknown_one() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "nonsense"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "unknown rows ['nonsense']" in done.stderr
    assert "'engine'" in done.stderr
