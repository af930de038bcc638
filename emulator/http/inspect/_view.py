"""Mailpit's testing routes: `/view/{ID}.html`, `/view/{ID}.txt` and the link check.

The bare HTML is for UI tests that open a captured email directly (Playwright `page.goto`). It is
served with the inspector's sandboxing CSP (`EMAIL_CSP`): the document gets an opaque origin and
no script runs, so a captured email can never act in our origin. Errors on `/view` are plain text
with a 404, as Mailpit answers them; the link check answers errors like the rest of `/api`.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from emulator.http.inspect._api import error_response
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._render import EMAIL_CSP, security_headers
from emulator.http.linkcheck import LinkChecker


async def view_html(inspection: Inspection, request: Request) -> Response:
    """`/view/{id}.html`: the captured HTML alone, under the sandboxing CSP."""
    try:
        email = inspection.email(request.path_params["id"])
    except ApiError as exc:
        return _not_found(exc)
    if not email.html:
        return _text(
            404,
            f"This message does not contain a HTML part; read its text at /view/{email.id}.txt",
        )
    return HTMLResponse(email.html, headers=security_headers(EMAIL_CSP))


async def view_text(inspection: Inspection, request: Request) -> Response:
    """`/view/{id}.txt`: the captured text part alone."""
    try:
        email = inspection.email(request.path_params["id"])
    except ApiError as exc:
        return _not_found(exc)
    return _text(200, email.text or "")


async def link_check(inspection: Inspection, checker: LinkChecker, request: Request) -> Response:
    """`/api/v1/message/{id}/link-check`: Mailpit's link check (`follow=true` follows redirects)."""
    try:
        email = inspection.email(request.path_params["id"])
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    follow = request.query_params.get("follow", "") in ("true", "1")
    return JSONResponse(await checker.check_email(email.html, email.text, follow=follow))


def view_routes(inspection: Inspection, checker: LinkChecker) -> list[Route]:
    """The routes `_app` adds next to `/api`; `checker` holds the link-check allow-list."""
    return [
        Route("/view/{id}.html", partial(view_html, inspection), methods=["GET"]),
        Route("/view/{id}.txt", partial(view_text, inspection), methods=["GET"]),
        Route(
            "/api/v1/message/{id}/link-check",
            partial(link_check, inspection, checker),
            methods=["GET"],
        ),
    ]


def _not_found(exc: ApiError) -> Response:
    return _text(exc.status, f"Message not found: {exc.message} (ids: GET /api/v1/messages)")


def _text(status: int, body: str) -> Response:
    return Response(
        body,
        status_code=status,
        media_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )
