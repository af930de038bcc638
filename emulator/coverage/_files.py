"""Coverage data files: write one, read one, combine several (CI jobs that test in steps)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from emulator.coverage._model import CoverageData, DataFormatError

DEFAULT_DATA_FILE = ".doorstep-coverage"


def write_data(data: CoverageData, path: str | Path) -> Path:
    """Write `data` as JSON (schema v1) to `path`."""
    target = Path(path)
    if target.parent != Path():
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data.to_json(), indent=1) + "\n", encoding="utf-8")
    return target


def read_data(path: str | Path) -> CoverageData:
    """Read a data file (or a JSON report: the same schema); DataFormatError names the file."""
    source = Path(path)
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFormatError(f"{source}: cannot read coverage data ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{source}: not JSON coverage data ({exc})") from None
    return CoverageData.from_json(raw, name=str(source))


def combine_files(paths: Iterable[str | Path]) -> CoverageData:
    """Every file's data added up (the same workflow in several files: hits summed)."""
    out = CoverageData()
    for path in paths:
        out.update(read_data(path))
    return out
