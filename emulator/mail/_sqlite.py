"""SQLite persistence for a Mailbox (WAL mode), so `doorstep serve --data-dir` keeps mail.

Each row keeps the raw MIME once plus a JSON document of the parsed fields without the
attachments' bytes (those are read back out of the raw MIME), so a reopened Mailbox gives back
what was captured. The file records its format (`PRAGMA user_version`): an older layout is
migrated on open, a newer one is refused with what to do. The `meta` table counts generations
(one per open for writing), which `doorstep serve` seeds its ids with, so no id repeats across
restarts. The `flags` table keeps Mailpit's Read flag and hand-set tags per email id, deleted
with the email (rows of emails gone are dropped on load).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from emulator.core import DoorstepError
from emulator.mail._capture import _Outgoing, _Raw
from emulator.mail._mime import parse_mime, unescape_8bit
from emulator.mail._model import CapturedAttachment, CapturedEmail
from emulator.mail._pending_rows import pending_from_row, pending_row, recipe_row
from emulator.mail._quick_mime import quick_parse

# 1: attachments base64 in the JSON document too (before 2026-12); 2: raw MIME once;
# 3: a `kind` per row: `doc` (parsed), `raw` (SMTP, parsed on first read), `recipe` (outgoing,
# built when its MIME is asked for; attachments in `raw`, or base64 in `doc` before 2026-12-05);
# 4: a `flags` table: Mailpit's Read flag and tags set by hand (NULL: the email's own)
FORMAT = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS emails (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    raw BLOB NOT NULL,
    kind TEXT NOT NULL DEFAULT 'doc'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flags (
    id TEXT PRIMARY KEY,
    read INTEGER NOT NULL DEFAULT 0,
    tags TEXT
);
"""


_EVICT_EVERY = 100  # retention's evictions deleted in one transaction


class DataFormatError(DoorstepError):
    """A data file this version cannot read (newer format, or not a Doorstep database)."""


