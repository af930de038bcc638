"""The one form of the pure caches keyed by content (parsed templates, address parses, shared
condition results, ...): a dict that empties itself when full.

Emptying whole is a bound on memory, not an LRU: it is one atomic step under threads, and a
cache whose keys repeat refills at once. Reads are the dict's own (`get`, `in`, `[]`)."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V]):
    """A dict of at most `limit` entries: `keep` empties it first when it is full."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: K, value: V) -> V:
        """Store `value` under `key` (emptying the cache first if full) and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.limit,), None, None, iter(self.items()))
