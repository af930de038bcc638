"""Dataclass methods compiled once per machine: same methods, compiled only when not cached."""

from __future__ import annotations

import dataclasses
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from emulator._lazy import MethodCache

FIELDS: list[Any] = [("a", int), ("b", str, dataclasses.field(default="x"))]


@pytest.fixture(autouse=True)
def _writing_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches are saved as bytecode is: allowed here even under PYTHONDONTWRITEBYTECODE."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def _make(cache: MethodCache, **options: Any) -> type:
    with cache.active():
        return dataclasses.make_dataclass("Point", FIELDS, **options)


def _behaviour(cls: type) -> tuple[Any, ...]:
    one, same, other = cls(1), cls(1, "x"), cls(2, "y")
    hashed = hash(one) == hash(same) if cls.__hash__ is not None else None
    return repr(one), one == same, one == other, hashed, dataclasses.astuple(other)


@pytest.mark.parametrize("options", [{}, {"frozen": True}, {"frozen": True, "slots": True}])
def test_a_cached_class_has_the_methods_dataclasses_compiles(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    path = tmp_path / "methods.marshal"
    plain = dataclasses.make_dataclass("Point", FIELDS, **options)
    first = MethodCache(path)
    cold = _make(first, **options)
    second = MethodCache(path)  # a later process: reads what the first one saved
    warm = _make(second, **options)
    assert first.compiled > 0
    assert second.compiled == 0
    for cls in (cold, warm):
        assert _behaviour(cls) == _behaviour(plain)
        for name in ("__init__", "__repr__", "__eq__"):
            code, expected = getattr(cls, name).__code__, getattr(plain, name).__code__
            assert code.co_code == expected.co_code
            assert code.co_consts == expected.co_consts
    if options.get("frozen"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            warm(1).a = 2


def test_dataclasses_is_restored_after_use(tmp_path: Path) -> None:
    cache = MethodCache(tmp_path / "methods.marshal")
    with cache.active(), cache.active():  # re-entrant
        assert "exec" in vars(dataclasses)
    assert "exec" not in vars(dataclasses)


@pytest.mark.parametrize("content", [b"", b"not marshal", marshal.dumps([1, 2]), b"\xff" * 64])
def test_an_unreadable_cache_file_is_replaced(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "methods.marshal"
    path.write_bytes(content)
    cache = MethodCache(path)
    _make(cache)
    assert cache.compiled > 0
    assert len(marshal.loads(path.read_bytes()[4:])) == cache.compiled


def test_a_cache_from_another_interpreter_build_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "methods.marshal"
    _make(MethodCache(path))
    data = path.read_bytes()
    path.write_bytes(bytes(4) + data[4:])  # the same code under another magic number
    again = MethodCache(path)
    _make(again)
    assert again.compiled > 0
    assert path.read_bytes()[:4] == data[:4]


def test_nothing_is_written_without_bytecode_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "methods.marshal"
    _make(MethodCache(path))
    assert not path.exists()


def test_a_read_only_place_only_costs_the_compile(tmp_path: Path) -> None:
    path = tmp_path / "missing-file-as-directory"
    path.mkdir()  # the file cannot be replaced: the save gives up silently
    cache = MethodCache(path)
    cls = _make(cache)
    assert cls(1) == cls(1)
    assert path.is_dir()


def test_importing_the_emulator_fills_the_cache_once(tmp_path: Path) -> None:
    script = (
        "import emulator._lazy as m\n"
        "from emulator import Emulator\n"
        "Emulator()\n"  # the engine (its dataclasses) loads with the first Emulator
        "print(m._default().compiled)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path)  # a fresh bytecode cache: nothing cached yet

    def compiled() -> int:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        return int(done.stdout)

    assert compiled() > 100  # our dataclasses' methods, compiled and saved
    assert compiled() == 0  # the next start compiles none of them
