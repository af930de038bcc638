"""Line numbers for findings: where a step, a template or a token inside it sits in its file."""

from __future__ import annotations

from pathlib import Path

from emulator.definitions import Step


class LineFinder:
    """Finds where a template (or a token inside it) sits in its file, for annotations.

    Knock CLI templates often live in `@` files next to workflow.json, so the file's own
    directory is searched too; the first match wins. Returns None rather than guess wrong.
    """

    def __init__(self) -> None:
        self._cache: dict[str, list[str]] = {}

    def _lines(self, file: str) -> list[str]:
        if file not in self._cache:
            try:
                self._cache[file] = Path(file).read_text(encoding="utf-8").splitlines()
            except OSError:
                self._cache[file] = []
        return self._cache[file]

    def step_line(self, step: Step) -> int | None:
        """The line that declares `step`: `ref: x` in YAML, `"x"` in workflow.json."""
        file = step.source.file
        return self.find(file, "", f"ref: {step.ref}") or self.find(file, "", f'"{step.ref}"')

    def find(self, file: str, text: str, token: str) -> int | None:
        """The first line holding `token` at or after where `text` starts (its first line)."""
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        lines = self._lines(file)
        start = 0
        if first:
            start_at = next((i for i, ln in enumerate(lines) if first in ln), None)
            if start_at is None:
                return None
            start = start_at
        if not token:
            return start + 1
        hit = next((i for i in range(start, len(lines)) if token in lines[i]), None)
        return None if hit is None else hit + 1
