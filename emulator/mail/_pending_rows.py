"""Rows for mail kept as it arrived, so `--data-dir` stores it at intake as cheaply as memory
keeps it: SMTP mail not parsed yet as its raw MIME and envelope, an outgoing email (engine,
Resend API) whose MIME nobody has asked for as the recipe it is built from (its fields in the
JSON document, its attachments' bytes once, one after another, in the `raw` column). Building
is deterministic, so the recipe gives back the same bytes after a restart."""

from __future__ import annotations

import base64
import json
from dataclasses import fields
from datetime import datetime
from typing import Any

from emulator.mail._capture import _Outgoing, _Raw, capture_outgoing, derives_text
from emulator.mail._model import Attachment, CapturedEmail, OutgoingEmail


def _common(email: _Raw | CapturedEmail) -> dict[str, Any]:
    when = email.received_at.isoformat() if email.received_at else None
    return {
        "id": email.id,
        "way_in": email.way_in,
        "received_at": when,
        "received_wall_at": email.received_wall_at.isoformat(),
    }


def pending_row(pending: _Raw) -> tuple[str, str, bytes]:
    """(kind, doc, raw) for the emails table: kind `raw`, SMTP mail not parsed yet."""
    doc = {**_common(pending), "envelope_from": pending.envelope_from}
    doc["envelope_to"] = pending.envelope_to
    return "raw", json.dumps(doc, separators=(",", ":")), pending.raw


def recipe_row(email: _Outgoing) -> tuple[str, str, bytes]:
    """(kind, doc, raw) for the emails table: kind `recipe`, an outgoing email not built."""
    source = email.source
    # Field by field (asdict deep-copies every list and dict: most of a save's cost).
    values = {f.name: getattr(source, f.name) for f in fields(source)}
    values["attachments"] = [
        {"filename": a.filename, "content_type": a.content_type, "content_id": a.content_id}
        | {"size": len(a.content)}
        for a in source.attachments
    ]
    doc = {**_common(email), "email": values, "resend_request": email.resend_request}
    doc["derive_text"] = derives_text(email)
    blob = b"".join(a.content for a in source.attachments)
    return "recipe", json.dumps(doc, separators=(",", ":")), blob


def pending_from_row(kind: str, doc: dict[str, Any], raw: bytes) -> CapturedEmail | _Raw:
    """What a `pending_row` or `recipe_row` was made from (a recipe written before attachments
    moved to the `raw` column has them base64 in the document)."""
    received = datetime.fromisoformat(doc["received_at"]) if doc["received_at"] else None
    wall = datetime.fromisoformat(doc["received_wall_at"])
    if kind == "raw":
        return _Raw(
            doc["id"], raw, doc["envelope_from"], doc["envelope_to"], doc["way_in"], received, wall
        )
    values = doc["email"]
    attachments, at = [], 0
    for a in values["attachments"]:
        if "content" in a:
            content = base64.b64decode(a.pop("content"))
        else:
            content, at = raw[at : at + a["size"]], at + a.pop("size")
        attachments.append(Attachment(**a, content=content))
    values["attachments"] = attachments
    return capture_outgoing(
        OutgoingEmail(**values),
        doc["id"],
        received,
        wall,
        doc["way_in"],
        doc["resend_request"],
        doc["derive_text"],
    )
