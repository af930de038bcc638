"""The realtime socket `/ws/v1/websocket`: Phoenix Channels (vsn 2.0.0) as `@knocklabs/client`
uses it, so in-app feeds update live against Doorstep.

The client connects with `?api_key=...&user_token=...&vsn=2.0.0`; a refused key or token gets
HTTP 403 at the upgrade, as Phoenix refuses a connect. It then joins
`feeds:{channel_id}:{user_id}` (see `_realtime`), sends a `heartbeat` on topic `phoenix` every
30 s and gets a `new-message` push for every in-app message created for that user and channel,
whatever created it (a trigger over HTTP or in Python, a schedule, the clock ending a delay or
closing a batch).

`@knocklabs/client`'s guide client joins `guides:{channel_id}` with `user_id` (and its target
params) in the payload; the join is checked like a feed's and accepted. Knock pushes
`guide.added` / `guide.updated` / `guide.removed` there when a guide is published or toggled in
its dashboard; Doorstep's guides change only with the loaded definitions, so nothing is pushed.

The engine runs on whichever thread triggered or moved the clock, with its lock held; the
socket lives on the server's event loop. `Emulator.subscribe_messages` calls `Inbox.post` there,
which only schedules a callback on the loop; the payload is computed on the loop afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

import anyio
from starlette.responses import JSONResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from emulator import Message
from emulator.http.knock._auth import authorize_client
from emulator.http.knock._core import KnockContext
from emulator.http.knock._cors import CorsPolicy
from emulator.http.knock._errors import KnockAPIError
from emulator.http.knock._phoenix import (
    UNSUPPORTED_DATA,
    VSN,
    Frame,
    ProtocolError,
    close,
    decode,
    encode,
    reply,
)
from emulator.http.knock._realtime import (
    FeedJoin,
    belongs,
    feed_join,
    new_message_payload,
    parse_topic,
)

PATH = "/ws/v1/websocket"
GUIDES_PREFIX = "guides:"
MAX_CHANNELS = 100  # Phoenix's max_channels_per_transport
QUEUE_SIZE = 256
_log = logging.getLogger(__name__)


def socket_route(ctx: KnockContext, policy: CorsPolicy) -> WebSocketRoute:
    """The websocket route serving `ctx`'s emulator to pages on origins `policy` allows."""
    return WebSocketRoute(PATH, partial(realtime_socket, ctx, policy))


class Inbox:
    """One socket's bounded queue of new in-app messages, fed from the engine's threads.

    `post` never blocks: it schedules `_offer` on the loop. A client that falls `maxsize`
    behind loses its backlog for one catch-up (None) that refreshes every joined feed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int = QUEUE_SIZE) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue(maxsize)
        self._catching_up = False
        self.closed = False

    def post(self, message: Message) -> None:
        """`Emulator.subscribe_messages` callback, any thread, engine lock held."""
        if self.closed or message.channel_type != "in_app_feed":
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: the socket is gone
            self._loop.call_soon_threadsafe(self._offer, message)

    def _offer(self, message: Message) -> None:
        if self._catching_up:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)
            self._catching_up = True

    async def get(self) -> Message | None:
        """The next message; None means "events were dropped: refresh every feed"."""
        item = await self._queue.get()
        if item is None:
            self._catching_up = False
        return item


async def realtime_socket(ctx: KnockContext, policy: CorsPolicy, websocket: WebSocket) -> None:
    """One connection: authorize, then serve frames and push new messages until it closes.

    Browsers apply no CORS to websockets, so the page's Origin is checked here, against the
    same allow-list as the API's (Phoenix's `check_origin`)."""
    params = websocket.query_params
    origin = websocket.headers.get("origin")
    api_key = params.get("api_key") or None
    user_token = params.get("user_token") or None
    try:
        if not params.get("vsn", "").startswith("2."):
            raise KnockAPIError(
                400, "invalid_params", f"this socket speaks Phoenix vsn {VSN}; add ?vsn={VSN}"
            )
        if origin is not None and not policy.allows(origin):
            raise KnockAPIError(
                403,
                "origin_not_allowed",
                f"origin {origin} may not open the socket: allowed are {policy.describe()}; "
                "add it with doorstep serve --cors-origin ORIGIN",
            )
        authorize_client(ctx, api_key, user_token, None)
    except KnockAPIError as exc:
        await _refuse(websocket, exc)
        return
    await websocket.accept()
    session = Session(ctx, websocket, api_key, user_token)
    inbox = Inbox(asyncio.get_running_loop())
    unsubscribe = ctx.emulator.subscribe_messages(inbox.post)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(session.push_loop, inbox)
            with contextlib.suppress(WebSocketDisconnect):
                await session.receive_loop()
            group.cancel_scope.cancel()
    finally:
        inbox.closed = True
        unsubscribe()


async def _refuse(websocket: WebSocket, exc: KnockAPIError) -> None:
    """HTTP 403 at the upgrade, as Phoenix refuses a connect; the body says why when the
    server can send one."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        body = exc.body() | {"status": 403}
        await websocket.send_denial_response(JSONResponse(body, status_code=403))
    else:
        await websocket.close()


