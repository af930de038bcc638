"""The inspection API under `/api/`: a Mailpit-compatible subset plus runs, messages and clock.

Mailpit clients (`mailpit-api`, pytest-mailpit, cypress-mailpit) read `/api/v1/messages`,
`/api/v1/message/{ID}` and `/api/v1/search`; the shapes follow Mailpit's swagger (PascalCase
keys). Our own routes (`/api/runs`, `/api/messages`, `/api/clock`, `/api/reset`) use snake_case.
Every handler holds `emulator.clock.lock` while it reads or changes state, because the engine
is also driven from the SMTP thread and the real-time ticker.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import getaddresses
from html import unescape
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._errors import ClockError, DoorstepError
from .._runs import Run, StepRecord
from ..mail import CapturedEmail, UnknownEmail

if TYPE_CHECKING:
    from .._emulator import Emulator

DEFAULT_LIMIT = 50  # Mailpit's page size
MAX_LIMIT = 1000
MAX_JSON_BODY = 1024 * 1024
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r'([-!]?)(?:([a-z-]+):)?("[^"]*"|\S+)', re.IGNORECASE)


class ApiError(DoorstepError):
    """A request the inspection API refuses; becomes `{"error": ...}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Inspection:
    """What the inspection API and the web inspector share: the emulator, read flags, clock mode."""

    def __init__(self, emulator: Emulator, *, clock_mode: str = "manual") -> None:
        self.emulator = emulator
        self.clock_mode = clock_mode
        self._read: set[str] = set()
        self._lock = threading.Lock()

    # -- Mailpit's Read flag --------------------------------------------------------------
    def is_read(self, email_id: str) -> bool:
        return email_id in self._read

    def mark_read(self, ids: Sequence[str], read: bool = True) -> None:
        with self._lock:
            if read:
                self._read.update(ids)
            else:
                self._read.difference_update(ids)

    def unread(self, emails: Sequence[CapturedEmail]) -> int:
        return sum(1 for e in emails if e.id not in self._read)

    def forget_reads(self) -> None:
        with self._lock:
            self._read.clear()

    # -- email lookups ----------------------------------------------------------------------
    def newest_first(self, query: str = "") -> tuple[list[CapturedEmail], list[CapturedEmail]]:
        """(every email, the ones matching `query`), newest first."""
        everything = self.emulator.outbox.all()
        everything.reverse()
        if not query.strip():
            return everything, everything
        check = search_matcher(query, self)
        return everything, [e for e in everything if check(e)]

    def email(self, email_id: str) -> CapturedEmail:
        outbox = self.emulator.outbox
        if email_id == "latest":
            found = outbox.latest()
            if found is None:
                raise ApiError(404, "no email captured yet, so there is no `latest` message")
            return found
        try:
            return outbox.get(email_id)
        except UnknownEmail as exc:
            raise ApiError(404, str(exc)) from None

    def clock_json(self) -> dict[str, Any]:
        clock = self.emulator.clock
        with clock.lock:
            due = clock.next_due()
            return {
                "now": iso(clock.now),
                "mode": self.clock_mode,
                "pending": clock.pending,
                "next_due": iso(due) if due else None,
                "timers": [{"label": t.label, "due": iso(t.due)} for t in clock.timers()[:50]],
            }


# -- JSON shapes --------------------------------------------------------------------------------
def iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def mailpit_time(when: datetime) -> str:
    """Mailpit's RFC 3339 with milliseconds: `2025-01-01T09:05:00.000Z`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def received(email: CapturedEmail) -> datetime:
    return email.received_at if email.received_at is not None else email.received_wall_at


def address_list(values: Sequence[str]) -> list[dict[str, str]]:
    return [{"Name": name, "Address": addr} for name, addr in getaddresses(list(values)) if addr]


def snippet(email: CapturedEmail, size: int = 250) -> str:
    """Mailpit's Snippet: up to 250 characters of text (or tag-stripped HTML)."""
    body = email.text if email.text else unescape(_TAGS.sub(" ", email.html or ""))
    flat = _SPACE.sub(" ", body).strip()
    return flat if len(flat) <= size else flat[:size].rstrip() + "..."


def message_id_of(email: CapturedEmail) -> str:
    return (email.header("Message-ID") or "").strip().strip("<>")


def mailpit_summary(email: CapturedEmail, read: bool) -> dict[str, Any]:
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
        "Tags": [t.get("name", "") for t in email.tags],
        "Size": len(email.raw),
        "Attachments": sum(1 for a in email.attachments if a.disposition == "attachment"),
        "Snippet": snippet(email),
    }


def mailpit_message(email: CapturedEmail) -> dict[str, Any]:
    """Mailpit's full Message object, plus a `Doorstep` block saying where the email came from."""
    summary = mailpit_summary(email, True)
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
    out: dict[str, Any] = jsonable(step)
    if step.batch is not None:
        out["batch"]["activity_data"] = jsonable(step.batch.activity_data)
    return out


def run_json(run: Run, *, steps: bool = True) -> dict[str, Any]:
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
    out: dict[str, Any] = jsonable(message)
    out["recipient_id"] = message.recipient_id
    out["engagement_statuses"] = message.engagement_statuses
    return out


# -- search (a subset of Mailpit's syntax) ------------------------------------------------------
def search_matcher(query: str, inspection: Inspection) -> Callable[[CapturedEmail], bool]:
    """Terms are ANDed; `-` or `!` negates; `to:` `from:` `cc:` `bcc:` `subject:` `addressed:`
    `message-id:` `tag:` `workflow:` `run:` `step:` `recipient:`, `is:read|unread|tagged`,
    `has:attachment|inline`; anything else is free text over subject, addresses and body."""
    checks: list[tuple[bool, Callable[[CapturedEmail], bool]]] = []
    for negate, key, raw in _TOKEN.findall(query):
        value = raw[1:-1] if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"') else raw
        checks.append((bool(negate), _term(key.lower(), value.lower(), inspection)))

    def check(email: CapturedEmail) -> bool:
        return all(test(email) != negate for negate, test in checks)

    return check


def _term(key: str, value: str, inspection: Inspection) -> Callable[[CapturedEmail], bool]:
    def inside(*fields: str | None) -> bool:
        return any(value in (f or "").lower() for f in fields)

    fields: dict[str, Callable[[CapturedEmail], bool]] = {
        "to": lambda e: inside(*e.to),
        "from": lambda e: inside(e.from_, e.envelope_from),
        "cc": lambda e: inside(*e.cc),
        "bcc": lambda e: inside(*e.bcc),
        "reply-to": lambda e: inside(*e.reply_to),
        "addressed": lambda e: inside(*e.to, *e.cc, *e.bcc, *e.envelope_to),
        "subject": lambda e: inside(e.subject),
        "message-id": lambda e: inside(message_id_of(e)),
        "tag": lambda e: any(value == t.get("name", "").lower() for t in e.tags),
        "workflow": lambda e: inside(e.workflow_key),
        "run": lambda e: inside(e.run_id, e.workflow_run_id),
        "step": lambda e: inside(e.step_ref),
        "recipient": lambda e: inside(e.recipient_id),
    }
    if key in fields:
        return fields[key]
    if key == "is" and value in ("read", "unread", "tagged"):
        if value == "tagged":
            return lambda e: bool(e.tags)
        want = value == "read"
        return lambda e: inspection.is_read(e.id) == want
    if key == "has" and value in ("attachment", "attachments", "inline"):
        kind = "inline" if value == "inline" else "attachment"
        return lambda e: any(a.disposition == kind for a in e.attachments)
    text = f"{key}:{value}" if key else value
    return lambda e: any(
        text in (f or "").lower()
        for f in (e.subject, e.from_, *e.to, *e.cc, e.text, e.html, e.workflow_key)
    )


# -- request helpers ----------------------------------------------------------------------------
def int_param(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"query parameter `{name}` must be an integer; got {raw!r}") from None
    if value < 0:
        raise ApiError(400, f"query parameter `{name}` must be 0 or more; got {value}")
    return min(value, maximum) if maximum is not None else value


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The request body as JSON, refusing bodies over 1 MiB and malformed JSON with 400/413."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_JSON_BODY:
            raise ApiError(413, f"request body is over {MAX_JSON_BODY} bytes; send less")
    if not body.strip():
        if required:
            raise ApiError(400, "request body is empty; send a JSON object")
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"request body is not valid JSON ({exc}); send a JSON object") from None


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


Handler = Callable[[Request], Any]


def _wrap(handler: Handler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message)
        except ClockError as exc:
            return error_response(400, str(exc))
        except DoorstepError as exc:
            return error_response(404 if isinstance(exc, KeyError) else 400, str(exc))
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


def inspect_routes(inspection: Inspection) -> list[Route]:
    """Every `/api/...` route; `_app.create_app` puts them in the one Starlette app."""
    emu = inspection.emulator
    lock = emu.clock.lock

    def page(found: list[CapturedEmail], total: list[CapturedEmail], request: Request) -> Any:
        start = int_param(request, "start", 0)
        limit = int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        chunk = found[start : start + limit]
        return {
            "total": len(total),
            "unread": inspection.unread(total),
            "count": len(chunk),
            "messages_count": len(found),
            "messages_unread": inspection.unread(found),
            "start": start,
            "tags": sorted({t.get("name", "") for e in total for t in e.tags}),
            "messages": [mailpit_summary(e, inspection.is_read(e.id)) for e in chunk],
        }

    async def list_messages(request: Request) -> Any:
        total, found = inspection.newest_first()
        return page(found, total, request)

    async def search(request: Request) -> Any:
        query = request.query_params.get("query")
        if query is None:
            raise ApiError(400, "missing query parameter `query`; e.g. /api/v1/search?query=to:a@b")
        total, found = inspection.newest_first(query)
        return page(found, total, request)

    async def delete_messages(request: Request) -> Any:
        body = await json_body(request, required=False)
        ids = _ids(body)
        if ids:
            raise ApiError(
                400,
                "deleting selected messages is not supported; send no body (or an empty `IDs` "
                "list) to delete all, or POST /api/reset to clear everything",
            )
        emu.outbox.clear()
        inspection.forget_reads()
        return Response("ok", media_type="text/plain")

    async def set_read(request: Request) -> Any:
        body = await json_body(request)
        read = body.get("Read", True) if isinstance(body, dict) else None
        if not isinstance(read, bool):
            raise ApiError(400, "`Read` must be true or false")
        ids = _ids(body) or [e.id for e in emu.outbox.all()]
        inspection.mark_read(ids, read)
        return Response("ok", media_type="text/plain")

    async def get_message(request: Request) -> Any:
        email = inspection.email(request.path_params["id"])
        inspection.mark_read([email.id])
        return mailpit_message(email)

    async def get_headers(request: Request) -> Any:
        email = inspection.email(request.path_params["id"])
        headers: dict[str, list[str]] = {}
        for name, value in email.headers:
            headers.setdefault(name, []).append(value)
        return headers

    async def get_raw(request: Request) -> Any:
        email = inspection.email(request.path_params["id"])
        download = request.query_params.get("dl") == "1"
        disposition = f'attachment; filename="{email.id}.eml"' if download else "inline"
        return Response(
            email.raw,
            media_type="message/rfc822" if download else "text/plain; charset=utf-8",
            headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
        )

    async def get_part(request: Request) -> Any:
        email = inspection.email(request.path_params["id"])
        wanted = request.path_params["part"]
        for a in email.attachments:
            if a.id == wanted:
                name = (a.filename or a.id).replace('"', "")
                return Response(
                    a.content,
                    media_type="application/octet-stream",
                    headers={
                        "Content-Disposition": f'attachment; filename="{name}"',
                        "X-Content-Type-Options": "nosniff",
                    },
                )
        known = ", ".join(a.id for a in email.attachments) or "none"
        raise ApiError(404, f"email {email.id} has no part {wanted!r} (parts: {known})")

    async def list_runs(request: Request) -> Any:
        q = request.query_params
        with lock:
            runs = emu.runs(
                workflow=q.get("workflow"), recipient=q.get("recipient"), status=q.get("status")
            )
            runs.reverse()
            start = int_param(request, "start", 0)
            limit = int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
            return {
                "total": len(runs),
                "start": start,
                "runs": [run_json(r, steps=False) for r in runs[start : start + limit]],
            }

    async def get_run(request: Request) -> Any:
        with lock:
            try:
                run = emu.run(request.path_params["id"])
            except DoorstepError as exc:
                raise ApiError(404, f"{exc}; list runs with GET /api/runs") from None
            return run_json(run)

    async def list_channel_messages(request: Request) -> Any:
        q = request.query_params
        with lock:
            found = emu.messages(
                channel_type=q.get("channel_type"),
                recipient=q.get("recipient"),
                workflow=q.get("workflow"),
                step_ref=q.get("step_ref"),
                status=q.get("status"),
            )
            return {"total": len(found), "messages": [message_json(m) for m in found]}

    async def get_clock(request: Request) -> Any:
        return inspection.clock_json()

    async def advance_clock(request: Request) -> Any:
        body = await json_body(request)
        fired = advance(emu, body)
        return {"fired": fired, "clock": inspection.clock_json()}

    async def reset(request: Request) -> Any:
        emu.reset()
        inspection.forget_reads()
        return {"reset": True, "clock": inspection.clock_json()}

    async def stats(request: Request) -> Any:
        latest = emu.outbox.latest()
        with lock:
            runs = len(emu.runs())
            now = emu.clock.now
        return {
            "emails": len(emu.outbox),
            "latest_email": latest.id if latest else None,
            "runs": runs,
            "now": iso(now),
        }

    table: list[tuple[str, Handler, list[str]]] = [
        ("/api/v1/messages", list_messages, ["GET"]),
        ("/api/v1/messages", delete_messages, ["DELETE"]),
        ("/api/v1/messages", set_read, ["PUT"]),
        ("/api/v1/search", search, ["GET"]),
        ("/api/v1/message/{id}", get_message, ["GET"]),
        ("/api/v1/message/{id}/headers", get_headers, ["GET"]),
        ("/api/v1/message/{id}/raw", get_raw, ["GET"]),
        ("/api/v1/message/{id}/part/{part}", get_part, ["GET"]),
        ("/api/runs", list_runs, ["GET"]),
        ("/api/runs/{id}", get_run, ["GET"]),
        ("/api/messages", list_channel_messages, ["GET"]),
        ("/api/clock", get_clock, ["GET"]),
        ("/api/clock/advance", advance_clock, ["POST"]),
        ("/api/reset", reset, ["POST"]),
        ("/api/stats", stats, ["GET"]),
    ]
    return [Route(path, _wrap(handler), methods=methods) for path, handler, methods in table]


def advance(emulator: Emulator, body: Any) -> int:
    """Apply `{"seconds": N}`, `{"to": ISO}` or `{"next": true}`; returns timers fired."""
    if not isinstance(body, dict):
        raise ApiError(
            400, 'send a JSON object: {"seconds": N}, {"to": ISO-8601} or {"next": true}'
        )
    given = [k for k in ("seconds", "to", "next") if k in body]
    unknown = sorted(set(body) - {"seconds", "to", "next"})
    if unknown or len(given) != 1:
        raise ApiError(
            400,
            f"give exactly one of `seconds`, `to`, `next` (got {sorted(body)}); e.g. "
            '{"seconds": 300}',
        )
    clock = emulator.clock
    key = given[0]
    value = body[key]
    if key == "seconds":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ApiError(400, f"`seconds` must be a number of 0 or more; got {value!r}")
        with clock.lock:
            return clock.advance(seconds=value)
    if key == "to":
        if not isinstance(value, str):
            raise ApiError(400, f"`to` must be an ISO-8601 string; got {value!r}")
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(
                400, f"`to` is not ISO-8601 ({value!r}); use e.g. 2025-01-01T09:05:00Z"
            ) from None
        if when.tzinfo is None:
            raise ApiError(400, f"`to` has no time zone ({value!r}); add Z or +00:00")
        with clock.lock:
            return clock.advance_to(when)
    if value is not True:
        raise ApiError(400, f"`next` must be true; got {value!r}")
    with clock.lock:
        return clock.advance_to_next()


def _ids(body: Any) -> list[str]:
    if body is None:
        return []
    if not isinstance(body, dict):
        raise ApiError(400, 'send a JSON object such as {"IDs": ["..."]}')
    ids = body.get("IDs", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "`IDs` must be a list of message id strings")
    return ids