class SqliteMailStore:
    """A single-file store; a directory path gets `mail.sqlite3` inside it."""

    def __init__(self, path: str | Path) -> None:
        target = Path(path)
        if target.is_dir():
            target = target / "mail.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.path = target
        self._lock = threading.Lock()
        # Retention's evictions, deleted a hundred at a time with the next save (a crash leaves
        # them in the file, unseen: `load` reads the newest rows and drops older ones).
        self._evicted: list[str] = []
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise DataFormatError(
                f"{target} is not a Doorstep mail database ({exc}); move it away or pass "
                "another --data-dir"
            ) from None
        except DataFormatError:
            self._db.close()
            raise

    def _open(self) -> None:
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=10000")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version == 0 and "emails" in tables:
            version = 1  # written before the format was recorded
        if version > FORMAT:
            raise DataFormatError(
                f"{self.path} has data format {version}; this Doorstep reads formats up to "
                f"{FORMAT}. Run the newer Doorstep that wrote it, or pass another --data-dir "
                "(or move the directory away) to start empty"
            )
        columns = {r[1] for r in db.execute("PRAGMA table_info(emails)")}
        if columns and "kind" not in columns:  # format 3 added it (every older row is a doc)
            db.execute("ALTER TABLE emails ADD COLUMN kind TEXT NOT NULL DEFAULT 'doc'")
        db.executescript(_SCHEMA)
        if version == 1:
            self._migrate_from_1()
        db.execute(f"PRAGMA user_version={FORMAT}")

    def _migrate_from_1(self) -> None:
        """Format 1 kept every attachment base64 in the JSON document as well as in the raw
        MIME: drop that copy and give the space back."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute("SELECT seq, doc FROM emails WHERE doc LIKE '%\"content\":%'").fetchall()
        for seq, doc in rows:
            fields = json.loads(doc)
            for attachment in fields.get("attachments", []):
                attachment.pop("content", None)
            db.execute(
                "UPDATE emails SET doc = ? WHERE seq = ?",
                (json.dumps(fields, separators=(",", ":")), seq),
            )
        db.execute("COMMIT")
        if rows:
            db.execute("VACUUM")

    def next_generation(self) -> int:
        """Count one more start and return its number (1 for a new file): a seed no earlier
        start used."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            generation = int(row[0]) + 1 if row else 1
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', ?)",
                (str(generation),),
            )
            db.execute("COMMIT")
            return generation

    def save(self, email: CapturedEmail, evicted: Sequence[str] = ()) -> None:
        """Insert or replace one email, raw MIME included (an outgoing email not built yet: its
        recipe); `evicted` (retention's) are deleted with a later save, a hundred in one
        transaction."""
        if isinstance(email, _Outgoing) and not email.built:
            kind, doc, raw = recipe_row(email)
            self._insert(email.id, doc, raw, kind, evicted)
            return
        doc = json.dumps(_to_doc(email), separators=(",", ":"))
        self._insert(email.id, doc, email.raw, "doc", evicted)

    def _insert(self, id: str, doc: str, raw: bytes, kind: str, evicted: Sequence[str]) -> None:
        insert = "INSERT OR REPLACE INTO emails (id, doc, raw, kind) VALUES (?, ?, ?, ?)"
        with self._lock:
            self._evicted += evicted
            if len(self._evicted) < _EVICT_EVERY:
                self._db.execute(insert, (id, doc, raw, kind))
                return
            self._db.execute("BEGIN")  # one commit for the new email and the evicted ones
            try:
                self._db.execute(insert, (id, doc, raw, kind))
                self._delete_evicted()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _delete_evicted(self) -> None:
        self._delete_rows(self._evicted)
        self._evicted = []

    def _delete_rows(self, ids: list[str]) -> None:
        rows = [(i,) for i in ids]
        self._db.executemany("DELETE FROM emails WHERE id = ?", rows)
        self._db.executemany("DELETE FROM flags WHERE id = ?", rows)

    def delete(self, ids: list[str]) -> None:
        """Remove these emails and their flags (unknown ids are ignored)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._delete_rows(ids)
            self._db.execute("COMMIT")

    def save_read(self, ids: Sequence[str], read: bool) -> None:
        """Keep Mailpit's Read flag of these emails (one transaction)."""
        upsert = (
            "INSERT INTO flags (id, read) VALUES (?, ?) "
            "ON CONFLICT(id) DO UPDATE SET read = excluded.read"
        )
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(upsert, [(i, int(read)) for i in ids])
            self._db.execute("COMMIT")

    def save_tags(self, email_id: str, tags: list[str]) -> None:
        """Keep the tags set by hand on this email (an empty list: every tag removed)."""
        upsert = (
            "INSERT INTO flags (id, tags) VALUES (?, ?) "
            "ON CONFLICT(id) DO UPDATE SET tags = excluded.tags"
        )
        with self._lock:
            self._db.execute(upsert, (email_id, json.dumps(tags)))

    def load_flags(self) -> tuple[set[str], dict[str, list[str]]]:
        """(the ids read, email id -> tags set by hand), after dropping the flags of emails
        no longer stored (retention's evictions, a crash between two deletes)."""
        with self._lock:
            self._db.execute("DELETE FROM flags WHERE id NOT IN (SELECT id FROM emails)")
            rows = self._db.execute("SELECT id, read, tags FROM flags").fetchall()
        read = {i for i, r, _ in rows if r}
        return read, {i: json.loads(t) for i, _, t in rows if t is not None}

    def settled(self, emails: list[CapturedEmail]) -> None:
        """Replace unbuilt rows by the built emails (raw MIME once), keeping their order."""
        rows = [(json.dumps(_to_doc(e), separators=(",", ":")), e.raw, e.id) for e in emails]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE emails SET doc = ?, raw = ?, kind = 'doc' WHERE id = ?", rows
            )
            self._db.execute("COMMIT")

    def save_pending(self, pending: _Raw, evicted: Sequence[str] = ()) -> None:
        """Insert SMTP mail not parsed yet, as cheaply as it came in; `evicted` as in `save`."""
        kind, doc, raw = pending_row(pending)
        self._insert(pending.id, doc, raw, kind, evicted)

    def load(self, limit: int) -> list[CapturedEmail | _Raw]:
        """The newest `limit` emails (0: all), oldest first; those stored before their first
        read come back unbuilt (`_Raw`), to be built or parsed when first read."""
        query = "SELECT doc, raw, kind, seq FROM emails ORDER BY seq DESC"
        with self._lock:
            rows = self._db.execute(query + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
            if limit and len(rows) == limit:  # evictions a crash kept from being deleted
                self._db.execute("DELETE FROM emails WHERE seq < ?", (rows[-1][3],))
        return [
            _from_doc(_unescaped(json.loads(doc)), bytes(raw))
            if kind == "doc"
            else pending_from_row(kind, json.loads(doc), bytes(raw))
            for doc, raw, kind, _ in reversed(rows)
        ]

    def clear(self) -> None:
        """Remove every email."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM emails")
            self._db.execute("DELETE FROM flags")
            self._db.execute("COMMIT")
            self._evicted = []

    def close(self) -> None:
        """Delete what retention evicted and close the database connection."""
        with self._lock:
            if self._evicted:
                self._delete_evicted()
            self._db.close()


# The fields of a `doc` row kept as they are (JSON values already); the rest are converted
# by `_to_doc` / `_from_doc` (times, header pairs, attachments without their bytes) or, `raw`,
# kept in a column of their own.
_AS_IS = tuple(
    f.name
    for f in fields(CapturedEmail)
    if f.name not in ("received_at", "received_wall_at", "headers", "attachments", "raw")
)
_as_is = attrgetter(*_AS_IS)
_ATTACHMENT_KEYS = ("id", "filename", "content_type", "content_id", "disposition")


def _to_doc(e: CapturedEmail) -> dict[str, Any]:
    doc = dict(zip(_AS_IS, _as_is(e), strict=True))
    doc["received_at"] = e.received_at.isoformat() if e.received_at else None
    doc["received_wall_at"] = e.received_wall_at.isoformat()
    doc["headers"] = [[k, v] for k, v in e.headers]
    doc["attachments"] = [{k: getattr(a, k) for k in _ATTACHMENT_KEYS} for a in e.attachments]
    return doc


def _unescaped(value: Any) -> Any:
    """`value` with surrogate-escaped strings repaired: stores written before SMTPUTF8 headers
    were unescaped at capture kept them, and one such email made every listing a 500."""
    if isinstance(value, str):
        return unescape_8bit(value)
    if isinstance(value, list):
        return [_unescaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescaped(v) for k, v in value.items()}
    return value


def _from_doc(d: dict[str, Any], raw: bytes) -> CapturedEmail:
    received = d["received_at"]
    return CapturedEmail(
        **{name: d[name] for name in _AS_IS},
        received_at=datetime.fromisoformat(received) if received else None,
        received_wall_at=datetime.fromisoformat(d["received_wall_at"]),
        headers=[(k, v) for k, v in d["headers"]],
        attachments=_attachments(d["attachments"], raw),
        raw=raw,
    )


def _attachments(docs: list[dict[str, Any]], raw: bytes) -> list[CapturedAttachment]:
    """The attachments with their bytes read back out of the raw MIME (stored only there):
    each is matched to the first unused part with the same filename and content id."""
    if not docs:
        return []
    parts = list((quick_parse(raw) or parse_mime(raw)).parts)
    found = []
    for a in docs:
        key = (a["filename"], a["content_id"])
        i = next((i for i, p in enumerate(parts) if (p.filename, p.content_id) == key), None)
        content = b"" if i is None else parts.pop(i).content
        found.append(CapturedAttachment(**{k: a[k] for k in _ATTACHMENT_KEYS}, content=content))
    return found
