"""SQLite persistence for a Mailbox (WAL mode), so `doorstep serve --data-dir` keeps mail.

Each row keeps the raw MIME plus a JSON document of every parsed field, so a reopened Mailbox
gives back exactly what was captured without reparsing.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator.mail._mime import unescape_8bit
from emulator.mail._model import CapturedAttachment, CapturedEmail

_SCHEMA = """
CREATE TABLE IF NOT EXISTS emails (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    raw BLOB NOT NULL
)
"""


class SqliteMailStore:
    """A single-file store; a directory path gets `mail.sqlite3` inside it."""

    def __init__(self, path: str | Path) -> None:
        target = Path(path)
        if target.is_dir():
            target = target / "mail.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.path = target
        self._lock = threading.Lock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def save(self, email: CapturedEmail) -> None:
        """Insert or replace one email, raw MIME included."""
        doc = json.dumps(_to_doc(email), separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO emails (id, doc, raw) VALUES (?, ?, ?)",
                (email.id, doc, email.raw),
            )

    def delete(self, ids: list[str]) -> None:
        """Remove these emails (unknown ids are ignored)."""
        with self._lock:
            self._db.executemany("DELETE FROM emails WHERE id = ?", [(i,) for i in ids])

    def load(self, limit: int) -> list[CapturedEmail]:
        """The newest `limit` emails (0: all), oldest first."""
        query = "SELECT doc, raw FROM emails ORDER BY seq DESC"
        with self._lock:
            rows = self._db.execute(query + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
        return [_from_doc(_unescaped(json.loads(doc)), bytes(raw)) for doc, raw in reversed(rows)]

    def clear(self) -> None:
        """Remove every email."""
        with self._lock:
            self._db.execute("DELETE FROM emails")

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()


def _to_doc(e: CapturedEmail) -> dict[str, Any]:
    return {
        "id": e.id,
        "received_at": e.received_at.isoformat() if e.received_at else None,
        "received_wall_at": e.received_wall_at.isoformat(),
        "way_in": e.way_in,
        "envelope_from": e.envelope_from,
        "envelope_to": e.envelope_to,
        "headers": [[k, v] for k, v in e.headers],
        "from_": e.from_,
        "to": e.to,
        "cc": e.cc,
        "bcc": e.bcc,
        "reply_to": e.reply_to,
        "subject": e.subject,
        "html": e.html,
        "text": e.text,
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "content": base64.b64encode(a.content).decode("ascii"),
                "content_id": a.content_id,
                "disposition": a.disposition,
            }
            for a in e.attachments
        ],
        "tags": e.tags,
        "workflow_key": e.workflow_key,
        "workflow_run_id": e.workflow_run_id,
        "run_id": e.run_id,
        "step_ref": e.step_ref,
        "recipient_id": e.recipient_id,
        "message_id": e.message_id,
        "batch": e.batch,
        "resend_request": e.resend_request,
        "defects": e.defects,
    }


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
        id=d["id"],
        received_at=datetime.fromisoformat(received) if received else None,
        received_wall_at=datetime.fromisoformat(d["received_wall_at"]),
        way_in=d["way_in"],
        envelope_from=d["envelope_from"],
        envelope_to=d["envelope_to"],
        headers=[(k, v) for k, v in d["headers"]],
        from_=d["from_"],
        to=d["to"],
        cc=d["cc"],
        bcc=d["bcc"],
        reply_to=d["reply_to"],
        subject=d["subject"],
        html=d["html"],
        text=d["text"],
        attachments=[
            CapturedAttachment(
                a["id"],
                a["filename"],
                a["content_type"],
                base64.b64decode(a["content"]),
                a["content_id"],
                a["disposition"],
            )
            for a in d["attachments"]
        ],
        tags=d["tags"],
        raw=raw,
        workflow_key=d["workflow_key"],
        workflow_run_id=d["workflow_run_id"],
        run_id=d["run_id"],
        step_ref=d["step_ref"],
        recipient_id=d["recipient_id"],
        message_id=d["message_id"],
        batch=d["batch"],
        resend_request=d["resend_request"],
        defects=d["defects"],
    )
