"""How our modules load: a package's public names on first use (PEP 562), and the methods
`dataclasses` generates for our classes compiled once a machine, not once a process.

A package root lists each public name's home module; `from package import name` (or
`package.name`) imports that module then, once, and keeps the value in the package. Importing a
package so costs nothing more, and a module that needs one name loads only what that name needs:
`from emulator import Emulator` loads the facade, and the engine loads with the first `Emulator()`.

Every lazy name's module loads under the process's `MethodCache`. `dataclasses` writes each
method it generates (`__init__`, `__repr__`, `__eq__`, and for a frozen class `__setattr__`,
`__delattr__` and `__hash__`) as source text and compiles it with `exec`: ~0.5 ms per frozen
class, most of what importing our ~90 dataclasses costs. While a cache is active, that `exec`
takes the compiled code from a cache keyed by the exact source text: the methods are still the
ones `dataclasses` builds from that text; only compiling it again is skipped. The cache is kept
like bytecode, next to ours in `__pycache__` (or under PYTHONPYCACHEPREFIX), named for the
interpreter: written atomically, not written under PYTHONDONTWRITEBYTECODE, and silently not
written where the package is read-only (each start then compiles, as before). One module for
both: the cache is what lazy names load under, and a module of its own cost every
`from emulator import Emulator` a module more to find and read.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import marshal
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from importlib.util import MAGIC_NUMBER
from types import CodeType
from typing import Any

_MAX_ENTRIES = 4000  # past this a save keeps only what this process used (sources changed)
_ABSENT = object()


def lazy_exports(
    package: str, homes: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose names live in the modules `homes`
    lists by name relative to the package (`{"_clock": ("Clock", "Timer")}`); any other name is
    imported as a subpackage or module of `package` if there is one."""
    home: dict[str, str] = {}
    for module, names in homes.items():
        home.update(dict.fromkeys(names, f"{package}.{module}"))
    namespace = sys.modules[package].__dict__  # the package, as it is being initialised

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        with cached_dataclass_methods():  # our dataclasses' methods are compiled once a machine
            value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__


class MethodCache:
    """Compiled dataclass method sources by their text, read from and saved to `path`."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
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
        import dataclasses  # here: `import emulator` alone does not load it (nor `inspect`)

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
                    with open(self.path, "rb") as file:
                        data = file.read()
                    # Bytecode of another interpreter build (its magic number differs) is not
                    # ours to run: the file starts with the magic number, as a .pyc does.
                    # (A view, not a slice: copying ~0.5 MB costs a first Emulator() ~0.3 ms.)
                    ok = data[:4] == MAGIC_NUMBER
                    loaded = marshal.loads(memoryview(data)[4:]) if ok else None
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
        temporary = f"{os.fspath(self.path)}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(temporary), exist_ok=True)
            with open(temporary, "wb") as file:
                file.write(MAGIC_NUMBER + marshal.dumps(codes))
            os.replace(temporary, self.path)  # readers see the old file or the new one
            self._added = False
        except OSError:
            with suppress(FileNotFoundError):
                os.unlink(temporary)


@functools.cache  # the process's one cache, made with the first lazy name loaded
def _default() -> MethodCache:
    """The `MethodCache` kept in Doorstep's `__pycache__` (None where bytecode is not cached)."""
    try:
        bytecode = importlib.util.cache_from_source(__file__)
    except NotImplementedError:  # an interpreter without bytecode caching
        return MethodCache(None)
    name = f"dataclass-methods.{sys.implementation.cache_tag}.marshal"
    return MethodCache(os.path.join(os.path.dirname(bytecode), name))


def cached_dataclass_methods() -> AbstractContextManager[None]:
    """Activate the process's `MethodCache` (kept in Doorstep's `__pycache__`): for code that
    makes our dataclasses outside a lazy name's load (unpickling cached definitions)."""
    return _default().active()
