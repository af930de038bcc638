"""What the inspection API returns: Mailpit-shaped message JSON and run timelines."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.utils import getaddresses
from html import unescape
from typing import Any

from emulator import Run, StepRecord, format_timestamp
from emulator.mail import CapturedEmail, default_tags, message_id_of

_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")


# -- JSON shapes --------------------------------------------------------------------------------
def iso(when: datetime | None) -> str | None:
    return None if when is None else format_timestamp(when)


def mailpit_time(when: datetime) -> str:
    """Mailpit's RFC 3339 with milliseconds: `2025-01-01T09:05:00.000Z`."""
    return format_timestamp(when, timespec="milliseconds")


def received(email: CapturedEmail) -> datetime:
    """When the email arrived: virtual time, or wall time for mail captured without a clock."""
    return email.received_at if email.received_at is not None else email.received_wall_at


def address_list(values: Sequence[str]) -> list[dict[str, str]]:
    """Mailpit's address objects (`Name`, `Address`) for header values."""
    return [{"Name": name, "Address": addr} for name, addr in getaddresses(list(values)) if addr]


def snippet(email: CapturedEmail, size: int = 250) -> str:
    """Mailpit's Snippet: up to 250 characters of text (or tag-stripped HTML)."""
    body = email.text if email.text else unescape(_TAGS.sub(" ", email.html or ""))
    flat = _SPACE.sub(" ", body).strip()
    return flat if len(flat) <= size else flat[:size].rstrip() + "..."


def mailpit_summary(
    email: CapturedEmail, read: bool, tags: list[str] | None = None
) -> dict[str, Any]:
    """Mailpit's MessageSummary: one row of `/api/v1/messages` and of `new` live events;
    `tags` as set through the tags API (default: `default_tags`)."""
    from_ = address_list([email.from_])
    return {
        "ID": email.id,
        "MessageID": message_id_of(email),
        "Read": read,
        "From": from_[0] if from_ else {"Name": "", "Address": email.from_},
        "To": address_list(email.to),
        "Cc": address_list(email.cc),
        "Bcc": address_list(email.bcc),
        "ReplyTo": address_list(email.reply_to),
        "Subject": email.subject,
        "Created": mailpit_time(received(email)),
        "Username": "",
        "Tags": default_tags(email) if tags is None else tags,
        "Size": len(email.raw),
        "Attachments": sum(1 for a in email.attachments if a.disposition == "attachment"),
        "Snippet": snippet(email),
    }


def mailpit_message(email: CapturedEmail, tags: list[str] | None = None) -> dict[str, Any]:
    """Mailpit's full Message object, plus a `Doorstep` block saying where the email came from."""
    summary = mailpit_summary(email, True, tags)
    for key in ("Read", "Created", "Snippet", "Attachments"):
        summary.pop(key)

    def part(a: Any) -> dict[str, Any]:
        return {
            "PartID": a.id,
            "FileName": a.filename or "",
            "ContentType": a.content_type,
            "ContentID": a.content_id or "",
            "Size": a.size,
        }

    unsubscribe = email.header("List-Unsubscribe") or ""
    return {
        **summary,
        "ReturnPath": email.envelope_from,
        "Date": mailpit_time(received(email)),
        "ListUnsubscribe": {
            "Header": unsubscribe,
            "Links": re.findall(r"<([^>]+)>", unsubscribe),
            "Errors": "",
            "HeaderPost": email.header("List-Unsubscribe-Post") or "",
        },
        "Text": email.text or "",
        "HTML": email.html or "",
        "Inline": [part(a) for a in email.attachments if a.disposition == "inline"],
        "Attachments": [part(a) for a in email.attachments if a.disposition == "attachment"],
        "Doorstep": provenance(email),
    }


def provenance(email: CapturedEmail) -> dict[str, Any]:
    """The `Doorstep` block: how the email came in and which run and step sent it."""
    return {
        "way_in": email.way_in,
        "workflow_key": email.workflow_key,
        "workflow_run_id": email.workflow_run_id,
        "run_id": email.run_id,
        "step_ref": email.step_ref,
        "recipient_id": email.recipient_id,
        "message_id": email.message_id,
        "received_at": iso(email.received_at),
        "received_wall_at": iso(email.received_wall_at),
    }


def jsonable(value: Any) -> Any:
    """Engine records (dataclasses, datetimes, tuples) as plain JSON values."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "source"
        }
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def step_json(step: StepRecord) -> dict[str, Any]:
    """One step record as JSON, its batch's full activity list left out."""
    out: dict[str, Any] = jsonable(step)
    out["detail"] = out.pop("_detail") or {}  # the slot behind `StepRecord.detail`
    if step.batch is not None:
        out["batch"]["activity_data"] = jsonable(step.batch.activity_data)
        del out["batch"]["all_activities"]  # unbounded; the rendered ones and the count say enough
    return out


def run_json(run: Run, *, steps: bool = True) -> dict[str, Any]:
    """A run as `/api/runs` returns it; `steps=False` leaves the timeline out (lists)."""
    out: dict[str, Any] = {
        "id": run.id,
        "workflow_run_id": run.workflow_run_id,
        "workflow": run.workflow,
        "recipient": jsonable(run.recipient),
        "recipient_id": run.recipient_id,
        "actor": jsonable(run.actor),
        "tenant": run.tenant,
        "status": run.status,
        "knock_status": run.knock_status,
        "ended_because": run.ended_because,
        "cancellation_key": run.cancellation_key,
        "inserted_at": iso(run.inserted_at),
        "updated_at": iso(run.updated_at),
        "path": run.path,
        "trace": run.trace,
        "data": jsonable(run.data),
    }
    if steps:
        out["steps"] = [step_json(s) for s in run.steps]
    return out


def message_json(message: Any) -> dict[str, Any]:
    """A message record of any channel, with its recipient id and engagement statuses."""
    out: dict[str, Any] = jsonable(message)
    out["recipient_id"] = message.recipient_id
    out["engagement_statuses"] = message.engagement_statuses
    return out
