"""The inspection API under `/api/`: a Mailpit-compatible subset plus runs, messages and clock.

Mailpit clients (`mailpit-api`, pytest-mailpit, cypress-mailpit) read `/api/v1/messages`,
`/api/v1/message/{ID}` and `/api/v1/search`; the shapes follow Mailpit's swagger (PascalCase
keys). Our own routes (`/api/runs`, `/api/messages`, `/api/clock`, `/api/reset`) use snake_case.
Handlers hold `emulator.lock` while several reads must agree or they change the clock, because
the engine is also driven from the SMTP thread and the real-time ticker. Each handler is a
module-level `handler(inspection, request)`; `inspect_routes` binds it to one `Inspection`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator import ClockError, DoorstepError
from emulator.http._json_body import JsonBodyError, decode_json
from emulator.http.inspect._clock_advance import advance
from emulator.http.inspect._events import stats_payload
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._mailpit_body import parse_selection
from emulator.http.inspect._shapes import mailpit_message, mailpit_summary, message_json, run_json

DEFAULT_LIMIT = 50  # Mailpit's page size
MAX_LIMIT = 1000
MAX_JSON_BODY = 1024 * 1024


# -- request helpers ----------------------------------------------------------------------------
def int_param(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    """A non-negative integer query parameter (capped at `maximum`), or ApiError 400."""
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


async def json_body(
    request: Request, *, required: bool = True, empty: Any = None, limit: int = MAX_JSON_BODY
) -> Any:
    """The request body as JSON, refusing bodies over `limit` (1 MiB) and malformed JSON with
    400/413.

    An empty body is a 400 when `required`, else `empty` (so a caller can tell it from `null`).
    """
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ApiError(413, f"request body is over {limit} bytes; send less")
    if not body.strip():
        if required:
            raise ApiError(400, "request body is empty; send a JSON object")
        return empty
    try:
        return decode_json(bytes(body))
    except JsonBodyError as exc:
        raise ApiError(400, f"{exc.message}; send a JSON object") from None


def attachment_disposition(filename: str) -> str:
    """`attachment` with an ASCII `filename` and, for any other name, RFC 6266 `filename*`.

    Header values are Latin-1 on the wire, so `報告€.csv` cannot go in `filename` as it is;
    browsers prefer `filename*` (UTF-8, percent-encoded) and older clients read the fallback.
    """
    fallback = "".join(
        ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in filename
    ).strip()
    plain = f'attachment; filename="{fallback or "download"}"'
    if fallback == filename:
        return plain
    return f"{plain}; filename*=UTF-8''{quote(filename, safe='')}"


def error_response(status: int, message: str) -> JSONResponse:
    """The inspection API's error body: `{"error": message, "status": status}`."""
    return JSONResponse({"error": message, "status": status}, status_code=status)


Handler = Callable[[Inspection, Request], Awaitable[Any]]


async def respond(handler: Handler, inspection: Inspection, request: Request) -> Response:
    """Run one handler: errors become `{"error", "status"}`, plain values JSON."""
    try:
        result = await handler(inspection, request)
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    except ClockError as exc:
        return error_response(400, str(exc))
    except DoorstepError as exc:
        return error_response(404 if isinstance(exc, KeyError) else 400, str(exc))
    return result if isinstance(result, Response) else JSONResponse(result)


def canonical_header(name: str) -> str:
    """Go's CanonicalMIMEHeaderKey: each dash-separated word capitalised, the rest lower."""
    if not name or any(c.isspace() or not c.isascii() for c in name):
        return name  # Go leaves names it cannot canonicalise as they are
    return "-".join(word[:1].upper() + word[1:].lower() for word in name.split("-"))


# -- Mailpit's messages ------------------------------------------------------------------------
def _page(inspection: Inspection, request: Request, query: str = "") -> dict[str, Any]:
    start = int_param(request, "start", 0)
    limit = int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    found = inspection.listing(query, start, limit, request.query_params.get("tz"))
    return {
        "total": found.total,
        "unread": found.unread,
        "count": len(found.emails),
        "messages_count": found.matched,
        "messages_unread": found.matched_unread,
        "start": start,
        "tags": found.tags,
        "messages": [
            mailpit_summary(e, inspection.is_read(e.id), inspection.tags_of(e))
            for e in found.emails
        ],
    }


