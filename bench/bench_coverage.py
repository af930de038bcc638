"""Workflow coverage overhead (issue 16): a generated suite of N tests run with `--doorstep-cov`
against the same suite without it, both in this process with `pytest.main`; CPU time, median of
interleaved repeats (`_measure.ratio`). Each test identifies users and triggers the bundled
workflows (branches, a batch, a delay with conditions), then advances the clock.
Also the engine alone: the same triggers with and without a `Collector` attached (the worst
case: no pytest around them).

    python bench/bench_coverage.py              # goal: suite ratio <= 1.10
    python bench/bench_coverage.py --scale 0.2  # quicker, noisier
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import Result, Row, ratio, times

from emulator import Emulator, load_definitions
from emulator.coverage import Collector

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.10
TEST = """
def test_{n}(emulator):
    for user in ("u1", "payee_{n}"):
        emulator.identify(user, name="Ada", email="ada@example.com")
    emulator.trigger("invoice-created", ["u1"], data={{"invoice_id": "i{n}", "amount": "$1"}})
    for status in ("open", "paid"):
        emulator.trigger(
            "invoice-updated", ["u1", "payee_{n}"], data={{"invoice_id": "i{n}", "status": status}}
        )
    emulator.trigger("unseen-fallback", ["u1"], data={{"message": "hi", "message_id": "m{n}"}})
    emulator.advance(minutes=15)
    assert emulator.outbox.all()
"""


def write_suite(base: Path, count: int) -> Path:
    shutil.copytree(ROOT / "fixtures" / "workflows", base / "fixtures" / "workflows")
    (base / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        'doorstep_vars = {app_url: "https://app.example.com"}\n'
    )
    suite = base / "test_generated.py"
    suite.write_text("\n".join(TEST.format(n=n) for n in range(count)))
    return suite


def suite_case(suite: Path, *extra: str) -> Callable[[], Callable[[], None]]:
    args = [str(suite), "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:benchmark"]
    args += ["--rootdir", str(suite.parent), *extra]

    def prepare() -> Callable[[], None]:
        def run() -> None:
            with redirect_stdout(io.StringIO()):
                code = pytest.main(args)
            if code != 0:
                raise SystemExit(f"the generated suite failed (exit {code}) with {extra}")

        return run

    return prepare


def engine_case(count: int, observed: bool) -> Callable[[], Callable[[], None]]:
    definitions = load_definitions(ROOT / "fixtures" / "workflows")

    def prepare() -> Callable[[], None]:
        emu = Emulator(definitions, vars={"app_url": "https://app.example.com"})
        if observed:
            Collector().attach(emu)
        emu.identify("u1", email="ada@example.com")
        emu.identify("payee_1", email="pay@example.com")

        def run() -> None:
            for n in range(count):
                data = {"invoice_id": f"i{n}", "status": "paid"}
                emu.trigger("invoice-updated", ["u1", "payee_1"], data=data)
                emu.trigger("unseen-fallback", ["u1"], data={"message": "hi", "message_id": "m1"})
            emu.advance(minutes=15)

        return run

    return prepare


def overheads(scale: float, repeats: int = 5) -> tuple[int, float, float]:
    """(tests, suite ratio, engine ratio) at this workload scale (1.0: 200 tests)."""
    tests = max(10, int(200 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        suite = write_suite(Path(tmp), tests)
        sys.path.insert(0, tmp)
        suite_case(suite)()()  # warm imports and caches
        report = f"--doorstep-cov-report=json:{Path(tmp) / 'cov.json'}"
        covered = suite_case(suite, "--doorstep-cov", report)
        suite_ratio = ratio(covered, suite_case(suite), repeats=repeats)
        sys.path.remove(tmp)
    triggers = max(50, int(1000 * scale))
    engine_ratio = ratio(engine_case(triggers, True), engine_case(triggers, False), repeats=repeats)
    return tests, suite_ratio, engine_ratio


def _row(scale: float) -> Result:
    _, suite_ratio, engine_ratio = overheads(scale)
    return Result(f"{times(suite_ratio)} (engine alone {times(engine_ratio)})", suite_ratio <= GOAL)


ROWS = [
    Row(
        "coverage",
        "a generated pytest suite with `--doorstep-cov` vs without (workflow coverage)",
        f"≤ {GOAL:.2f}x",
        _row,
    )
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="workload size (1.0: 200 tests)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    tests, suite_ratio, engine_ratio = overheads(args.scale, args.repeats)
    verdict = "met" if suite_ratio <= GOAL else "NOT MET"
    print(f"{tests} tests, median of {args.repeats} interleaved repeats (CPU time)")
    print(f"  suite with --doorstep-cov / without : {suite_ratio:.3f}x (goal <= {GOAL}: {verdict})")
    print(f"  engine alone, collector / none      : {engine_ratio:.3f}x (no goal: the worst case)")
    return 0 if suite_ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
