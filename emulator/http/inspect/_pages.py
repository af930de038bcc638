"""The web inspector under `/ui/`: server-rendered pages for QA, a little vanilla JS on top.

Every page is rendered by Jinja2 with autoescaping and served with a strict Content-Security-
Policy (scripts only from `/ui/static/`). Captured HTML is never inlined: it is served from
`/ui/email/{id}/html` with `Content-Security-Policy: sandbox` and shown in an
`<iframe sandbox>` without `allow-scripts` or `allow-same-origin`, so nothing a captured email
contains can run script in the inspector's origin; its links open a new tab (`allow-popups`),
and remote content loads only when asked. Forms work without JavaScript. The pages about runs,
schedules and feeds are in `_pages_runs`, the form actions in `_ui_actions`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from emulator import ClockError, DoorstepError
from emulator.http.inspect._clock_advance import advance
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._pages_guides import guides
from emulator.http.inspect._pages_runs import feed, feeds, run, runs, schedules, workflow_name
from emulator.http.inspect._render import (
    EMAIL_CSP_LOCAL,
    EMAIL_CSP_REMOTE,
    NEW_TAB,
    PAGE_SIZE,
    security_headers,
)
from emulator.http.inspect._render import page as _page
from emulator.http.inspect._render import text as _text
from emulator.http.inspect._shapes import received, snippet
from emulator.http.inspect._ui_actions import FormError, action_routes, back_to, read_form

if TYPE_CHECKING:
    from emulator import Emulator


async def emails(inspection: Inspection, request: Request) -> Response:
    """`/ui/`: the captured emails, newest first, searchable, 50 a page."""
    query = request.query_params.get("q", "")
    try:
        start = max(0, int(request.query_params.get("start", "0")))
    except ValueError:
        return _text(400, "`start` must be a whole number")
    found = inspection.listing(query, start, PAGE_SIZE)
    rows = [
        {
            "id": e.id,
            "from": e.from_,
            "to": ", ".join(e.to),
            "subject": e.subject or "(no subject)",
            "snippet": snippet(e, 120),
            "received": received(e),
            "read": inspection.is_read(e.id),
            "tags": inspection.tags_of(e),
            "workflow": e.workflow_key or "",
            "attachments": len(e.attachments),
        }
        for e in found.emails
    ]

    def link(offset: int) -> str:
        return "/ui/?" + urlencode({"q": query, "start": offset} if query else {"start": offset})

    return _page(
        request,
        inspection,
        "emails.html",
        rows=rows,
        query=query,
        total=found.total,
        unread=found.unread,
        matched=found.matched,
        start=start,
        end=start + len(rows),
        newer=link(max(0, start - PAGE_SIZE)) if start > 0 else None,
        older=link(start + PAGE_SIZE) if start + PAGE_SIZE < found.matched else None,
        live=start == 0,
    )


async def email(inspection: Inspection, request: Request) -> Response:
    """`/ui/email/{id}`: one email's headers, parts and source; opening it marks it read."""
    try:
        found = inspection.email(request.path_params["id"])
    except ApiError as exc:
        return _text(exc.status, exc.message)
    inspection.mark_read([found.id])
    return _page(
        request,
        inspection,
        "email.html",
        email=found,
        received=received(found),
        raw=found.raw.decode("utf-8", "replace"),
        tags=inspection.tags_of(found),
        warnings=_email_warnings(inspection.emulator, found.message_id),
        workflow_name=workflow_name(inspection.emulator, found.workflow_key),
        relay=inspection.relay,
        spamassassin=inspection.spamassassin is not None,
        remote=request.query_params.get("remote") == "1",
    )


def _email_warnings(emu: Emulator, message_id: str | None) -> list[str]:
    """What rendering the email's template could not resolve (undefined variables, ...)."""
    if message_id is None:
        return []
    try:
        with emu.lock:
            return [str(d) for d in emu.message(message_id).diagnostics]
    except DoorstepError:
        return []


async def email_html(inspection: Inspection, request: Request) -> Response:
    """`/ui/email/{id}/html`: the captured HTML, sandboxed, for the page's iframe."""
    try:
        found = inspection.email(request.path_params["id"])
    except ApiError as exc:
        return _text(exc.status, exc.message)
    body = found.html if found.html is not None else ""
    remote = request.query_params.get("remote") == "1"
    headers = security_headers(EMAIL_CSP_REMOTE if remote else EMAIL_CSP_LOCAL)
    headers["X-Frame-Options"] = "SAMEORIGIN"
    return HTMLResponse(NEW_TAB + body, headers=headers)


async def advance_form(inspection: Inspection, request: Request) -> Response:
    """`POST /ui/clock/advance`: the clock's buttons and fields; redirects back to the page.
    `to` may come from a `datetime-local` field (no zone): it is read as UTC, the clock's zone."""
    try:
        form = await read_form(request)
    except FormError as exc:
        return _text(exc.status, exc.message)
    body: dict[str, Any]
    if form.get("next"):
        body = {"next": True}
    elif form.get("to"):
        to = str(form.get("to"))
        body = {"to": to if to.endswith("Z") or "+" in to[10:] else to + "Z"}
    else:
        try:
            body = {"seconds": float(str(form.get("seconds", "")))}
        except ValueError:
            return _text(400, "`seconds` must be a number, e.g. 300 for five minutes")
    try:
        advance(inspection.emulator, body)
    except (ApiError, ClockError) as exc:
        return _text(400, str(exc))
    return back_to(form)


async def _to_inspector(request: Request) -> Response:
    return RedirectResponse("/ui/", status_code=307)


def inspector_routes(inspection: Inspection) -> list[Route]:
    """Every `/ui/...` page over `inspection` (the static files are `static_mount`)."""
    return [
        Route("/ui", _to_inspector),
        Route("/ui/", partial(emails, inspection)),
        Route("/ui/email/{id}", partial(email, inspection)),
        Route("/ui/email/{id}/html", partial(email_html, inspection)),
        Route("/ui/runs", partial(runs, inspection)),
        Route("/ui/runs/{id}", partial(run, inspection)),
        Route("/ui/schedules", partial(schedules, inspection)),
        Route("/ui/guides", partial(guides, inspection)),
        Route("/ui/feeds", partial(feeds, inspection)),
        # `path`: servers decode %2F before routing, so a user id may span segments
        Route("/ui/feeds/{user:path}", partial(feed, inspection)),
        Route("/ui/clock/advance", partial(advance_form, inspection), methods=["POST"]),
        *action_routes(inspection),
    ]
