"""The write-ahead journal behind `doorstep serve --data-dir` (`DIR/journal.sqlite3`).

Every state-changing call of the `Emulator` facade and the Resend service (`@journaled`) is
appended, with its arguments, before it runs and under the engine lock, so the journal's order is
the order of the changes. The clock is journaled too: the instant before each timer fires, and the
current instant before each call when time moved since the last entry. Opening a data dir replays
the journal into a fresh emulator: ids are seeded from the generation each entry was written in
(so they come out the same), mail already in `mail.sqlite3` is not captured twice (only the last
entry, the one a crash may have cut short, may add what is missing), webhooks are not sent again.
Afterwards new entries carry the new generation, whose ids no earlier start drew.

Compaction bounds the journal: every `compact_every` entries, and when the server stops, the
emulator's state is snapshotted (`emulator._snapshot`) and the entries it covers are deleted, in
one SQLite transaction (a crash in between leaves the old snapshot and every entry). A start
loads the snapshot and replays only the entries written since.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator._snapshot import SnapshotError, build, dump_state, load_state
from emulator.core import DoorstepError

if TYPE_CHECKING:
    from emulator._emulator import Emulator
    from emulator.mail import ResendService

FORMAT = 2  # 2: the snapshot table (a format 1 journal gains it)
COMPACT_EVERY = 10_000  # entries between two snapshots
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    gen INTEGER NOT NULL,
    wall REAL NOT NULL,
    target TEXT NOT NULL,
    op TEXT NOT NULL,
    args TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL,
    wall REAL NOT NULL,
    build TEXT NOT NULL,
    data BLOB NOT NULL
);
"""


class JournalError(DoorstepError):
    """The journal cannot be read (a newer format, a foreign file) or a call cannot be written."""