async def list_messages(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/messages: Mailpit's message list, newest first, paged by `start`/`limit`."""
    return _page(inspection, request)


async def search(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/search?query=...: the list, filtered by Mailpit's search syntax."""
    query = request.query_params.get("query")
    if query is None:
        raise ApiError(400, "missing query parameter `query`; e.g. /api/v1/search?query=to:a@b")
    return _page(inspection, request, query)


async def delete_messages(inspection: Inspection, request: Request) -> Any:
    """DELETE /api/v1/messages: the emails in `IDs` (unknown ids skipped, as Mailpit does);
    every email only for an empty body, `{}` or `{"IDs": []}` (what Mailpit's clients send to
    mean all)."""
    outbox = inspection.emulator.outbox
    chosen = parse_selection(await json_body(request, required=False, empty={}), ("IDs",))
    if chosen.ids:
        outbox.delete(list(chosen.ids), missing_ok=True)
        return Response("ok", media_type="text/plain")
    outbox.clear()
    return Response("ok", media_type="text/plain")


async def set_read(inspection: Inspection, request: Request) -> Any:
    """PUT /api/v1/messages: set `Read` (false when missing, as in Mailpit) on the emails in
    `IDs`, on the matches of `Search`, or on every email when neither is given."""
    chosen = parse_selection(await json_body(request), ("Read", "IDs", "Search"))
    if chosen.ids:
        ids = list(chosen.ids)
    else:
        tz = request.query_params.get("tz")
        ids = [e.id for e in inspection.matches(chosen.search, tz)]
    inspection.mark_read(ids, chosen.read)
    return Response("ok", media_type="text/plain")


async def get_message(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/message/{id}: Mailpit's full message; reading it marks it read."""
    email = inspection.email(request.path_params["id"])
    inspection.mark_read([email.id])
    return mailpit_message(email, inspection.tags_of(email))


async def get_headers(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/message/{id}/headers: every header, name to list of values; names
    canonical (`Message-Id`, `Mime-Version`) and sorted, as Go's net/textproto gives them."""
    email = inspection.email(request.path_params["id"])
    headers: dict[str, list[str]] = {}
    for name, value in email.headers:
        headers.setdefault(canonical_header(name), []).append(value)
    return dict(sorted(headers.items()))


async def get_raw(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/message/{id}/raw: the MIME source (`dl=1` downloads it as .eml)."""
    email = inspection.email(request.path_params["id"])
    download = request.query_params.get("dl") == "1"
    disposition = attachment_disposition(f"{email.id}.eml") if download else "inline"
    return Response(
        email.raw,
        media_type="message/rfc822" if download else "text/plain; charset=utf-8",
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


async def get_part(inspection: Inspection, request: Request) -> Any:
    """GET /api/v1/message/{id}/part/{part}: one attachment's bytes with its content type,
    always as a download, never sniffed, and sandboxed should a browser render it anyway."""
    email = inspection.email(request.path_params["id"])
    wanted = request.path_params["part"]
    for a in email.attachments:
        if a.id == wanted:
            return Response(
                a.content,
                media_type=a.content_type or "application/octet-stream",
                headers={
                    "Content-Disposition": attachment_disposition(a.filename or a.id),
                    "X-Content-Type-Options": "nosniff",
                    "Content-Security-Policy": "sandbox",
                },
            )
    known = ", ".join(a.id for a in email.attachments) or "none"
    raise ApiError(404, f"email {email.id} has no part {wanted!r} (parts: {known})")


# -- runs, messages, clock ----------------------------------------------------------------------
async def list_runs(inspection: Inspection, request: Request) -> Any:
    """GET /api/runs: workflow runs, newest first, filtered by workflow/recipient/status."""
    emu = inspection.emulator
    q = request.query_params
    with emu.lock:
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


async def get_run(inspection: Inspection, request: Request) -> Any:
    """GET /api/runs/{id}: one run with its step-by-step timeline."""
    emu = inspection.emulator
    with emu.lock:
        try:
            run = emu.run(request.path_params["id"])
        except DoorstepError as exc:
            raise ApiError(404, f"{exc}; list runs with GET /api/runs") from None
        return run_json(run)


async def list_channel_messages(inspection: Inspection, request: Request) -> Any:
    """GET /api/messages: message records of every channel, oldest first, filtered."""
    emu = inspection.emulator
    q = request.query_params
    with emu.lock:
        found = emu.messages(
            channel_type=q.get("channel_type"),
            recipient=q.get("recipient"),
            workflow=q.get("workflow"),
            step_ref=q.get("step_ref"),
            status=q.get("status"),
        )
        return {"total": len(found), "messages": [message_json(m) for m in found]}


async def get_clock(inspection: Inspection, request: Request) -> Any:
    """GET /api/clock: virtual now, clock mode and the next timers."""
    return inspection.clock_json()


async def advance_clock(inspection: Inspection, request: Request) -> Any:
    """POST /api/clock/advance: move the virtual clock (see `advance`)."""
    fired = advance(inspection.emulator, await json_body(request))
    return {"fired": fired, "clock": inspection.clock_json()}


async def reset(inspection: Inspection, request: Request) -> Any:
    """POST /api/reset: forget runs, messages, recipients and mail; keep the clock."""
    inspection.emulator.reset()
    return {"reset": True, "clock": inspection.clock_json()}


async def stats(inspection: Inspection, request: Request) -> Any:
    """GET /api/stats: email count, newest email, run count and virtual now."""
    return stats_payload(inspection.emulator)  # what the /api/events socket sends as `stats`


ROUTES: tuple[tuple[str, Handler, str], ...] = (
    ("/api/v1/messages", list_messages, "GET"),
    ("/api/v1/messages", delete_messages, "DELETE"),
    ("/api/v1/messages", set_read, "PUT"),
    ("/api/v1/search", search, "GET"),
    ("/api/v1/message/{id}", get_message, "GET"),
    ("/api/v1/message/{id}/headers", get_headers, "GET"),
    ("/api/v1/message/{id}/raw", get_raw, "GET"),
    ("/api/v1/message/{id}/part/{part}", get_part, "GET"),
    ("/api/runs", list_runs, "GET"),
    ("/api/runs/{id}", get_run, "GET"),
    ("/api/messages", list_channel_messages, "GET"),
    ("/api/clock", get_clock, "GET"),
    ("/api/clock/advance", advance_clock, "POST"),
    ("/api/reset", reset, "POST"),
    ("/api/stats", stats, "GET"),
)
