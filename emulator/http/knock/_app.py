"""The Knock-compatible HTTP API: the official `knockapi` and `@knocklabs/node` SDKs work against
it unchanged (base URL `http://127.0.0.1:PORT`, any `sk_` key).

    from knockapi import Knock
    app = knock_app(emulator)              # mount at the server root; routes live under /v1
    knock = Knock(api_key="sk_test", base_url=server.base_url, max_retries=0)

Shapes follow wire.md section 2 and the OpenAPI document; errors use Knock's
`{"code", "message", "status", "type"}` with the matching status. Only trigger and the legacy
`/v1/notify` honour the `Idempotency-Key` header (the SDKs send one on every non-GET request).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from emulator import SigningKey, SigningKeyError
from emulator.http.knock._audiences import audience_routes
from emulator.http.knock._bulk import bulk_routes
from emulator.http.knock._core import KnockContext, endpoint, json_response, no_content
from emulator.http.knock._cors import CorsMiddleware, CorsPolicy
from emulator.http.knock._errors import KnockAPIError, get_dict, get_list, get_str, invalid
from emulator.http.knock._guides import guide_routes
from emulator.http.knock._inline import check_trigger_entities
from emulator.http.knock._integrations import integration_routes
from emulator.http.knock._messages import message_routes
from emulator.http.knock._messages_extra import message_extra_routes
from emulator.http.knock._preference_center import preference_center_routes
from emulator.http.knock._providers import provider_routes
from emulator.http.knock._recipients import recipient_routes
from emulator.http.knock._schedules import schedule_routes
from emulator.http.knock._socket import socket_route

if TYPE_CHECKING:
    from emulator import Emulator

MAX_IDEMPOTENCY_KEY = 255


def _trigger(
    ctx: KnockContext, request: Request, key: str, body: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    """Trigger workflow `key` with the body's fields; the run id and the replay headers."""
    recipients = get_list(body, "recipients", required=True)
    idempotency_key = request.headers.get("idempotency-key") or None
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise invalid(
            "Idempotency-Key",
            f"is {len(idempotency_key)} characters; Knock allows at most {MAX_IDEMPOTENCY_KEY}",
        )
    check_trigger_entities(ctx, recipients or [], body)
    earlier = None if idempotency_key is None else ctx.emulator.idempotent_result(idempotency_key)
    result = ctx.emulator.trigger(
        key,
        recipients or [],
        actor=body.get("actor"),
        data=body.get("data"),
        tenant=body.get("tenant"),
        cancellation_key=get_str(body, "cancellation_key"),
        settings=get_dict(body, "settings"),
        idempotency_key=idempotency_key,
    )
    headers: dict[str, str] = {}
    if earlier is not None and earlier.workflow_run_id == result.workflow_run_id:
        headers["idempotent-replayed"] = "true"
    return result.workflow_run_id, headers


