"""How loaders name a file in problems: relative to the working directory when inside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Show = Callable[[Path], str]
"""Turns a path into the text a problem shows; loaders take one so tests can pass `str`."""


def show(path: Path) -> str:
    """A path as users should read it: relative to the working directory when inside it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)
