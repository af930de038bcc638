"""Knock CLI translations: `translations/<locale>/<locale>.json` and `<namespace>.<locale>.json`.

Each file becomes one table keyed by its name without `.json` (`"en"`, `"admin.en"`), the shape the
template layer's `t` filter and `{% t %}` tag read. PO files (which the CLI also supports) are
reported, not skipped silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.core import Problem
from emulator.definitions._paths import Show


def read_translations(
    directory: Path, show: Show
) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Every translation table under a `translations/` directory, or the problems found."""
    tables: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for locale_dir in sorted(p for p in directory.iterdir() if not p.name.startswith(".")):
        if not locale_dir.is_dir():
            problems.append(
                Problem(
                    show(locale_dir),
                    "",
                    "expected a locale directory such as `en/`",
                    "move the file into translations/<locale>/",
                )
            )
            continue
        for file in sorted(p for p in locale_dir.iterdir() if not p.name.startswith(".")):
            table = _read_table(file, locale_dir.name, show, problems)
            if table is not None:
                tables[file.name.removesuffix(".json")] = table
    return tables, problems


def _read_table(
    file: Path, locale: str, show: Show, problems: list[Problem]
) -> dict[str, Any] | None:
    """One `<locale>.json` or `<namespace>.<locale>.json` table; None (and a problem) if not."""
    name = file.name.removesuffix(".json")
    if file.suffix != ".json":
        fix = f"convert it to {locale}.json or <namespace>.{locale}.json"
        problems.append(Problem(show(file), "", "only JSON translation files are read", fix))
        return None
    if name != locale and not name.endswith(f".{locale}"):
        problems.append(
            Problem(
                show(file),
                "",
                f"a file in `{locale}/` must be named {locale}.json or <namespace>.{locale}.json",
                "rename the file",
            )
        )
        return None
    try:
        table = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(Problem(show(file), "", f"not valid JSON: {exc}", "fix the JSON syntax"))
        return None
    if not isinstance(table, dict):
        fix = 'write {"greeting": "Hello"}'
        problems.append(Problem(show(file), "", "must hold a JSON object of keys", fix))
        return None
    return table
