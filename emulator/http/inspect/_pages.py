"""The web inspector under `/ui/`: server-rendered pages for QA, a little vanilla JS on top.

Every page is rendered by Jinja2 with autoescaping and served with a strict Content-Security-
Policy (scripts only from `/ui/static/`). Captured HTML is never inlined: it is served from
`/ui/email/{id}/html` with `Content-Security-Policy: sandbox` and shown in an
`<iframe sandbox>` without `allow-scripts` or `allow-same-origin`, so nothing a captured email
contains can run script in the inspector's origin. Forms work without JavaScript.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from emulator import ClockError, DoorstepError
from emulator.http.inspect._clock_advance import advance
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._shapes import iso, jsonable, mailpit_time, received, snippet

if TYPE_CHECKING:
    from emulator import Emulator

HERE = Path(__file__).parent
PAGE_SIZE = 50
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The captured HTML itself: a sandboxed document with no script, framed only by the inspector.
EMAIL_CSP = (
    "sandbox; default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline' "
    "http: https:; font-src data: http: https:; frame-ancestors 'self'"
)
ADVANCE_BUTTONS = (("+1 min", 60), ("+5 min", 300), ("+1 hour", 3600), ("+1 day", 86400))

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# one path segment: `/` and `?` in a user id are escaped (Jinja's urlencode keeps `/`)
_env.filters["segment"] = lambda v: quote(str(v), safe="")
_env.filters["stamp"] = lambda v: (iso(v) or "").replace("T", " ").replace("Z", "")


def static_mount() -> Mount:
    """`/ui/static/`: the inspector's own CSS and JS (the only scripts `PAGE_CSP` allows)."""
    return Mount("/ui/static", app=StaticFiles(directory=HERE / "static"), name="static")


def _page(request: Request, inspection: Inspection, template: str, **values: Any) -> Response:
    latest = inspection.emulator.outbox.latest()
    html = _env.get_template(template).render(
        request_path=request.url.path,
        back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        clock=inspection.clock_json(),
        buttons=ADVANCE_BUTTONS,
        latest_email=latest.id if latest else "",
        **values,
    )
    return HTMLResponse(html, headers=security_headers(PAGE_CSP))


def security_headers(csp: str) -> dict[str, str]:
    """Headers for anything the inspector renders: `csp`, no sniffing, no caching."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8")


async def emails(inspection: Inspection, request: Request) -> Response:
    """`/ui/`: the captured emails, newest first, searchable, 50 a page."""
    query = request.query_params.get("q", "")
    try:
        start = max(0, int(request.query_params.get("start", "0")))
    except ValueError:
        return _text(400, "`start` must be a whole number")
    total, found = inspection.newest_first(query)
    rows = [
        {
            "id": e.id,
            "from": e.from_,
            "to": ", ".join(e.to),
            "subject": e.subject or "(no subject)",
            "snippet": snippet(e, 120),
            "received": mailpit_time(received(e)),
            "read": inspection.is_read(e.id),
            "workflow": e.workflow_key or "",
            "attachments": len(e.attachments),
        }
        for e in found[start : start + PAGE_SIZE]
    ]

    def link(offset: int) -> str:
        return "/ui/?" + urlencode({"q": query, "start": offset} if query else {"start": offset})

    return _page(
        request,
        inspection,
        "emails.html",
        rows=rows,
        query=query,
        total=len(total),
        matched=len(found),
        start=start,
        end=start + len(rows),
        newer=link(max(0, start - PAGE_SIZE)) if start > 0 else None,
        older=link(start + PAGE_SIZE) if start + PAGE_SIZE < len(found) else None,
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
        received=mailpit_time(received(found)),
        raw=found.raw.decode("utf-8", "replace"),
    )


async def email_html(inspection: Inspection, request: Request) -> Response:
    """`/ui/email/{id}/html`: the captured HTML, sandboxed, for the page's iframe."""
    try:
        found = inspection.email(request.path_params["id"])
    except ApiError as exc:
        return _text(exc.status, exc.message)
    body = found.html if found.html is not None else ""
    headers = security_headers(EMAIL_CSP)
    headers["X-Frame-Options"] = "SAMEORIGIN"
    return HTMLResponse(body, headers=headers)


async def runs(inspection: Inspection, request: Request) -> Response:
    """`/ui/runs`: the newest 500 runs with their trace."""
    emu = inspection.emulator
    with emu.lock:
        items = emu.runs()
        items.reverse()
        rows = [
            {
                "id": r.id,
                "workflow": r.workflow,
                "recipient": r.recipient_id,
                "status": r.status,
                "trace": " → ".join(r.trace),
                "inserted_at": r.inserted_at,
            }
            for r in items[:500]
        ]
    return _page(request, inspection, "runs.html", rows=rows, total=len(items))


