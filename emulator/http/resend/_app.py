"""The Resend-compatible HTTP API (Starlette) over a `ResendService`.

Every answer is JSON (the Python SDK raises on anything else), errors are
`{"statusCode", "name", "message"}` with the same HTTP status, success bodies never carry
`statusCode`, and every response has the `ratelimit-*` headers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.http.resend._checked import Checked, Handler, json_body, raw_body, too_large
from emulator.http.resend._resources import received_file, receiving_handlers, resource_handlers
from emulator.mail import AttachmentRecord, EmailRecord, ResendApiError, ResendService

LIST_DEFAULT = 20
# Every top-level resource of resend-api.yml and the `resend` SDK (2.52: `inboxes`, `usage`):
# paths under them are Resend's, so an endpoint Doorstep does not emulate (`/inboxes`, `/usage`,
# which resend-api.yml does not document) answers Resend's 404, not the inspection API's.
RESEND_RESOURCES = frozenset(
    {
        "api-keys", "audiences", "automations", "broadcasts", "contact-properties", "contacts",
        "domains", "emails", "events", "inboxes", "logs", "oauth", "segments", "suppressions",
        "templates", "topics", "usage", "webhooks",
    }
)  # fmt: skip


def is_resend_path(path: str) -> bool:
    """Whether `path` belongs to Resend's API (its first segment is a Resend resource)."""
    return path.split("/", 2)[1] in RESEND_RESOURCES if path.startswith("/") else False


def _pg_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"


def email_json(record: EmailRecord, *, full: bool = True) -> dict[str, Any]:
    """The `Email` object; list items leave out html, text and tags like Resend's list."""
    e = record.valid.email
    out: dict[str, Any] = {
        "object": "email",
        "id": record.id,
        "message_id": f"<{record.id}@doorstep.local>",
        "to": list(e.to),
        "from": e.from_,
        "created_at": _pg_time(record.created_at),
        "subject": e.subject,
        "bcc": list(e.bcc),
        "cc": list(e.cc),
        "reply_to": list(e.reply_to),
        "last_event": record.last_event,
        "scheduled_at": _pg_time(record.scheduled_at) if record.scheduled_at else None,
    }
    if full:
        out["html"] = e.html
        out["text"] = record.valid.text
        out["tags"] = [dict(t) for t in e.tags]
    return out


