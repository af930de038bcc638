"""Dataclass methods compiled once per machine, not once per process.

`dataclasses` writes each method it generates (`__init__`, `__repr__`, `__eq__`, and for a
frozen class `__setattr__`, `__delattr__` and `__hash__`) as source text and compiles it with
`exec`: ~0.5 ms per frozen class, most of what importing our ~90 dataclasses costs. While a
`MethodCache` is active (`emulator` activates one around loading its public names), that
`exec` takes the compiled code from a cache keyed by the exact source text. The methods are
still the ones `dataclasses` builds from that text; only compiling it again is skipped.

The cache is kept like bytecode, next to ours in `__pycache__` (or under PYTHONPYCACHEPREFIX),
named for the interpreter: written atomically, not written under PYTHONDONTWRITEBYTECODE, and
silently not written where the package is read-only (each start then compiles, as before).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import marshal
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any

_MAX_ENTRIES = 4000  # past this a save keeps only what this process used (sources changed)
_ABSENT = object()


class MethodCache:
    """Compiled dataclass method sources by their text, read from and saved to `path`."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.compiled = 0  # sources compiled (not found in the cache) by this instance
        self._codes: dict[str, CodeType] | None = None
        self._used: set[str] = set()
        self._added = False
        self._depth = 0
        self._previous: Any = _ABSENT
        self._lock = threading.RLock()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Within: classes made by `dataclasses` take their methods' code from the cache.
        Re-entrant; the outermost exit restores `dataclasses` and saves what was added."""
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._previous = vars(dataclasses).get("exec", _ABSENT)
                setattr(dataclasses, "exec", self._exec)  # noqa: B010 (shadows the builtin)
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    if self._previous is _ABSENT:
                        delattr(dataclasses, "exec")
                    else:
                        setattr(dataclasses, "exec", self._previous)  # noqa: B010
                    self._save()

    def _exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        if not isinstance(source, str):
            exec(source, globals, locals)
            return
        codes = self._load()
        code = codes.get(source)
        if code is None:
            # What `exec(source)` compiles in `dataclasses` (no __future__ flags there).
            code = compile(source, "<string>", "exec", dont_inherit=True)
            codes[source] = code
            self.compiled += 1
            self._added = True
        self._used.add(source)
        exec(code, globals, locals)

    def _load(self) -> dict[str, CodeType]:
        if self._codes is None:
            self._codes = {}
            if self.path is not None:
                try:
                    data = self.path.read_bytes()
                    # Bytecode of another interpreter build (its magic number differs) is not
                    # ours to run: the file starts with the magic number, as a .pyc does.
                    loaded = marshal.loads(data[4:]) if data[:4] == MAGIC_NUMBER else None
                except (OSError, EOFError, ValueError, TypeError):
                    loaded = None  # none yet, or unreadable: start afresh
                if isinstance(loaded, dict):
                    self._codes = {
                        k: v
                        for k, v in loaded.items()
                        if isinstance(k, str) and isinstance(v, CodeType)
                    }
        return self._codes

    def _save(self) -> None:
        if not self._added or self.path is None or sys.dont_write_bytecode:
            return
        codes = self._codes or {}
        if len(codes) > _MAX_ENTRIES:
            codes = {k: v for k, v in codes.items() if k in self._used}
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(MAGIC_NUMBER + marshal.dumps(codes))
            os.replace(temporary, self.path)  # readers see the old file or the new one
            self._added = False
        except OSError:
            temporary.unlink(missing_ok=True)


def _default_path() -> Path | None:
    try:
        bytecode = importlib.util.cache_from_source(__file__)
    except NotImplementedError:  # an interpreter without bytecode caching
        return None
    return Path(bytecode).with_name(f"dataclass-methods.{sys.implementation.cache_tag}.marshal")


_DEFAULT = MethodCache(_default_path())


def cached_dataclass_methods() -> AbstractContextManager[None]:
    """Activate the process's `MethodCache` (kept in Doorstep's `__pycache__`)."""
    return _DEFAULT.active()
