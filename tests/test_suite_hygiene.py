"""The suite itself: no time bombs, no skips of our own package, a reproducible CI profile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import settings

TESTS = Path(__file__).resolve().parent
HERE = Path(__file__).name

# pattern, why it is refused
BANNED = [
    (r"importorskip\(\s*[\"'](emulator|pytest_plugin)", "our own package is installed: import it"),
    (r"\.year\s*[<>]=?\s*20\d\d", "compares today's year with a fixed year: a time bomb"),
    (r"now\([^)]*\)\s*[<>]=?\s*datetime\(20\d\d", "compares real time with a fixed date"),
]


@pytest.mark.parametrize(("pattern", "why"), BANNED, ids=[b[1] for b in BANNED])
def test_no_test_file_has(pattern: str, why: str) -> None:
    hits = [
        f"{path.name}:{number}"
        for path in sorted(TESTS.glob("*.py"))
        if path.name != HERE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert hits == [], why


@pytest.mark.parametrize(
    ("field", "expected"), [("derandomize", True), ("max_examples", 50), ("deadline", None)]
)
def test_ci_hypothesis_profile_is_derandomized_and_bounded(field: str, expected: object) -> None:
    assert getattr(settings.get_profile("ci"), field) == expected