def attachment_json(request: Request, record: EmailRecord, a: AttachmentRecord) -> dict[str, Any]:
    """Resend's `Attachment` object, with a download URL on this server."""
    base = str(request.base_url).rstrip("/")
    out: dict[str, Any] = {
        "object": "attachment",
        "id": a.id,
        "filename": a.filename,
        "content_type": a.content_type,
        "content_disposition": a.disposition,
        "size": len(a.content),
        "download_url": a.path or f"{base}/emails/{record.id}/attachments/{a.id}/content",
        "expires_at": (record.created_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    if a.content_id:
        out["content_id"] = a.content_id
    return out


def _service(request: Request) -> ResendService:
    """The service `create_resend_app` stored on the app."""
    service: ResendService = request.app.state.resend
    return service


async def send_batch(request: Request) -> dict[str, Any]:
    """`POST /emails/batch`: up to 100 emails; `x-batch-validation: permissive` keeps the good."""
    mode = request.headers.get("x-batch-validation", "strict").lower()
    if mode not in ("strict", "permissive"):
        raise ResendApiError(
            422,
            "validation_error",
            "Invalid `x-batch-validation` header. Use `strict` or `permissive`.",
        )
    return _service(request).send_batch(_json(request), permissive=mode == "permissive")


async def email_metrics(request: Request) -> dict[str, Any]:
    """`GET /emails/metrics`: counts of the emails sent through this API."""
    query = {key: request.query_params.getlist(key) for key in request.query_params}
    return _service(request).emails.metrics(query)


async def get_email(request: Request) -> dict[str, Any]:
    """`GET /emails/{email_id}`: one email with its html, text and tags."""
    return email_json(_service(request).get(request.path_params["email_id"]))


async def list_emails(request: Request) -> dict[str, Any]:
    """`GET /emails`: newest first, paged by `limit` and `after` or `before`."""
    limit, after, before = _page(request)
    records, more = _service(request).list(limit, after, before)
    return {
        "object": "list",
        "has_more": more,
        "data": [email_json(r, full=False) for r in records],
    }


async def update_email(request: Request) -> dict[str, Any]:
    """`PATCH /emails/{email_id}`: move a scheduled email's `scheduled_at`."""
    record = _service(request).reschedule(request.path_params["email_id"], _json(request))
    return {"object": "email", "id": record.id}


async def cancel_email(request: Request) -> dict[str, Any]:
    """`POST /emails/{email_id}/cancel`: cancel a scheduled email."""
    record = _service(request).cancel(request.path_params["email_id"])
    return {"object": "email", "id": record.id}


async def list_attachments(request: Request) -> dict[str, Any]:
    """`GET /emails/{email_id}/attachments`: the email's attachments, paged like emails."""
    record = _service(request).get(request.path_params["email_id"])
    limit, after, before = _page(request)
    items = [attachment_json(request, record, a) for a in record.attachments]
    ids = [a["id"] for a in items]
    start = ids.index(after) + 1 if after in ids else 0
    end = ids.index(before) if before in ids else len(items)
    page = items[start:end][:limit]
    for item in page:
        item.pop("object")
    return {"object": "list", "has_more": start + limit < end, "data": page}


async def get_attachment(request: Request) -> dict[str, Any]:
    """`GET /emails/{email_id}/attachments/{attachment_id}`: one attachment's metadata."""
    service = _service(request)
    record = service.get(request.path_params["email_id"])
    found = service.attachment(record.id, request.path_params["attachment_id"])
    return attachment_json(request, record, found)


async def download_attachment(request: Request) -> Response:
    """`.../attachments/{attachment_id}/content`: the bytes, without key or rate checks."""
    try:
        found = _service(request).attachment(
            request.path_params["email_id"], request.path_params["attachment_id"]
        )
    except ResendApiError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    return Response(found.content, media_type=found.content_type)


async def _not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer in Resend's error shape too; 405 names `Allow`."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = exc.headers if isinstance(exc, HTTPException) else None
    if status == 405:
        error = ResendApiError(
            405, "method_not_allowed", "Method is not allowed for the requested path."
        )
    elif status == 404:
        error = ResendApiError(404, "not_found", "The requested endpoint does not exist.")
    else:
        error = ResendApiError(status, "application_error", str(exc))
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def payload_too_large(size: int, limit: int) -> Response:
    """Resend's 413 for a body over `limit` bytes (the app refuses it before reading)."""
    error = too_large(size, limit)
    return JSONResponse(error.body(), status_code=error.status)


class _ResendApp(Starlette):
    """The Starlette app, with sends (`POST /emails`, most requests) handed straight to their
    endpoint: it answers every outcome itself, so Starlette's routing and error middleware
    would only add their cost."""

    def __init__(self, send_endpoint: Checked, **options: Any) -> None:
        super().__init__(**options)
        self.send_endpoint = send_endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/emails" and scope["method"] == "POST":
            scope["app"] = self  # what Starlette sets, for `request.app`
            await self.send_endpoint(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class _ByMethod:
    """An ASGI app: the endpoint for the request's method (HEAD is answered as GET)."""

    __slots__ = ("endpoints",)

    def __init__(self, endpoints: dict[str, ASGIApp]) -> None:
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        await self.endpoints["GET" if method == "HEAD" else method](scope, receive, send)


def create_resend_app(service: ResendService) -> Starlette:
    """A Starlette app serving Resend's email endpoints from `service` (kept in `app.state`)."""
    one = "/emails/{email_id}"
    attachment = one + "/attachments/{attachment_id}"

    def checked(handler: Handler, *, send: bool = False, status: int = 200) -> Checked:
        return Checked(service, handler, idempotent=send, status=status)

    def send_email(raw: bytes) -> dict[str, Any]:
        """`POST /emails`: validate, capture (or schedule) one email."""
        return service.send(json_body(raw))

    send_one = Checked(service, None, idempotent=True, status=200, on_body=send_email)
    table: list[tuple[str, str, ASGIApp]] = [
        ("/emails", "POST", send_one),  # `_ResendApp` calls it without routing
        *(  # before `/emails/{email_id}`, which would take `receiving` for an id
            (path, method, checked(handler, status=status))
            for path, method, handler, status in receiving_handlers(_service, _page)
        ),
        (
            "/emails/receiving/{email_id}/attachments/{attachment_id}/content",
            "GET",
            request_response(received_file),
        ),
        ("/emails", "GET", checked(list_emails)),
        ("/emails/batch", "POST", checked(send_batch, send=True)),
        ("/emails/metrics", "GET", checked(email_metrics)),
        (one, "GET", checked(get_email)),
        (one, "PATCH", checked(update_email)),
        (one + "/cancel", "POST", checked(cancel_email)),
        (one + "/attachments", "GET", checked(list_attachments)),
        (attachment, "GET", checked(get_attachment)),
        (attachment + "/content", "GET", request_response(download_attachment)),
        *(
            (path, method, checked(handler, status=status))
            for path, method, handler, status in resource_handlers(_service, _json, _page)
        ),
    ]
    by_path: dict[str, dict[str, ASGIApp]] = {}
    for path, method, endpoint in table:
        by_path.setdefault(path, {})[method] = endpoint
    routes = [
        # one Route per path, so a 405's `Allow` names every method the path has
        *(Route(p, _ByMethod(e), methods=list(e)) for p, e in by_path.items()),
    ]
    app = _ResendApp(send_one, routes=routes, exception_handlers={HTTPException: _not_found})
    app.state.resend = service
    return app


def _json(request: Request) -> Any:
    return json_body(raw_body(request))


def _page(request: Request) -> tuple[int, str | None, str | None]:
    query = request.query_params
    raw_limit = query.get("limit")
    after, before = query.get("after"), query.get("before")
    if after and before:
        raise ResendApiError(
            422, "validation_error", "The `after` and `before` parameters cannot be used together."
        )
    if raw_limit is None:
        return LIST_DEFAULT, after, before
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise ResendApiError(
            422, "validation_error", "The `limit` parameter must be an integer between 1 and 100."
        )
    return int(raw_limit), after, before
