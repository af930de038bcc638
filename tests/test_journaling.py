"""`@journaled`: a decorated method looks like the method it wraps and records only with a
journal attached."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from emulator.core import journaled


class _Log:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []

    @contextmanager
    def recording(
        self, target: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Iterator[None]:
        self.calls.append((target, name, args, kwargs))
        yield


class _Thing:
    _journal: _Log | None = None

    @journaled("thing")
    def grow(self, by: int, *, twice: bool = False) -> int:
        """Grow by `by`."""
        return by * (2 if twice else 1)


def test_a_journaled_method_carries_what_functools_wraps_would_copy() -> None:
    method = _Thing.__dict__["grow"]
    original = method.__wrapped__
    expected = functools.update_wrapper(lambda: None, original)
    for name in (*functools.WRAPPER_ASSIGNMENTS, "__wrapped__"):
        assert getattr(method, name) == getattr(expected, name), name
    assert inspect.signature(method) == inspect.signature(original)


def test_calls_are_recorded_only_with_a_journal() -> None:
    thing = _Thing()
    assert thing.grow(2) == 2
    thing._journal = log = _Log()
    assert thing.grow(3, twice=True) == 6
    assert log.calls == [("thing", "grow", (3,), {"twice": True})]
