"""The web inspector's actions: small same-origin form posts that redirect back (303).

Mark read or unread, delete one email, every email or the matches of a search, set an email's
tags, release it through the relay, and mark in-app feed items seen, read or archived. Each
form names the page to return to in `back` (only `/ui...` paths are followed); a post from
another origin is refused, as the clock form's is. Without JavaScript every action still works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from urllib.parse import parse_qs, quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emulator import DoorstepError
from emulator.http.inspect._inspection import ApiError, Inspection
from emulator.http.inspect._mailpit_api import clean_tag

MAX_FORM = 4096
FEED_STATUSES = ("seen", "read", "archived")


class FormError(Exception):
    """A form the inspector refuses: (status, plain-text message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (first value of each); FormError for another origin or a big body."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise FormError(403, f"cross-origin form post from {origin} refused")
    raw = await request.body()
    if len(raw) > MAX_FORM:
        raise FormError(413, "form body too large; the inspector's forms send a few fields")
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def back_to(form: dict[str, str], default: str = "/ui/") -> RedirectResponse:
    """303 to the form's `back` page when it is an inspector page, else to `default`."""
    back = form.get("back") or default
    if not back.startswith("/ui") or back.startswith("//"):
        back = default
    return RedirectResponse(back, status_code=303)


def _text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8")


Action = Callable[[Inspection, Request, dict[str, str]], Awaitable[Response]]


async def _run(action: Action, inspection: Inspection, request: Request) -> Response:
    try:
        form = await read_form(request)
        return await action(inspection, request, form)
    except FormError as exc:
        return _text(exc.status, exc.message)
    except ApiError as exc:
        return _text(exc.status, exc.message)
    except DoorstepError as exc:
        return _text(400, str(exc))


async def mark(inspection: Inspection, request: Request, form: dict[str, str]) -> Response:
    """`POST /ui/email/{id}/read`: `read=1` or `read=0` for one email."""
    email = inspection.email(request.path_params["id"])
    inspection.mark_read([email.id], form.get("read") == "1")
    return back_to(form, f"/ui/email/{quote(email.id, safe='')}")


async def delete_one(inspection: Inspection, request: Request, form: dict[str, str]) -> Response:
    """`POST /ui/email/{id}/delete`: delete one email, back to the list."""
    email = inspection.email(request.path_params["id"])
    inspection.emulator.outbox.delete([email.id])
    return back_to({}, "/ui/")


async def bulk(inspection: Inspection, request: Request, form: dict[str, str]) -> Response:
    """`POST /ui/emails`: `action=delete|read|unread` on every email, or the `q` matches."""
    query = form.get("q", "")
    found = inspection.matches(query)
    ids = [e.id for e in found]
    action = form.get("action")
    if action == "delete":
        if query.strip():
            if ids:
                inspection.emulator.outbox.delete(ids)
        else:
            inspection.emulator.outbox.clear()
        return back_to({}, "/ui/")
    if action in ("read", "unread"):
        inspection.mark_read(ids, action == "read")
        return back_to(form)
    raise FormError(400, "`action` must be delete, read or unread")


async def tags(inspection: Inspection, request: Request, form: dict[str, str]) -> Response:
    """`POST /ui/email/{id}/tags`: `tags` comma-separated (empty removes them all)."""
    email = inspection.email(request.path_params["id"])
    chosen = [clean_tag(t) for t in form.get("tags", "").split(",")]
    inspection.set_tags(email, [t for t in chosen if t])
    return back_to(form, f"/ui/email/{quote(email.id, safe='')}")


async def feed_mark(inspection: Inspection, request: Request, form: dict[str, str]) -> Response:
    """`POST /ui/feed-message/{id}`: `status=seen|read|archived`, `on=1|0`."""
    status = form.get("status", "")
    if status not in FEED_STATUSES:
        raise FormError(400, f"`status` must be one of {', '.join(FEED_STATUSES)}")
    emu = inspection.emulator
    with emu.lock:
        message = emu.mark_message(request.path_params["id"], status, form.get("on", "1") == "1")
    return back_to(form, f"/ui/feeds/{quote(message.recipient_id, safe='')}")


def action_routes(inspection: Inspection) -> list[Route]:
    """The `/ui/...` form posts."""
    table = (
        ("/ui/emails", bulk),
        ("/ui/email/{id}/read", mark),
        ("/ui/email/{id}/delete", delete_one),
        ("/ui/email/{id}/tags", tags),
        ("/ui/feed-message/{id}", feed_mark),
    )
    return [Route(path, partial(_run, act, inspection), methods=["POST"]) for path, act in table]
