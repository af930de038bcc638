"""Live updates at `/api/events`: Mailpit's websocket, so the inspector need not poll.

Every message is `{"Type": ..., "Data": ...}` as Mailpit sends them: `new` (Data is the
`/api/v1/messages` summary of the email, plus a top-level `Doorstep` block saying where it came
from), `delete` (`{"ID": ...}`, one per email, retention evictions included), `truncate` (every
email went) and `stats` (what `GET /api/stats` returns). A `stats` goes out when the socket
opens, after each burst of mail events, and whenever the clock, the run count or the newest
email changed (checked every `heartbeat` seconds), which is how engine activity shows.

The Mailbox calls listeners on whatever thread changed it (SMTP, Resend, engine). Each socket's
listener only schedules a callback on the server's loop; the callback puts the event in a
bounded queue. When a client falls that far behind, its backlog is dropped for one `stats`
resync instead of growing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import anyio.abc
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from emulator.http.inspect._inspection import Inspection
from emulator.http.inspect._shapes import iso, mailpit_summary, provenance
from emulator.mail import MailEvent, UnknownEmailError

if TYPE_CHECKING:
    from emulator import Emulator

QUEUE_SIZE = 256
HEARTBEAT_SECONDS = 1.0
POLICY_VIOLATION = 1008  # websocket close code for the cross-origin refusal


def stats_payload(emulator: Emulator) -> dict[str, Any]:
    """The body of `GET /api/stats`: email count, newest email id, run count, virtual now."""
    outbox = emulator.outbox
    latest = outbox.latest()
    with emulator.lock:
        runs = emulator.run_count()
        now = emulator.clock.now
    return {
        "emails": len(outbox),
        "latest_email": latest.id if latest else None,
        "runs": runs,
        "now": iso(now),
    }


@dataclass(frozen=True, slots=True)
class ReadEvent:
    """Mailpit's Read flag changed for these emails (the inspector's, not the Mailbox's)."""

    ids: tuple[str, ...]
    read: bool


Event = MailEvent | ReadEvent


class EventStream:
    """One socket's bounded, ordered queue of mail events, fed from any thread.

    `post` is the Mailbox listener: it never blocks and never touches the queue off the loop.
    `get` returns the next event, or None for "events were dropped: send a stats resync"."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int = QUEUE_SIZE) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize={maxsize} must be 1 or more")
        self._loop = loop
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.stats_due = False  # mail changed since the last stats
        self.resyncing = False  # backlog dropped; events wait until the resync is taken
        self.closed = False

    def post(self, event: Event) -> None:
        """Mailbox (and read flag) listener, any thread: hand the event to the loop."""
        if self.closed:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: the socket is gone
            self._loop.call_soon_threadsafe(self._offer, event)

    def _offer(self, event: Event) -> None:
        self.stats_due = True
        if self.resyncing:
            return  # the coming stats covers it
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)
            self.resyncing = True

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event; None means resync. Raises TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            item = await self._queue.get()
        if item is None:
            self.resyncing = False
            self.stats_due = False
        return item

    def empty(self) -> bool:
        """True when no event is waiting (a stats then covers the burst)."""
        return self._queue.empty()

    def qsize(self) -> int:
        """How many events are waiting."""
        return self._queue.qsize()


def event_messages(event: Event, inspection: Inspection) -> list[dict[str, Any]]:
    """Mailpit's messages for one event (an email already gone again is skipped).

    Runs on the server's loop, so a lazily captured email is parsed here, never on the SMTP,
    Resend or engine thread that ingested it."""
    if isinstance(event, ReadEvent):
        return [{"Type": "update", "Data": {"ID": i, "Read": event.read}} for i in event.ids]
    if event.kind == "clear":
        return [{"Type": "truncate", "Data": None}]
    if event.kind == "delete":
        return [{"Type": "delete", "Data": {"ID": email_id}} for email_id in event.ids]
    out = []
    for email_id in event.ids:
        try:
            email = inspection.emulator.outbox.get(email_id)
        except UnknownEmailError:
            continue  # deleted before we got to it; its `delete` follows
        out.append(
            {
                "Type": "new",
                "Data": mailpit_summary(
                    email, inspection.is_read(email_id), inspection.tags_of(email)
                ),
                "Doorstep": provenance(email),
            }
        )
    return out


def events_route(
    inspection: Inspection,
    *,
    heartbeat: float | None = HEARTBEAT_SECONDS,
    queue_size: int = QUEUE_SIZE,
) -> WebSocketRoute:
    """`/api/events`; `heartbeat=None` sends stats only on connect and after mail events."""
    return WebSocketRoute("/api/events", partial(events, inspection, heartbeat, queue_size))


async def events(
    inspection: Inspection, heartbeat: float | None, queue_size: int, websocket: WebSocket
) -> None:
    """One socket: refuse other sites' pages, then stream events until the client leaves."""
    origin = websocket.headers.get("origin")
    if origin and urlsplit(origin).netloc != websocket.headers.get("host"):
        # Browsers let any page open a websocket anywhere: refuse other sites' pages.
        await websocket.close(POLICY_VIOLATION, f"cross-origin connection from {origin}")
        return
    await websocket.accept()
    stream = EventStream(asyncio.get_running_loop(), queue_size)
    unsubscribe = inspection.emulator.outbox.subscribe(stream.post)
    unsubscribe_reads = inspection.subscribe_reads(
        lambda ids, read: stream.post(ReadEvent(ids, read))
    )
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_until_closed, websocket, group)
            with contextlib.suppress(WebSocketDisconnect):  # the client went mid-send
                await _pump(websocket, stream, inspection, heartbeat)
            group.cancel_scope.cancel()
    finally:
        stream.closed = True
        unsubscribe()
        unsubscribe_reads()


async def _send(websocket: WebSocket, kind: str, data: Any) -> None:
    await websocket.send_json({"Type": kind, "Data": data})


async def _pump(
    websocket: WebSocket, stream: EventStream, inspection: Inspection, heartbeat: float | None
) -> None:
    """Stats first, then each event as Mailpit's messages, with stats after bursts and, every
    `heartbeat` seconds, when the engine moved."""
    emulator = inspection.emulator
    last = stats_payload(emulator)
    await _send(websocket, "stats", last)
    while True:
        try:
            event = await stream.get(heartbeat)
        except TimeoutError:
            stats = stats_payload(emulator)
            if stats != last:
                last = stats
                await _send(websocket, "stats", stats)
            continue
        if event is not None:
            for message in event_messages(event, inspection):
                await websocket.send_json(message)
        if event is None or (stream.stats_due and stream.empty()):
            stream.stats_due = False
            last = stats_payload(emulator)
            await _send(websocket, "stats", last)


async def _until_closed(websocket: WebSocket, group: anyio.abc.TaskGroup) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # Mailpit's socket is one-way; whatever a client says is ignored
    group.cancel_scope.cancel()
