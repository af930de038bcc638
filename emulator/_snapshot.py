"""Snapshots of an emulator's state: how `doorstep serve --data-dir` compacts its journal.

A snapshot is the state of one environment's `Emulator` (its engine: entities, runs, batches,
throttles, schedules, messages, idempotency, ...; its content versions; the clock with its
parked timers) and, for the first environment, the Resend service, pickled with cloudpickle
(parked timers hold closures). What the server wires up at start is not in it: locks, the
mailbox (kept in `mail.sqlite3`), the loaded workflows and their templates, responders,
observers and the journal. Each of those is written as a reference and loaded as the fresh
object, so a restored timer wakes the new engine. Anything not listed as wiring is state and is
kept, so state a later change adds is snapshotted without touching this module.

A pickle is only as good as the code that reads it: a snapshot records the build that wrote it
(`build()`: snapshot format, Python, cloudpickle, a hash of Doorstep's sources) and another
build refuses it (`SnapshotError`) rather than guess.
"""

from __future__ import annotations

import gc
import hashlib
import io
import pickle
import sys
import threading
from collections import ChainMap
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cloudpickle

from emulator.core import DoorstepError
from emulator.engine import use_definitions

if TYPE_CHECKING:
    from emulator._emulator import Emulator
    from emulator.mail import ResendService

SNAPSHOT_FORMAT = 1
# What the server wires up at start (and keeps across a restore), per part; the rest is state.
_WIRING: dict[str, frozenset[str]] = {
    "engine": frozenset(
        {
            "lock",
            "clock",
            "definitions",
            "templates",
            "channels",
            "strict",
            "require_identified_actor",
            "http_responder",
            "ai_responder",
            "step_handlers",
            "missing_handler",
            "delivery",
            "observers",
            "message_listener",
        }
    ),
    "clock": frozenset({"lock", "_listeners", "before_fire"}),
    "emulator": frozenset(
        {"clock", "seed", "outbox", "_engine", "_reset_hooks", "_retention", "_journal"}
    ),
    "resend": frozenset({"sink", "clock", "_lock", "_journal", "webhooks"}),
    "mailbox": frozenset(),  # only its email id stream is kept (the mail is in mail.sqlite3)
}
_LOCKS = (type(threading.Lock()), type(threading.RLock()))
_PLAIN = (type(None), bool, int, float, str, bytes, tuple, frozenset)


class SnapshotError(DoorstepError):
    """A snapshot cannot be written (state that does not pickle) or read (another build)."""


@cache
def build() -> str:
    """What a snapshot must be read by: the snapshot format, Python, cloudpickle and a hash of
    Doorstep's sources (any code change may change what the pickled objects mean)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    python = "{}.{}".format(*sys.version_info[:2])
    return (
        f"snapshot {SNAPSHOT_FORMAT}, Python {python}, cloudpickle {cloudpickle.__version__}, "
        f"sources {digest.hexdigest()[:16]}"
    )


def _parts(emulator: Emulator, resend: ResendService | None) -> dict[str, Any]:
    parts: dict[str, Any] = {
        "emulator": emulator,
        "engine": emulator._engine,
        "clock": emulator.clock,
        "mailbox": emulator.outbox,
    }
    if resend is not None:
        parts["resend"] = resend
    return parts


def _wiring(parts: dict[str, Any]) -> dict[int, str]:
    """Each wired object (and each part itself) by id -> the name it is written as."""
    names: dict[int, str] = {}
    for part, obj in parts.items():
        names[id(obj)] = part
        for attr in _WIRING[part]:
            value = vars(obj).get(attr)
            if not isinstance(value, _PLAIN):
                names.setdefault(id(value), f"{part}.{attr}")
    return names


def _state(part: str, obj: Any) -> dict[str, Any]:
    if part == "mailbox":
        return {"_ids": vars(obj)["_ids"]}
    return {k: v for k, v in vars(obj).items() if k not in _WIRING[part]}


def _new_lock(kind: str) -> Any:
    return threading.RLock() if kind == "RLock" else threading.Lock()


def _reduce_lock(lock: Any) -> tuple[Any, tuple[str]]:
    """A lock of its own (not wired) comes back as a new one; shared, it stays shared."""
    return _new_lock, (type(lock).__name__,)


class _Pickler(cloudpickle.CloudPickler):  # type: ignore[misc]
    dispatch_table = ChainMap(  # read when a pickler is made: a class attribute
        dict.fromkeys(_LOCKS, _reduce_lock), cloudpickle.CloudPickler.dispatch_table
    )

    def __init__(self, file: io.BytesIO, wired: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._wired = wired.get

    def persistent_id(self, obj: Any) -> Any:
        return self._wired(id(obj))  # called for every object: kept to one lookup


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, wired: dict[str, Any]) -> None:
        super().__init__(file)
        self.wired = wired

    def persistent_load(self, pid: Any) -> Any:
        return self.wired[pid]


def dump_state(emulator: Emulator, resend: ResendService | None = None) -> bytes:
    """The state of `emulator` (and `resend`) as bytes; call it holding the engine lock, with no
    call under way. SnapshotError names what could not be pickled."""
    parts = _parts(emulator, resend)
    wired = _wiring(parts)
    state = {part: _state(part, obj) for part, obj in parts.items()}
    state["tenant_translations"] = emulator._engine.templates.env.tenant_translations
    out = io.BytesIO()
    try:
        _Pickler(out, wired).dump(state)
    except Exception as exc:
        raise SnapshotError(f"the emulator's state cannot be snapshotted: {exc}") from exc
    return out.getvalue()


def load_state(emulator: Emulator, resend: ResendService | None, data: bytes) -> None:
    """Put a `dump_state` snapshot into a freshly built `emulator` (and `resend`): its state is
    replaced, its wiring (locks, mailbox, workflows, responders, ...) stays."""
    parts = _parts(emulator, resend)
    wired: dict[str, Any] = {}
    for part, obj in parts.items():
        wired[part] = obj
        for attr in _WIRING[part]:
            value = getattr(obj, attr, None)  # made here if made on first use (message_listener)
            if value is not None:
                wired[f"{part}.{attr}"] = value
    collecting = gc.isenabled()
    gc.disable()  # a collection per thousand new objects would double the time a load takes
    try:
        state = _Unpickler(io.BytesIO(data), wired).load()
    except Exception as exc:
        raise SnapshotError(f"the snapshot cannot be read: {exc}") from exc
    finally:
        if collecting:
            gc.enable()
    for part, obj in parts.items():
        if part in state:
            vars(obj).update(state[part])
    engine = emulator._engine
    content = emulator._content
    if content is not None:
        if emulator._reset_content not in emulator._reset_hooks:
            emulator.on_reset(emulator._reset_content)
        if emulator._content_changed:  # content changed through the Management API runs
            use_definitions(engine, content.definitions())
    engine.templates.env.tenant_translations = state["tenant_translations"]
