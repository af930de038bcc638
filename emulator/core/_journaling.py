"""`@journaled`: how a state-changing method reaches a write-ahead journal, if one is attached.

An object whose `_journal` attribute is a `Recorder` has each decorated call recorded (target,
method name, arguments) before it runs, under the recorder's lock, so the journal's order is the
order changes happened in; replaying the journal repeats them. Without a recorder (every test,
memory-only `serve`) a call costs one attribute read more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: no typing work when the facade's classes are made
    from typing import TypeVar

    from emulator.core._recorder import Recorder

    F = TypeVar("F", bound=Callable[..., Any])


def journaled(target: str) -> Callable[[F], F]:
    """Record calls of the decorated method in `self._journal` (a `Recorder`) when there is one;
    `target` names the object on replay ("emulator", "resend")."""

    def decorate(method: F) -> F:
        name = method.__name__

        def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
            journal: Recorder | None = self._journal
            if journal is None:
                return method(self, *args, **kwargs)
            with journal.recording(target, name, args, kwargs):
                return method(self, *args, **kwargs)

        # What `functools.wraps` copies, assigned directly: ~40 facade methods are decorated
        # when `Emulator` is imported, and `update_wrapper`'s loop costs five times as much.
        recorded.__module__ = method.__module__
        recorded.__name__ = name
        recorded.__qualname__ = method.__qualname__
        recorded.__doc__ = method.__doc__
        recorded.__annotations__ = method.__annotations__
        recorded.__dict__.update(method.__dict__)
        recorded.__wrapped__ = method  # type: ignore[attr-defined]
        return recorded  # type: ignore[return-value]

    return decorate
