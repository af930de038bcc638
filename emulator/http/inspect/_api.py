"""The inspection API under `/api/`: a Mailpit-compatible subset plus runs, messages and clock.

Mailpit clients (`mailpit-api`, pytest-mailpit, cypress-mailpit) read `/api/v1/messages`,
`/api/v1/message/{ID}` and `/api/v1/search`; the shapes follow Mailpit's swagger (PascalCase
keys). Our own routes (`/api/runs`, `/api/messages`, `/api/clock`, `/api/reset`) use snake_case.
Every handler holds `emulator.clock.lock` while it reads or changes state, because the engine
is also driven from the SMTP thread and the real-time ticker.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator import ClockError, DoorstepError
from emulator.http.inspect._events import stats_payload
from emulator.http.inspect._shapes import (  # re-exported: tests and the inspector use them
    iso,
    mailpit_message,
    mailpit_summary,
    message_json,
    run_json,
    search_matcher,
)
from emulator.http.linkcheck._rules import parse_allow_list
from emulator.mail import CapturedEmail, UnknownEmail

if TYPE_CHECKING:
    from emulator import Emulator

DEFAULT_LIMIT = 50  # Mailpit's page size
MAX_LIMIT = 1000
MAX_JSON_BODY = 1024 * 1024


class ApiError(DoorstepError):
    """A request the inspection API refuses; becomes `{"error": ...}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


ReadListener = Callable[[tuple[str, ...], bool], None]  # (email ids, now read?)


class Inspection:
    """What the inspection API and the web inspector share: the emulator, read flags, clock mode
    and the link check's allow-list."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        clock_mode: str = "manual",
        link_check_hosts: Collection[str] | str = (),
    ) -> None:
        self.emulator = emulator
        self.clock_mode = clock_mode
        # the only hosts the link check contacts, validated now (ValueError names a bad entry)
        self.link_check_hosts = tuple(str(rule) for rule in parse_allow_list(link_check_hosts))
        self._read: set[str] = set()
        self._read_listeners: tuple[ReadListener, ...] = ()
        self._lock = threading.Lock()

    # -- Mailpit's Read flag --------------------------------------------------------------
    def is_read(self, email_id: str) -> bool:
        return email_id in self._read

    def mark_read(self, ids: Sequence[str], read: bool = True) -> None:
        with self._lock:
            changed = tuple(i for i in dict.fromkeys(ids) if (i in self._read) != read)
            if read:
                self._read.update(ids)
            else:
                self._read.difference_update(ids)
            listeners = self._read_listeners
        for listener in listeners if changed else ():  # Mailpit's `update` websocket message
            listener(changed, read)

    def subscribe_reads(self, listener: ReadListener) -> Callable[[], None]:
        """Hear every Read flag change (ids, read) after the lock is released."""
        with self._lock:
            self._read_listeners = (*self._read_listeners, listener)

        def unsubscribe() -> None:
            with self._lock:
                self._read_listeners = tuple(x for x in self._read_listeners if x is not listener)

        return unsubscribe

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
            try:
                emu.outbox.delete(ids)
            except UnknownEmail as exc:
                raise ApiError(404, str(exc)) from None
            return Response("ok", media_type="text/plain")
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
        return stats_payload(emu)  # the same payload the /api/events socket sends as `stats`

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