class Session:
    """The joined channels of one connection and the frames that change them."""

    def __init__(
        self,
        ctx: KnockContext,
        websocket: WebSocket,
        api_key: str | None,
        user_token: str | None,
    ) -> None:
        self.ctx = ctx
        self.websocket = websocket
        self.api_key = api_key
        self.user_token = user_token
        self.joined: dict[str, FeedJoin] = {}
        self.guide_joins: dict[str, str | int | None] = {}  # guides topic -> join ref
        self._send_lock = anyio.Lock()

    async def send(self, *frames: str) -> None:
        async with self._send_lock:
            for text in frames:
                await self.websocket.send_text(text)

    async def receive_loop(self) -> None:
        """Answer frames until the client leaves; a malformed frame closes the socket."""
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            try:
                if text is None:
                    raise ProtocolError(UNSUPPORTED_DATA, f"send JSON text frames (vsn {VSN})")
                frame = decode(text)
            except ProtocolError as exc:
                await self.websocket.close(exc.code, exc.reason[:120])
                return
            await self.handle(frame)

    async def handle(self, frame: Frame) -> None:
        """Phoenix.Socket's dispatch: heartbeat, join, leave; anything else is refused."""
        joined = self.joined.get(frame.topic)
        if frame.topic == "phoenix" and frame.event == "heartbeat":
            await self.send(reply(frame, "ok", {}))
        elif frame.event == "phx_join" and frame.topic.startswith(GUIDES_PREFIX):
            await self.join_guides(frame)
        elif frame.event == "phx_leave" and frame.topic in self.guide_joins:
            join_ref = self.guide_joins.pop(frame.topic)
            await self.send(reply(frame, "ok", {}, join_ref=join_ref), close(join_ref, frame.topic))
        elif frame.event == "phx_join":
            await self.join(frame)
        elif frame.event == "phx_leave":
            await self.leave(frame, joined)
        elif joined is None:
            await self.send(reply(frame, "error", {"reason": "unmatched topic"}))
        else:
            reason = f"unknown event {frame.event!r}; a feed channel takes phx_leave only"
            await self.send(reply(frame, "error", {"reason": reason}, join_ref=joined.join_ref))

    async def join(self, frame: Frame) -> None:
        feed = parse_topic(frame.topic)
        if feed is None:
            await self.send(reply(frame, "error", {"reason": "unmatched topic"}))
            return
        earlier = self.joined.pop(frame.topic, None)
        try:
            if len(self.joined) >= MAX_CHANNELS:
                raise ValueError("too many channels joined")
            authorize_client(self.ctx, self.api_key, self.user_token, feed.user_id)
            with self.ctx.emulator.lock:
                join = feed_join(self.ctx, frame.topic, feed, frame.join_ref, frame.payload)
        except (KnockAPIError, ValueError) as exc:
            reason = exc.message if isinstance(exc, KnockAPIError) else str(exc)
            frames = [reply(frame, "error", {"reason": reason}, join_ref=frame.join_ref)]
        else:
            self.joined[frame.topic] = join
            frames = [reply(frame, "ok", {}, join_ref=frame.join_ref)]
        if earlier is not None:  # a rejoin replaces the channel, as Phoenix does
            frames.append(close(earlier.join_ref, frame.topic))
        await self.send(*frames)

    async def join_guides(self, frame: Frame) -> None:
        """A guide client's channel: the payload's `user_id` must be the caller's."""
        payload = frame.payload if isinstance(frame.payload, dict) else {}
        user_id = payload.get("user_id")
        earlier = self.guide_joins.pop(frame.topic, None)
        try:
            if not isinstance(user_id, str) or not user_id:
                raise ValueError('join payload must name the user: {"user_id": "..."}')
            if len(self.joined) + len(self.guide_joins) >= MAX_CHANNELS:
                raise ValueError("too many channels joined")
            authorize_client(self.ctx, self.api_key, self.user_token, user_id)
        except (KnockAPIError, ValueError) as exc:
            reason = exc.message if isinstance(exc, KnockAPIError) else str(exc)
            frames = [reply(frame, "error", {"reason": reason}, join_ref=frame.join_ref)]
        else:
            self.guide_joins[frame.topic] = frame.join_ref
            frames = [reply(frame, "ok", {}, join_ref=frame.join_ref)]
        if earlier is not None:
            frames.append(close(earlier, frame.topic))
        await self.send(*frames)

    async def leave(self, frame: Frame, joined: FeedJoin | None) -> None:
        if joined is None:
            await self.send(reply(frame, "ok", {}, join_ref=frame.join_ref))
        elif frame.join_ref is None or frame.join_ref == joined.join_ref:
            del self.joined[frame.topic]
            ok = reply(frame, "ok", {}, join_ref=joined.join_ref)
            await self.send(ok, close(joined.join_ref, frame.topic))
        # else: a stale leave for an earlier join of the topic, ignored like Phoenix does

    async def push_loop(self, inbox: Inbox) -> None:
        """Push `new-message` to each joined feed a new message lands in."""
        while True:
            message = await inbox.get()
            try:
                frames = self._pushes(message)
            except Exception:  # a bug must not take the socket down with it
                _log.exception("realtime: could not build new-message for %r", message)
                continue
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.send(*frames)

    def _pushes(self, message: Message | None) -> list[str]:
        out = []
        with self.ctx.emulator.lock:
            for join in list(self.joined.values()):
                if message is not None and not belongs(self.ctx, join, message):
                    continue
                payload = new_message_payload(self.ctx, join, message)
                if payload is not None:
                    out.append(encode(join.join_ref, None, join.topic, "new-message", payload))
        return out
