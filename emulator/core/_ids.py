"""Deterministic ids: the same test produces the same ids on every run, so snapshots stay stable."""

from __future__ import annotations

import random

USERS = "$users"  # Knock's collection name for users in gids and object references
TENANTS = "$tenants"  # and for tenants
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Byte -> base62 character (`_BASE62[byte % 62]`, written as the alphabet repeated: no loop at
# import). 256 is not a multiple of 62, so the first 8 characters are a little more likely; test
# ids need uniqueness (about 160 random bits), not a uniform alphabet.
_BYTE_TO_BASE62 = (_BASE62 * 5)[:256].encode("ascii")
_VERSION_4 = (0x4 << 76) | (0x2 << 62)  # RFC 4122: version 4, variant 10
_VERSION_MASK = ~((0xF << 76) | (0x3 << 62))


class IdFactory:
    """UUIDv4 run ids and 27-character KSUID-shaped message ids from a seeded generator.

    `kind` names an id space of its own (`"email"`, `"resend_email"`): factories of different
    kinds draw from different streams for the same seed, so an email's id never equals a run's
    (issue 13), and each stays deterministic. No kind is the engine's stream (runs, workflow
    runs, schedules, messages): `random.Random(seed)`, the ids existing snapshots pin.
    Both are formatted by hand: `uuid.UUID` and `random.choices` cost more than the rest of a
    batched trigger.
    """

    __slots__ = ("_random", "_seed")
    _random: random.Random  # seeded on the first draw (seeding costs more than a fresh Emulator)

    def __init__(self, seed: int = 0, *, kind: str | None = None) -> None:
        # A str seed is hashed with SHA-512 by `random.Random`: stable across processes and
        # independent of PYTHONHASHSEED, unlike hash().
        self._seed = seed if kind is None else f"doorstep-ids:{kind}:{seed}"

    def __getattr__(self, name: str) -> random.Random:
        """Only for the first draw: `_random` is unset until then (later reads find the slot)."""
        if name != "_random":
            raise AttributeError(name)
        self._random = random.Random(self._seed)
        return self._random

    def uuid4(self) -> str:
        h = ((self._random.getrandbits(128) & _VERSION_MASK) | _VERSION_4).to_bytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def uuid4_bits(self) -> int:
        """The next `uuid4()` as its 128 bits, to write with `uuid4_text` only when read (the
        stream moves on as `uuid4()` moves it)."""
        return (self._random.getrandbits(128) & _VERSION_MASK) | _VERSION_4

    @staticmethod
    def uuid4_text(bits: int) -> str:
        """The id `uuid4()` would have returned for these `uuid4_bits()`."""
        h = bits.to_bytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def ksuid(self) -> str:
        return self._random.randbytes(27).translate(_BYTE_TO_BASE62).decode("ascii")
