"""Measuring for `bench/run_all.py`: CPU time, interleaved repeats, medians, ratios.

Every timing row compares a measured case with a baseline run in the same process, each
repeat running the two back to back (alternating which goes first), so a noisy shared
machine slows both alike. A case is a factory: it prepares (untimed) and returns the thunk
that is timed.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Thunk = Callable[[], Any]
Case = Callable[[], Thunk]


def cpu(thunk: Thunk) -> float:
    """CPU seconds `thunk()` takes in this process (all its threads), after a full collection."""
    gc.collect()
    start = time.process_time()
    thunk()
    return time.process_time() - start


def interleaved(cases: Sequence[Case], repeats: int, rotate: bool = True) -> list[list[float]]:
    """CPU seconds per case per repeat; each repeat runs every case, the order rotating
    (`rotate=False` keeps the given order, for cases that must run in sequence)."""
    times: list[list[float]] = [[] for _ in cases]
    for r in range(repeats):
        order = list(range(len(cases)))
        if rotate:
            order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            times[i].append(cpu(cases[i]()))
    return times


def ratio(measured: Case, baseline: Case, repeats: int = 7, rotate: bool = True) -> float:
    """Median over repeats of measured / baseline CPU time."""
    m, b = interleaved([measured, baseline], repeats, rotate)
    return statistics.median(x / y for x, y in zip(m, b, strict=True))


# Children read compiled bytecode as an installed package does (pip compiles at install), even
# where PYTHONDONTWRITEBYTECODE is set: otherwise every child would time compiling our sources
# (and not the dependencies', which have their .pyc). The cache lives outside the tree.
_PYCACHE = Path(tempfile.gettempdir()) / f"doorstep-bench-pycache-{os.getuid()}"


def child_run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -c code args` in a fresh interpreter with the bench's bytecode cache."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE)
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env
    )


def child_cpu(code: str, *args: str) -> float:
    """CPU seconds (user + system) of `python -c code` run in a fresh interpreter (the first
    run of a given code compiles the bytecode cache: call it once untimed before timing)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = child_run(code, *args)
    if done.returncode != 0:
        raise RuntimeError(f"python -c {code[:60]!r} failed:\n{done.stdout[-2000:]}{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass(frozen=True)
class Result:
    """One row's outcome: what was measured (text) and whether the goal is met."""

    now: str
    met: bool


@dataclass(frozen=True)
class Row:
    """A line of the table: the measure, its goal, and the function that measures it."""

    key: str
    measure: str
    goal: str
    run: Callable[[float], Result]  # the argument scales the workload (1.0: the size)


def times(x: float) -> str:
    return f"{x:.2f}x"