async def run(inspection: Inspection, request: Request) -> Response:
    """`/ui/runs/{id}`: one run's steps, each with the messages it produced."""
    emu = inspection.emulator
    with emu.lock:
        try:
            record = emu.run(request.path_params["id"])
        except DoorstepError as exc:
            return _text(404, str(exc))
        by_message = {e.message_id: e.id for e in emu.outbox.filter(run_id=record.id)}
        steps = [
            {
                "record": step,
                "messages": [_produced(emu, mid, by_message) for mid in step.message_ids],
                "detail": _detail(step),
            }
            for step in record.steps
        ]
    return _page(
        request, inspection, "run.html", run=record, steps=steps, data=jsonable(record.data)
    )


def _produced(emu: Emulator, message_id: str, emails: dict[str | None, str]) -> dict[str, Any]:
    """One message a step produced, as the run page lists it (`emails`: message id -> email)."""
    try:
        message = emu.message(message_id)
    except DoorstepError:
        return {"id": message_id, "channel": "?", "summary": "", "email": None}
    content = message.content
    summary = content.get("subject") or content.get("markdown_body") or ""
    return {
        "id": message_id,
        "channel": message.channel_type,
        "status": message.status,
        "summary": str(summary)[:200],
        "email": emails.get(message_id),
    }


async def schedules(inspection: Inspection, request: Request) -> Response:
    """`/ui/schedules`: every schedule with its repeat rules, and the static audiences."""
    emu = inspection.emulator
    with emu.lock:
        rows = [
            {
                "id": s.id,
                "workflow": s.workflow,
                "recipient": s.recipient_id,
                "repeats": "; ".join(_repeat_text(r) for r in s.repeats) or "once",
                "next": s.next_occurrence_at,
                "last": s.last_occurrence_at,
                "runs": len(s.run_ids),
                "errors": s.errors,
            }
            for s in emu.schedules()
        ]
        audiences = [
            (key, [(m.user_id, m.tenant) for m in emu.audience_members(key)])
            for key in sorted(emu.audiences())
        ]
    return _page(request, inspection, "schedules.html", rows=rows, audiences=audiences)


async def feeds(inspection: Inspection, request: Request) -> Response:
    """`/ui/feeds`: every user with in-app feed messages, and how many."""
    emu = inspection.emulator
    with emu.lock:
        counts: dict[str, int] = {}
        for m in emu.messages(channel_type="in_app_feed"):
            counts[m.recipient_id] = counts.get(m.recipient_id, 0) + 1
    return _page(request, inspection, "feeds.html", users=sorted(counts.items()))


async def feed(inspection: Inspection, request: Request) -> Response:
    """`/ui/feeds/{user}`: one user's feed, archived items included, with its badge counts."""
    emu = inspection.emulator
    user = request.path_params["user"]
    with emu.lock:
        the_feed = emu.feed(user)
        items = the_feed.items(archived="include")
        unseen, unread = the_feed.unseen_count, the_feed.unread_count
    return _page(
        request, inspection, "feed.html", user=user, items=items, unseen=unseen, unread=unread
    )


async def advance_form(inspection: Inspection, request: Request) -> Response:
    """`POST /ui/clock/advance`: the clock buttons' form; redirects back to the page."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        return _text(403, f"cross-origin form post from {origin} refused")
    raw = await request.body()
    if len(raw) > 4096:
        return _text(413, "form body too large; the clock form sends a few fields")
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    back = str(form.get("back") or "/ui/")
    if not back.startswith("/ui") or back.startswith("//"):
        back = "/ui/"
    body: dict[str, Any]
    if form.get("next"):
        body = {"next": True}
    elif form.get("to"):
        body = {"to": str(form.get("to"))}
    else:
        try:
            body = {"seconds": float(str(form.get("seconds", "")))}
        except ValueError:
            return _text(400, "`seconds` must be a number, e.g. 300 for five minutes")
    try:
        advance(inspection.emulator, body)
    except (ApiError, ClockError) as exc:
        return _text(400, str(exc))
    return RedirectResponse(back, status_code=303)


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
        Route("/ui/feeds", partial(feeds, inspection)),
        # `path`: servers decode %2F before routing, so a user id may span segments
        Route("/ui/feeds/{user:path}", partial(feed, inspection)),
        Route("/ui/clock/advance", partial(advance_form, inspection), methods=["POST"]),
    ]


def _detail(step: Any) -> list[tuple[str, str]]:
    """Step detail as (name, short text) rows; raw engine objects are shown as JSON-ish text."""
    rows = []
    for key, value in (step.detail or {}).items():
        text = jsonable(value)
        rows.append((str(key), text if isinstance(text, str) else _short(text)))
    return rows


def _repeat_text(rule: Any) -> str:
    """`weekly every 2 on mon, fri at 18:00`: a repeat rule as QA reads it."""
    every = int(rule.get("interval") or 1)
    text = str(rule.get("frequency", "?")) + (f" every {every}" if every > 1 else "")
    days = rule.get("days")
    if days:
        text += " on " + (days if isinstance(days, str) else ", ".join(days))
    if rule.get("day_of_month"):
        text += f" day {rule['day_of_month']}"
    hours, minutes = int(rule.get("hours") or 0), int(rule.get("minutes") or 0)
    at = f":{minutes:02d}" if rule.get("frequency") == "hourly" else f"{hours:02d}:{minutes:02d}"
    return f"{text} at {at}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 600 else text[:600] + "…"
