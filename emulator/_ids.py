"""Deterministic ids: the same test produces the same ids on every run, so snapshots stay stable."""

from __future__ import annotations

import random
import uuid

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class IdFactory:
    """UUIDv4 run ids and 27-character KSUID-shaped message ids from a seeded generator."""

    __slots__ = ("_random",)

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def ksuid(self) -> str:
        return "".join(self._random.choices(_BASE62, k=27))
