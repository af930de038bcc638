"""`BoundedCache`, the one form of our pure caches keyed by content: it never holds more than
its limit, keeps what was last stored, and reads like a dict."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from emulator.core import BoundedCache


@given(st.integers(1, 8), st.lists(st.tuples(st.integers(0, 20), st.integers())))
def test_never_over_its_limit_and_keeps_the_last_stored(
    limit: int, stores: list[tuple[int, int]]
) -> None:
    cache: BoundedCache[int, int] = BoundedCache(limit)
    for key, value in stores:
        assert cache.keep(key, value) == value
        assert cache[key] == value
        assert len(cache) <= limit


def test_emptied_whole_when_full() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.keep("a", 1)
    cache.keep("b", 2)
    cache.keep("c", 3)
    assert dict(cache) == {"c": 3}


def test_pickles_with_its_limit_and_entries() -> None:
    cache: BoundedCache[str, int] = BoundedCache(3)
    cache.keep("a", 1)
    copy = pickle.loads(pickle.dumps(cache))
    assert type(copy) is BoundedCache
    assert (copy.limit, dict(copy)) == (3, {"a": 1})
