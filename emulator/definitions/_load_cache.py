"""`load_definitions`, with a cache on disk for what loads the same files at every start.

The pytest plugin loads the same workflows directory at the start of every session, and parsing
it (YAML, every step parser) is most of what its first test costs. With `cache=True` a load that
succeeds is kept, pickled, next to Doorstep's bytecode (`__pycache__`, or PYTHONPYCACHEPREFIX),
keyed by everything the load reads: the bytes of every file under the directory, the path as
given and resolved, the working directory (problems name files relative to it), the interpreter
and the definitions code (its files' sizes and times, as Python checks bytecode). A load that
fails is never kept, so every error is reported by the loader itself, as without the cache.

Not cached (loaded in full each time): a single file, a tree holding a symlink or a `knock.json`
(its `knockDir` may lie outside), a tree too big to hash quickly. Like bytecode, nothing is
written under PYTHONDONTWRITEBYTECODE or where the package is read-only; at most `KEEP` entries
are kept (the oldest go first).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.definitions._model import Definitions

KEEP = 16  # cache entries kept (one per workflows directory and working directory in use)
MAX_FILES = 2000  # a tree bigger than this is loaded without the cache
MAX_BYTES = 32 * 1024 * 1024
_FORMAT = b"doorstep-definitions-1"
_CODE = Path(__file__).resolve().parent  # emulator/definitions; the model uses emulator/core


def load_definitions(path: str | os.PathLike[str], *, cache: bool = False) -> Definitions:
    """Load all workflows, layouts, partials, guides and translations under `path`; one
    DefinitionError lists every problem.

    `cache=True` (what the pytest plugin passes) reuses the result of an earlier identical load
    of a directory, kept on disk (see the module docstring); errors are never cached."""
    if not cache:
        return _load_all(path)
    return DiskCache(_default_directory()).load(path)


class DiskCache:
    """Loaded definitions kept in `directory` (None: not kept), keyed by what the load reads."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0  # loads answered from the cache by this instance (for tests)

    def load(self, path: str | os.PathLike[str]) -> Definitions:
        """The definitions under `path`: from the cache when an identical load was kept."""
        key = None if self.directory is None else cache_key(path)
        entry = None if key is None or self.directory is None else self.directory / key
        if entry is not None:
            found = _read(entry)
            if found is not None:
                self.hits += 1
                return found
        definitions = _load_all(path)
        if entry is not None:
            _write(entry, definitions)
        return definitions


def cache_key(path: str | os.PathLike[str]) -> str | None:
    """The entry name for loading `path` now, or None where a cached load might not be exact."""
    import hashlib  # (not needed by a load without the cache)

    root = Path(path)
    try:
        if not root.is_dir() or root.is_symlink():
            return None
        files = _files(root)
        if files is None:
            return None
        digest = hashlib.sha256(_FORMAT)
        for part in (sys.version, os.getcwd(), os.fspath(path), str(root.resolve())):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(_code_stamp())
        total = 0
        for name in files:
            data = (root / name).read_bytes()
            total += len(data)
            if total > MAX_BYTES:
                return None
            digest.update(f"{name}\0{len(data)}\0".encode("utf-8", "surrogateescape") + data)
    except OSError:
        return None
    return f"definitions-{digest.hexdigest()[:40]}.{sys.implementation.cache_tag}.pickle"


def _files(root: Path) -> list[str] | None:
    """Every file under `root` (relative, sorted), or None: a symlink, a knock.json, too many."""
    found: list[str] = []
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(root / relative) as entries:
            for entry in entries:
                if entry.is_symlink() or entry.name == "knock.json":
                    return None
                name = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir():
                    pending.append(name)
                else:
                    found.append(name)
                    if len(found) > MAX_FILES:
                        return None
    return sorted(found)


def _code_stamp() -> bytes:
    """The definitions and core modules' sizes and times: a changed loader or model misses."""
    stamp = []
    for package in (_CODE, _CODE.parent / "core"):
        with os.scandir(package) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    stat = entry.stat()
                    stamp.append(f"{entry.path}\0{stat.st_mtime_ns}\0{stat.st_size}\0")
    return "".join(sorted(stamp)).encode("utf-8", "surrogateescape")


def _read(entry: Path) -> Definitions | None:
    import pickle

    from emulator._lazy import cached_dataclass_methods

    try:
        with open(entry, "rb") as file, cached_dataclass_methods():
            from emulator.definitions._model import Definitions

            found = pickle.load(file)  # our own file, trusted as our bytecode is
    except FileNotFoundError:
        return None
    except Exception:  # unreadable, truncated or from other code: load afresh and replace it
        return None
    return found if isinstance(found, Definitions) else None


def _write(entry: Path, definitions: Definitions) -> None:
    if sys.dont_write_bytecode:
        return
    import pickle

    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        data = pickle.dumps(definitions, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # something in them does not pickle: load in full each time
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, entry)  # readers see no entry or the whole entry
        _prune(entry.parent)
    except OSError:
        temporary.unlink(missing_ok=True)


def _prune(directory: Path) -> None:
    """Keep the `KEEP` newest entries (another process may be pruning too)."""
    entries = []
    for entry in directory.glob("definitions-*.pickle"):
        try:
            entries.append((entry.stat().st_mtime_ns, entry))
        except OSError:
            continue
    for _, entry in sorted(entries, reverse=True)[KEEP:]:
        entry.unlink(missing_ok=True)


def _default_directory() -> Path | None:
    try:
        return Path(importlib.util.cache_from_source(__file__)).parent
    except NotImplementedError:  # an interpreter without bytecode caching
        return None


def _load_all(path: str | os.PathLike[str]) -> Definitions:
    from emulator.definitions._load import load_all

    return load_all(path)
