"""Rows about pytest: what the `emulator` fixture adds to a test, and what the plugin adds to a
session's start (each run in a fresh interpreter, CPU time of the child process)."""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from _measure import Result, Row, child_cpu

ROOT = Path(__file__).resolve().parent.parent
_PYTEST = "import sys, pytest; sys.exit(pytest.main(sys.argv[1:]))"
INI = f"[pytest]\ndoorstep_workflows = {ROOT / 'fixtures' / 'workflows'}\n"
_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist")


def _suite(base: Path, name: str, tests: int, params: str) -> str:
    path = base / name
    path.write_text("".join(f"def test_{n}({params}):\n    pass\n" for n in range(tests)))
    return str(path)


_TIMING = """
import os, time, pytest

_spent = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.process_time()
    yield
    _spent.append(time.process_time() - start)


def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as out:
        out.write(str(sum(_spent[1:]) / max(1, len(_spent) - 1)))  # the first test sets up
"""


def _alternating(first: list[str], second: list[str], repeats: int) -> list[tuple[float, float]]:
    pairs = []
    child_cpu(_PYTEST, *first)  # untimed: fills the bytecode cache
    child_cpu(_PYTEST, *second)
    for r in range(repeats):
        a = b = 0.0
        for which in (r % 2, 1 - r % 2):
            if which == 0:
                a = child_cpu(_PYTEST, *first)
            else:
                b = child_cpu(_PYTEST, *second)
        pairs.append((a, b))
    return pairs


def _per_test(path: str, base: Path) -> float:
    """CPU seconds per test (setup, call, teardown; the first test left out), in a child."""
    out = base / "per_test.txt"
    os.environ["BENCH_OUT"] = str(out)
    child_cpu(_PYTEST, path, *_ARGS, "--rootdir", str(base))
    return float(out.read_text())


def fixture_overhead(scale: float) -> Result:
    tests = max(100, int(500 * scale))
    added = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "pytest.ini").write_text(INI)
        (base / "conftest.py").write_text(_TIMING)
        with_fixture = _suite(base, "test_fixture.py", tests, "emulator")
        without = _suite(base, "test_plain.py", tests, "")
        for r in range(5):
            order = [with_fixture, without] if r % 2 == 0 else [without, with_fixture]
            spent = {path: _per_test(path, base) for path in order}
            added.append((spent[with_fixture] - spent[without]) * 1000)
    found = statistics.median(added)
    return Result(f"+{found:.2f} ms", found <= 0.15)


def session_start(scale: float) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "pytest.ini").write_text(INI)
        one = _suite(base, "test_one.py", 1, "emulator")
        plain = _suite(base, "test_plain.py", 1, "")
        pairs = _alternating(
            [one, *_ARGS, "--rootdir", tmp],
            [plain, *_ARGS, "--rootdir", tmp, "-p", "no:doorstep"],
            max(9, int(21 * scale)),  # a ~1 s session varies by more than the gap: many pairs
        )
    added = statistics.median(a - b for a, b in pairs) * 1000
    return Result(f"+{added:.0f} ms", added <= 150)


ROWS = [
    Row("fixture", "pytest: `emulator` fixture over an empty test", "≤ +0.15 ms", fixture_overhead),
    Row(
        "startup",
        "pytest: start to the end of the first test using the fixture, vs the same session "
        "without the plugin (CPU)",
        "≤ +150 ms",
        session_start,
    ),
]
