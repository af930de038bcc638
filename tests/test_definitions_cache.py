"""`load_definitions(path, cache=True)`: an identical load is read back from disk; anything the
load reads changing, a failing load, or a tree the key cannot cover loads in full."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from emulator.core._errors import DefinitionError
from emulator.definitions import load_definitions
from emulator.definitions._load_cache import KEEP, DiskCache, cache_key

WAIT = "name: Wait\nsteps:\n  - {ref: delay_1, type: delay, settings: {delay_for: 1h}}\n"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


@pytest.fixture(autouse=True)
def _bytecode_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # the suite runs without bytecode


def _cache(tmp_path: Path) -> DiskCache:
    return DiskCache(tmp_path / "cache")


def _workflows(tmp_path: Path, text: str = WAIT) -> Path:
    root = tmp_path / "workflows"
    root.mkdir(parents=True, exist_ok=True)
    (root / "wait.yaml").write_text(text)
    return root


def test_a_second_identical_load_is_read_from_disk_and_equal(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    first = cache.load(FIXTURES)
    reader = DiskCache(cache.directory)  # a new session: nothing in memory
    again = reader.load(FIXTURES)
    assert (cache.hits, reader.hits) == (0, 1)
    assert again == first == load_definitions(FIXTURES)
    assert again is not first
    assert again.guides  # the whole model came back
    assert again.partials


def test_a_changed_file_misses_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    root = _workflows(tmp_path)
    first = cache.load(root)
    stat = (root / "wait.yaml").stat()
    (root / "wait.yaml").write_text(WAIT.replace("1h", "2h"))
    os.utime(root / "wait.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    changed = cache.load(root)
    assert cache.hits == 0
    assert changed == load_definitions(root) != first


def test_an_added_file_misses(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    root = _workflows(tmp_path)
    cache.load(root)
    (root / "more.yaml").write_text(WAIT)
    assert sorted(cache.load(root).workflows) == ["more", "wait"]
    assert cache.hits == 0


def test_a_failing_load_is_never_kept_and_fails_the_same_every_time(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    root = _workflows(tmp_path, "name: Broken\nsteps: [{ref: x, type: teleport}]\n")
    errors = []
    for _ in range(2):
        with pytest.raises(DefinitionError) as caught:
            cache.load(root)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    with pytest.raises(DefinitionError) as uncached:
        load_definitions(root)
    assert str(uncached.value) == errors[0]
    assert not (tmp_path / "cache").exists()


def test_warnings_come_back_with_the_definitions(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    root = _workflows(tmp_path)
    (root / "empty.yaml").write_text("# nothing yet\n")
    first = cache.load(root)
    assert first.warnings
    reader = DiskCache(cache.directory)
    assert reader.load(root).warnings == first.warnings
    assert reader.hits == 1


def test_the_working_directory_is_part_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _workflows(tmp_path)
    monkeypatch.chdir(tmp_path)
    inside = cache_key(root)
    monkeypatch.chdir(root)
    assert cache_key(root) != inside  # problems name files relative to the working directory


@pytest.mark.parametrize("tree", ["file", "symlink", "knock.json", "too many"])
def test_what_the_key_cannot_cover_is_loaded_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tree: str
) -> None:
    root = _workflows(tmp_path)
    target: Path = root
    if tree == "file":
        target = root / "wait.yaml"
    elif tree == "symlink":
        (root / "linked.yaml").symlink_to(root / "wait.yaml")
    elif tree == "knock.json":
        (root / "knock.json").write_text(json.dumps({"knockDir": "."}))
    else:
        monkeypatch.setattr("emulator.definitions._load_cache.MAX_FILES", 0)
    assert cache_key(target) is None
    cache = _cache(tmp_path)
    cache.load(target)
    cache.load(target)
    assert cache.hits == 0
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("content", [b"", b"\x80\x05garbage", b"\x80\x04\x95\x05\x00N."])
def test_an_unreadable_entry_is_loaded_afresh_and_replaced(tmp_path: Path, content: bytes) -> None:
    cache = _cache(tmp_path)
    root = _workflows(tmp_path)
    name = cache_key(root)
    assert name is not None
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / name).write_bytes(content)
    assert list(cache.load(root).workflows) == ["wait"]
    reader = DiskCache(cache.directory)
    assert list(reader.load(root).workflows) == ["wait"]
    assert (cache.hits, reader.hits) == (0, 1)  # the entry was replaced


def test_nothing_is_written_under_dont_write_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _cache(tmp_path).load(_workflows(tmp_path))
    assert not (tmp_path / "cache").exists()


def test_at_most_keep_entries_are_kept(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    for n in range(KEEP + 3):
        cache.load(_workflows(tmp_path / str(n)))
    assert len(list((tmp_path / "cache").glob("definitions-*.pickle"))) == KEEP


def test_without_cache_nothing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "prefix"))
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    load_definitions(_workflows(tmp_path))
    assert not (tmp_path / "prefix").exists()
    load_definitions(_workflows(tmp_path), cache=True)
    assert list((tmp_path / "prefix").rglob("definitions-*.pickle"))
