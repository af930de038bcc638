"""Rows for mail accepted but not built or parsed yet (a `_Raw`), so `--data-dir` stores it at
intake as cheaply as memory-only capture keeps it: SMTP mail as its raw MIME and envelope, an
outgoing email (engine, Resend API) as the fields its MIME is built from. Either is built or
parsed on the first read, in memory as after a restart."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, fields
from datetime import datetime
from functools import partial
from typing import Any

from emulator.mail._capture import _build_outgoing, _Raw
from emulator.mail._model import Attachment, OutgoingEmail


def pending_row(pending: _Raw) -> tuple[str, str, bytes]:
    """(kind, doc, raw) for the emails table: kind `raw` (SMTP) or `recipe` (outgoing)."""
    when = pending.received_at.isoformat() if pending.received_at else None
    common: dict[str, Any] = {"id": pending.id, "way_in": pending.way_in, "received_at": when}
    common["received_wall_at"] = pending.received_wall_at.isoformat()
    if pending.make is None:
        doc = {**common, "envelope_from": pending.envelope_from, "envelope_to": pending.envelope_to}
        return "raw", json.dumps(doc, separators=(",", ":")), pending.raw
    assert isinstance(pending.make, partial)
    email, _, _, _, _, resend_request, derive_text = pending.make.args
    # Field by field (asdict deep-copies every list and dict: most of a save's cost).
    values = {f.name: getattr(email, f.name) for f in fields(email)}
    values["attachments"] = [
        {**asdict(a), "content": base64.b64encode(a.content).decode("ascii")}
        for a in email.attachments
    ]
    doc = {**common, "email": values, "resend_request": resend_request, "derive_text": derive_text}
    return "recipe", json.dumps(doc, separators=(",", ":")), b""


def pending_from_row(kind: str, doc: dict[str, Any], raw: bytes) -> _Raw:
    """The `_Raw` a `pending_row` was made from."""
    received = datetime.fromisoformat(doc["received_at"]) if doc["received_at"] else None
    wall = datetime.fromisoformat(doc["received_wall_at"])
    if kind == "raw":
        return _Raw(
            doc["id"], raw, doc["envelope_from"], doc["envelope_to"], doc["way_in"], received, wall
        )
    fields = doc["email"]
    fields["attachments"] = [
        Attachment(**{**a, "content": base64.b64decode(a["content"])})
        for a in fields["attachments"]
    ]
    email = OutgoingEmail(**fields)
    make = partial(
        _build_outgoing,
        email,
        doc["id"],
        received,
        wall,
        doc["way_in"],
        doc["resend_request"],
        doc["derive_text"],
    )
    return _Raw(doc["id"], b"", "", [], doc["way_in"], received, wall, make)
