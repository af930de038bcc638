"""Rows about start-up: `from emulator import Emulator` against importing its dependencies alone.

`import emulator` alone loads nothing more (its names are imported on first use), so the row
times what a test or script needs: the `Emulator` and everything it imports."""

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
from emulator import Emulator
mods = [m for m in sys.modules if m not in before and m.split('.')[0] not in ('emulator',)]
print(__import__('json').dumps(mods))
"""
_OURS = "from emulator import Emulator"
_IMPORT_ALL = """
import importlib, json, sys
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def import_time(scale: float) -> Result:
    out = child_run(_LOADED).stdout
    deps: list[str] = json.loads(out)
    eager = [m for m in LAZY if m in deps]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "deps.json"
        listing.write_text(json.dumps(deps))
        child_cpu(_IMPORT_ALL, str(listing))  # untimed: fills the bytecode cache
        for r in range(max(5, int(11 * scale))):
            ours = theirs = 0.0
            for which in (r % 2, 1 - r % 2):  # alternate which goes first
                if which == 0:
                    ours = child_cpu(_OURS)
                else:
                    theirs = child_cpu(_IMPORT_ALL, str(listing))
            ratios.append(ours / theirs)
    found = statistics.median(ratios)
    loaded = ", ".join(eager) if eager else "none"
    return Result(f"{times(found)}; {loaded}", found <= 1.05 and not eager)


ROWS = [
    Row(
        "import",
        "`from emulator import Emulator` vs its dependencies alone; aiosmtpd, httpx, "
        "jsonschema loaded",
        "≤ 1.05x; none",
        import_time,
    ),
]
