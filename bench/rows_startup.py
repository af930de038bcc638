"""Rows about start-up: `import emulator` against importing its dependencies alone."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import Result, Row, child_cpu, times

LAZY = ("aiosmtpd", "httpx", "jsonschema")
_LOADED = """
import sys
before = set(sys.modules)
import emulator
mods = [m for m in sys.modules if m not in before and m.split('.')[0] not in ('emulator',)]
print(__import__('json').dumps(mods))
"""
_IMPORT_ALL = """
import importlib, json, sys
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def import_time(scale: float) -> Result:
    out = subprocess.run(
        [sys.executable, "-c", _LOADED], check=True, capture_output=True, text=True
    ).stdout
    deps: list[str] = json.loads(out)
    eager = [m for m in LAZY if m in deps]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "deps.json"
        listing.write_text(json.dumps(deps))
        for r in range(max(5, int(11 * scale))):
            ours = theirs = 0.0
            for which in (r % 2, 1 - r % 2):  # alternate which goes first
                if which == 0:
                    ours = child_cpu("import emulator")
                else:
                    theirs = child_cpu(_IMPORT_ALL, str(listing))
            ratios.append(ours / theirs)
    found = statistics.median(ratios)
    loaded = ", ".join(eager) if eager else "none"
    return Result(f"{times(found)}; {loaded}", found <= 1.05 and not eager)


ROWS = [
    Row(
        "import",
        "`import emulator` vs its dependencies alone; aiosmtpd, httpx, jsonschema loaded",
        "≤ 1.05x; none",
        import_time,
    ),
]
