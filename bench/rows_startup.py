"""Rows about start-up: `from emulator import Emulator` against importing its dependencies alone.

`import emulator` alone loads nothing more (its names are imported on first use), and
`from emulator import Emulator` loads the facade: the engine loads with the first `Emulator()`.
So the row also shows, not judged, the first `Emulator()` with the import against what those two
load (the engine's and the templates' dependencies) imported alone: the whole cost a test pays."""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from _measure import Result, Row, child_cpu, child_run, times

LAZY = ("aiosmtpd", "httpx", "jsonschema")
_LOADED = """
import sys
before = set(sys.modules)
{code}
mods = [m for m in sys.modules if m not in before and m.split('.')[0] not in ('emulator',)]
print(__import__('json').dumps(mods))
"""
_OURS = "from emulator import Emulator"
_FIRST = "from emulator import Emulator; Emulator()"  # the engine loads with the first Emulator()
_IMPORT_ALL = """
import importlib, json, sys
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def _vs_deps(code: str, tmp: Path, repeats: int) -> tuple[float, list[str]]:
    """Median CPU of `code` in a fresh interpreter over importing what it loads alone."""
    deps: list[str] = json.loads(child_run(_LOADED.format(code=code)).stdout)
    listing = tmp / f"deps-{len(deps)}.json"
    listing.write_text(json.dumps(deps))
    child_cpu(_IMPORT_ALL, str(listing))  # untimed: fills the bytecode cache
    child_cpu(code)
    ratios = []
    for r in range(repeats):
        ours = theirs = 0.0
        for which in (r % 2, 1 - r % 2):  # alternate which goes first
            if which == 0:
                ours = child_cpu(code)
            else:
                theirs = child_cpu(_IMPORT_ALL, str(listing))
        ratios.append(ours / theirs)
    return statistics.median(ratios), deps


def import_time(scale: float) -> Result:
    # Our part is ~1.5 ms of a ~45 ms child, whose CPU varies by more on a loaded machine: pairs
    # read 1.03-1.06x between quartiles, and the median of 11 moved 1.01-1.06x from run to run.
    repeats = max(21, int(41 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        found, deps = _vs_deps(_OURS, Path(tmp), repeats)
        first, _ = _vs_deps(_FIRST, Path(tmp), max(11, int(21 * scale)))  # shown, not judged
    eager = [m for m in LAZY if m in deps]
    loaded = ", ".join(eager) if eager else "none"
    shown = f"{found:.3f}x; {loaded} (import + first `Emulator()` vs their deps: {times(first)})"
    return Result(shown, found <= 1.05 and not eager)


ROWS = [
    Row(
        "import",
        "`from emulator import Emulator` vs its dependencies alone; aiosmtpd, httpx, "
        "jsonschema loaded",
        "≤ 1.05x; none",
        import_time,
    ),
]
