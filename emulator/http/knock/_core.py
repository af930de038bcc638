"""Shared plumbing of the Knock API: auth, body limits, JSON parsing, locking, error translation.

Who may call what lives in `_auth` (secret keys, public keys acting as one user, user tokens).

Each route handler is a plain function `(ctx, request, body) -> Response` run under the
emulator's lock (the emulator is not thread-safe and uvicorn serves from its own thread).
Engine errors become Knock's error shape here, so handlers only raise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator import DefinitionError, DoorstepError, Message, TriggerError
from emulator.http._limits import read_limited
from emulator.http.knock._auth import authenticate, authorize
from emulator.http.knock._context import KnockContext as KnockContext  # re-exported
from emulator.http.knock._errors import KnockAPIError, parse_json
from emulator.http.knock._serialize import channel_uuid

BodyMode = Literal["none", "optional", "required", "object"]
"""`optional`: no body is `{}`; `required`: no body is 400; `object`: no body is 422 (a route
whose spec requires a body that may be `{}`: forgetting it must not widen an update to all)."""


Handler = Callable[[KnockContext, Request, dict[str, Any]], Response]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)


async def read_body(ctx: KnockContext, request: Request) -> bytes:
    """The raw body, refused with 413 as soon as it exceeds the limit (before buffering it)."""
    return await read_limited(request, ctx.max_body_bytes, _too_large)


def payload_too_large(size: int, limit: int) -> Response:
    """Knock's 413 for a body over `limit` bytes, for the outer app that refuses it unread."""
    return _too_large(size, limit).response()


def _too_large(size: int, limit: int) -> KnockAPIError:
    return KnockAPIError(
        413,
        "request_too_large",
        f"the request body is {size} bytes or more; the limit is {limit} bytes "
        "(start the server with a larger max_body_bytes, or send less data)",
    )


def translate(exc: Exception) -> KnockAPIError:
    """Engine errors in Knock's shape; anything unexpected is a 500 that names the cause."""
    if isinstance(exc, KnockAPIError):
        return exc
    if isinstance(exc, TriggerError):
        message = str(exc)
        prefix = f"{exc.code}: "
        return KnockAPIError(
            exc.status, exc.code, message[len(prefix) :] if message.startswith(prefix) else message
        )
    if isinstance(exc, DefinitionError):
        return KnockAPIError(422, "invalid_params", str(exc))
    if isinstance(exc, DoorstepError):
        return KnockAPIError(
            500, "emulator_error", f"the emulator failed while handling this request: {exc}"
        )
    return KnockAPIError(
        500,
        "internal_error",
        f"unexpected {type(exc).__name__} in the emulator: {exc}; this is a Doorstep bug, "
        "please report it with the request",
    )


def endpoint(
    ctx: KnockContext, handler: Handler, body: BodyMode = "none"
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint: key and token, body, lock, the public caller's rights, handler,
    errors in Knock's shape."""

    async def run(request: Request) -> Response:
        try:
            caller = authenticate(ctx, request)
            parsed: dict[str, Any] = {}
            if body != "none":
                parsed = _parse_body(await read_body(ctx, request), body)
            with ctx.emulator.lock:
                if caller is not None:
                    authorize(ctx, request, parsed, caller)
                return handler(ctx, request, parsed)
        except Exception as exc:
            return translate(exc).response()

    run.__name__ = handler.__name__
    return run


def _parse_body(raw: bytes, mode: BodyMode) -> dict[str, Any]:
    if mode == "object" and not raw.strip():
        raise KnockAPIError(
            422,
            "invalid_params",
            "the request body is required; send a JSON object of filters, or {} to apply the "
            "action to every message of the channel",
            field="body",
        )
    return parse_json(raw, required=mode == "required")


def channel_keys(ctx: KnockContext, channel_type: str | None) -> set[str]:
    """Channel keys of `channel_type` (None: every type) the emulator knows: configured channels,
    workflow steps and messages already sent."""
    emulator = ctx.emulator
    keys = {c.key for c in emulator.channels if channel_type is None or c.type == channel_type}
    for workflow in emulator.definitions.workflows.values():
        for step in workflow.iter_steps():
            step_type = getattr(step, "channel_type", None)
            if step_type is not None and channel_type in (None, step_type):
                keys.add(getattr(step, "channel_key", None) or step_type)
    return keys


def message_channel(message: Message) -> str:
    """The key a message's `channel_id` is derived from (its channel type when it has no key)."""
    return message.channel_key or message.channel_type


def channel_messages(
    ctx: KnockContext, channel_id: str, messages: Iterable[Message], channel_type: str | None
) -> list[Message]:
    """The messages of the channel `channel_id` names: a channel key, or the UUID the API reports
    as `channel_id`. An id that names no known channel (of `channel_type`, None: any) keeps every
    in-app feed message, so a client configured with a real Knock channel UUID still works."""
    listed = list(messages)
    keys = channel_keys(ctx, channel_type) | {message_channel(m) for m in listed}
    chosen = next((k for k in sorted(keys) if channel_id in (k, channel_uuid(k))), None)
    if chosen is None:
        return [m for m in listed if m.channel_type == "in_app_feed"]
    return [m for m in listed if message_channel(m) == chosen]
