"""The inspector's pages about workflows: runs, one run's timeline, schedules and in-app feeds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from emulator import DoorstepError
from emulator.http.inspect._inspection import Inspection
from emulator.http.inspect._render import page as _page
from emulator.http.inspect._render import text as _text
from emulator.http.inspect._shapes import jsonable

if TYPE_CHECKING:
    from emulator import Emulator


def workflow_name(emu: Emulator, key: str | None) -> str:
    """The workflow's `name` (its key when it has none or is unknown)."""
    workflow = emu.definitions.workflows.get(key or "")
    return (getattr(workflow, "name", None) or key or "") if key else ""


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
                "name": workflow_name(emu, r.workflow),
                "recipient": r.recipient_id,
                "status": r.status,
                "trace": " → ".join(r.trace),
                "inserted_at": r.inserted_at,
            }
            for r in items[:500]
        ]
    return _page(request, inspection, "runs.html", rows=rows, total=len(items), patch=True)


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
                "warnings": [str(d) for d in (step.detail or {}).get("diagnostics", ())],
            }
            for step in record.steps
        ]
    return _page(
        request,
        inspection,
        "run.html",
        run=record,
        steps=steps,
        data=jsonable(record.data),
        workflow_name=workflow_name(emu, record.workflow),
        patch=True,
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
        request,
        inspection,
        "feed.html",
        user=user,
        items=items,
        unseen=unseen,
        unread=unread,
        patch=True,
    )


def _detail(step: Any) -> list[tuple[str, str]]:
    """Step detail as (name, short text) rows; raw engine objects are shown as JSON-ish text."""
    rows = []
    for key, value in (step.detail or {}).items():
        if key == "diagnostics":
            continue  # shown as warnings on the step itself
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