def trigger(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    run_id, headers = _trigger(ctx, request, request.path_params["key"], body)
    return json_response({"workflow_run_id": run_id}, headers=headers)


def _cancel(ctx: KnockContext, key: str, body: dict[str, Any]) -> Response:
    """204 whether or not a run was waiting, like Knock (its cancel is asynchronous)."""
    cancellation_key = get_str(body, "cancellation_key", required=True) or ""
    recipients = get_list(body, "recipients")
    ctx.emulator.cancel(key, cancellation_key, recipients=recipients)
    return no_content()


def cancel(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    return _cancel(ctx, request.path_params["key"], body)


def _workflow_name(body: dict[str, Any]) -> str:
    """The legacy notify endpoints name the workflow in the body's `name`, not in the path."""
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("name", f"must be the workflow key as a non-empty string, got {name!r}")
    return name


def notify(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """The legacy `POST /v1/notify`: a trigger whose answer calls the run id `result_id`."""
    run_id, headers = _trigger(ctx, request, _workflow_name(body), body)
    return json_response({"result_id": run_id}, headers=headers)


def notify_cancel(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    """The legacy `POST /v1/notify/cancel`: cancel with the workflow key in `name`."""
    return _cancel(ctx, _workflow_name(body), body)


async def _not_found(request: Request, exc: Exception) -> Response:
    """Knock's router answers unknown paths with Phoenix's shape, not the API error shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        allowed = _allowed_methods(request)
        response = KnockAPIError(
            405,
            "method_not_allowed",
            f"{request.method} is not supported on {request.url.path}; use {', '.join(allowed)}",
        ).response()
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return JSONResponse({"errors": {"detail": f"{status} Not Found"}}, status_code=status)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (one Route per method shares a path)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


def knock_app(
    emulator: Emulator,
    *,
    api_keys: Collection[str] | None = None,
    max_body_bytes: int = 10 * 1024 * 1024,
    enhanced_security: bool = False,
    signing_key: str | SigningKey | None = None,
    cors_origins: Iterable[str] = (),
) -> Starlette:
    """A Starlette app serving Knock's `/v1` API over `emulator`.

    `api_keys`: accepted secret keys; by default any `Bearer sk_...` key is accepted. Any
    public `pk_` key is accepted on the endpoints Knock's client SDKs call, as one user.
    `max_body_bytes`: larger request bodies get 413 (Knock caps trigger data at 10 MB).
    `enhanced_security`: public-key requests need an `X-Knock-User-Token` signed with
    `signing_key` (PEM, base64-encoded PEM, or a `SigningKey`), as in a Knock environment with
    enhanced security; with a key but without the mode, tokens that are sent are verified.
    `cors_origins`: browser origins allowed besides loopback ones (`https://app.example.com`,
    `http://devbox:*`). ValueError or SigningKeyError names a bad setting.
    """
    key = _signing_key(signing_key)
    if enhanced_security and key is None:
        raise SigningKeyError(
            "enhanced security needs the environment's signing key to verify user tokens: "
            "pass signing_key=... (doorstep serve: set KNOCK_SIGNING_KEY or --signing-key FILE; "
            "make one with `doorstep signing-key`)"
        )
    policy = CorsPolicy(cors_origins)
    ctx = KnockContext(
        emulator=emulator,
        api_keys=None if api_keys is None else frozenset(api_keys),
        max_body_bytes=max_body_bytes,
        enhanced_security=enhanced_security,
        signing_key=key,
    )
    app = Starlette(
        routes=_routes(ctx, policy),
        exception_handlers={404: _not_found, 405: _not_found},
        middleware=[Middleware(CorsMiddleware, policy=policy)],
    )
    app.state.knock = ctx  # the realtime socket reaches the context (authorize_client) here
    return app


def _routes(ctx: KnockContext, policy: CorsPolicy) -> list[BaseRoute]:
    """Every route; the order matters where paths overlap."""
    return [
        Route(
            "/v1/workflows/{key}/trigger",
            endpoint(ctx, trigger, "required"),
            methods=["POST"],
        ),
        Route(
            "/v1/workflows/{key}/cancel",
            endpoint(ctx, cancel, "required"),
            methods=["POST"],
        ),
        Route("/v1/notify", endpoint(ctx, notify, "required"), methods=["POST"]),
        Route("/v1/notify/cancel", endpoint(ctx, notify_cancel, "required"), methods=["POST"]),
        *message_extra_routes(ctx),  # first: /v1/messages/batch/content before /{message_id}
        *message_routes(ctx),
        *bulk_routes(ctx),
        *preference_center_routes(ctx),
        *recipient_routes(ctx),
        *audience_routes(ctx),
        *schedule_routes(ctx),
        *provider_routes(ctx),
        *guide_routes(ctx),
        *integration_routes(ctx),
        socket_route(ctx, policy),  # the realtime socket, /ws/v1/websocket
    ]


def _signing_key(value: str | SigningKey | None) -> SigningKey | None:
    if value is None or isinstance(value, SigningKey):
        return value
    return SigningKey.from_text(value, "signing_key")