class Journal:
    """Appends `@journaled` calls to SQLite (WAL) and replays them into a fresh emulator."""

    def __init__(
        self, path: str | Path, *, generation: int, compact_every: int = COMPACT_EVERY
    ) -> None:
        self.path = Path(path)
        self.generation = generation
        self.compact_every = compact_every
        self.compaction_error: str | None = None  # why the last snapshot could not be taken
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JournalError(
                f"{self.path} is not a Doorstep journal ({exc}); move it away or pass another "
                "--data-dir"
            ) from None
        except JournalError:
            self._db.close()
            raise
        row = self._db.execute("SELECT value FROM meta WHERE key = 'start_us'").fetchone()
        self.start: datetime | None = None if row is None else _at(int(row[0]))
        self.lock: Any = None  # the engine lock, once attached
        self._emulator: Emulator | None = None
        self._targets: dict[str, Any] = {}
        self._depth = 0
        self._replaying = False
        self._last_clock_us = -1
        self._closed = False
        self._since = self.entries  # entries since the snapshot
        self.restored = False  # whether attaching loaded a snapshot

    def _open(self) -> None:
        db = self._db
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # a snapshot gives back the pages it freed
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > FORMAT:
            raise JournalError(
                f"{self.path} has journal format {version}; this Doorstep reads formats up to "
                f"{FORMAT}. Run the newer Doorstep that wrote it, or pass another --data-dir "
                "(or move the directory away) to start empty"
            )
        db.execute("PRAGMA journal_size_limit=4194304")  # the WAL shrinks back after a snapshot
        if version and db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            db.execute("VACUUM")  # a format 1 journal: VACUUM applies auto_vacuum
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version={FORMAT}")
        row = db.execute("SELECT build FROM snapshot").fetchone()
        if row is not None and row[0] != build():
            raise JournalError(
                f"{self.path} holds a snapshot of the state written by another Doorstep build "
                f"({row[0]}; this one is {build()}). Start the Doorstep that wrote it (it can "
                f"finish what is waiting), or move {self.path.name} out of the --data-dir to "
                "start with the captured mail kept and everything else empty"
            )

    @property
    def entries(self) -> int:
        """How many entries the journal holds."""
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    # -- attaching and replaying -----------------------------------------------------
    def attach(self, emulator: Emulator, resend: ResendService | None = None) -> int:
        """Replay the journal into `emulator` (and `resend`), then record their calls from now
        on; returns how many entries were replayed."""
        if self.start is None:
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('start_us', ?)",
                (str(emulator.clock.now_us),),
            )
            self.start = emulator.clock.now
        self.lock = emulator.lock
        self._emulator = emulator
        self._targets = {"emulator": emulator, "resend": resend}
        with self.lock:
            replayed = self._replay()
            emulator._journal = self
            if resend is not None:
                resend.record_to(self)
            emulator.clock.before_fire = self._on_fire
            self._last_clock_us = emulator.clock.now_us
        return replayed

    def _replay(self) -> int:
        assert self._emulator is not None
        emulator, resend = self._emulator, self._targets["resend"]
        rows = self._db.execute("SELECT gen, target, op, args FROM entries ORDER BY seq").fetchall()
        snapshot = self._db.execute("SELECT gen, data FROM snapshot").fetchone()
        webhooks = None if resend is None else resend.webhooks
        if resend is not None:
            resend.webhooks = None  # sent before the restart: never twice
        self._replaying = True
        seeded = None
        try:
            if snapshot is not None:  # its id streams go on where they stood
                seeded = snapshot[0]
                self.restored = True
                try:
                    load_state(emulator, resend, snapshot[1])
                except SnapshotError as exc:
                    raise JournalError(
                        f"{self.path}: {exc}; move {self.path.name} out of the --data-dir to "
                        "start with the captured mail kept and everything else empty"
                    ) from None
            for i, (gen, target, op, args) in enumerate(rows):
                if gen != seeded:
                    self._reseed(gen)
                    seeded = gen
                # Mail of earlier entries is in mail.sqlite3 already; the last entry may have
                # been cut short by a crash, so it adds what is missing.
                emulator.outbox.replay = "missing" if i == len(rows) - 1 else "skip"
                self._apply(target, op, args)
        finally:
            self._replaying = False
            emulator.outbox.replay = None
            self._reseed(self.generation)
            if resend is not None:
                resend.webhooks = webhooks
        return len(rows)

    def _apply(self, target: str, op: str, args: str) -> None:
        assert self._emulator is not None
        clock = self._emulator.clock
        if target == "clock":
            micros = int(args)
            if micros > clock.now_us:
                clock.advance_to(_at(micros))
            return
        positional, keywords = json.loads(args, object_hook=_decode)
        with suppress(Exception):  # it failed the same way when it was first called
            getattr(self._targets[target], op)(*positional, **keywords)

    def _reseed(self, generation: int) -> None:
        assert self._emulator is not None
        self._emulator._reseed(generation)
        resend = self._targets.get("resend")
        if resend is not None:
            resend.reseed(generation)

    def catch_up(self) -> int:
        """For `--clock real`: move the clock on by the wall time since the last entry (time went
        on while the server was down), firing what came due; returns how many timers fired."""
        assert self._emulator is not None
        row = self._db.execute(
            "SELECT max(wall) FROM (SELECT wall FROM entries UNION ALL SELECT wall FROM snapshot)"
        ).fetchone()
        if row[0] is None:
            return 0
        gone = max(0.0, time.time() - float(row[0]))
        return self._emulator.clock.advance(timedelta(seconds=gone))

    # -- recording -------------------------------------------------------------------
    @contextmanager
    def recording(
        self, target: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Iterator[None]:
        """Append the call (unless nested in a recorded call, or replayed) before it runs, and
        hold the engine lock while it runs."""
        with self.lock:
            if not (self._depth or self._replaying or self._closed):
                call = (target, name, _encode(target, name, args, kwargs))
                self._append(*self._clock_moved(), call)  # one statement: one commit
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            if self.compact_every and self._since >= self.compact_every and not self._depth:
                self.compact()

    # -- compaction ------------------------------------------------------------------
    def compact(self) -> bool:
        """Snapshot the state and delete the entries it covers, in one transaction; False (and
        `compaction_error` says why) when the state cannot be snapshotted: the journal then
        keeps every entry, so nothing is lost."""
        with self.lock:
            if self._depth or self._replaying or self._closed or self._emulator is None:
                return False
            self._sync_clock()
            try:
                data = dump_state(self._emulator, self._targets.get("resend"))
            except SnapshotError as exc:
                self.compaction_error = str(exc)
                self._since = 0  # tried again after another `compact_every` entries
                return False
            self._write_snapshot(data)
            self._since = 0
            self.compaction_error = None
            return True

    def _write_snapshot(self, data: bytes) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT OR REPLACE INTO snapshot (id, gen, wall, build, data) "
                "VALUES (1, ?, ?, ?, ?)",
                (self.generation, time.time(), build(), data),
            )
            self._drop_entries()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        # The old snapshot's and the entries' pages go back to the file system, and the WAL
        # (which held the new snapshot) is emptied: the files stay the size of one snapshot.
        db.executescript("PRAGMA incremental_vacuum;")  # execute() would free one page
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def _drop_entries(self) -> None:
        self._db.execute("DELETE FROM entries")  # all of them: the engine lock is held

    def _on_fire(self, due_us: int) -> None:
        if not (self._depth or self._replaying or self._closed) and due_us != self._last_clock_us:
            self._append(("clock", "advance_to", str(due_us)))
            self._last_clock_us = due_us

    def _clock_moved(self) -> list[tuple[str, str, str]]:
        """The clock entry to write when time moved since the last entry (else none)."""
        assert self._emulator is not None
        now = self._emulator.clock.now_us
        if now == self._last_clock_us:
            return []
        self._last_clock_us = now
        return [("clock", "advance_to", str(now))]

    def _sync_clock(self) -> None:
        moved = self._clock_moved()
        if moved:
            self._append(*moved)

    def _append(self, *rows: tuple[str, str, str]) -> None:
        """Write entries (target, op, args) in one INSERT: one commit, one WAL append."""
        self._since += len(rows)
        wall = time.time()
        self._db.execute(
            "INSERT INTO entries (gen, wall, target, op, args) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?)"] * len(rows)),
            [value for row in rows for value in (self.generation, wall, *row)],
        )

    def close(self) -> None:
        """Snapshot the state (or at least record where the clock stands) and close the file;
        calls are no longer recorded."""
        if self._closed:
            return
        with self.lock if self.lock is not None else _nothing():
            if self._emulator is not None:
                self._sync_clock()
                if self._since:
                    self.compact()
            self._closed = True
            self._db.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _at(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _encode(target: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    try:
        return json.dumps([_plain(list(args)), _plain(kwargs)], separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise JournalError(
            f"{target}.{name} was called with an argument the journal cannot keep ({exc}); "
            "pass JSON values, datetimes and timedeltas"
        ) from None


def _plain(value: Any) -> Any:
    """JSON-ready: tuples, datetimes and timedeltas tagged so they come back as they were."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_plain(v) for v in value]}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    raise TypeError(f"{type(value).__name__} is not kept")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$tuple" in obj:
            return tuple(obj["$tuple"])
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
        if "$timedelta" in obj:
            days, seconds, micros = obj["$timedelta"]
            return timedelta(days=days, seconds=seconds, microseconds=micros)
    return obj
