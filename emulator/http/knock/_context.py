"""The Knock API's per-app settings every handler and check reads (`KnockContext`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator import Emulator, SigningKey


@dataclass
class KnockContext:
    """What every handler needs. The API keeps no state of its own: all of it lives in the
    emulator's stores, so `Emulator.reset()` forgets it and Python sees what the API wrote."""

    emulator: Emulator
    api_keys: frozenset[str] | None
    max_body_bytes: int
    enhanced_security: bool = False  # every public-key request needs a signed user token
    signing_key: SigningKey | None = None  # verifies user tokens (None: their sub is only read)
