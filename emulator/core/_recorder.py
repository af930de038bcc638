"""`Recorder`: where `@journaled` calls are recorded, as `emulator.Journal` implements it.

Its own module: `@journaled` decorates the facade's methods when `Emulator` is imported, and a
Protocol class costs three times a plain one to make; nothing needs the Protocol at run time."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol


class Recorder(Protocol):
    """Where `@journaled` calls are recorded (`emulator.Journal`)."""

    def recording(
        self, target: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> AbstractContextManager[None]:
        """Record the call (unless it is nested in a recorded one or replayed) and hold the
        lock while it runs."""
        ...
