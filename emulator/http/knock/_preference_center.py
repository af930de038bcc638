"""Knock's hosted preference center: `GET /v1/users/{user_id}/preference_center/config` and
`POST /v1/users/{user_id}/preference_center/signed_url`.

Knock's dashboard configures the page; Doorstep has no dashboard, so the config is derived from
what is loaded: a channel-types row, one row per workflow category, one per workflow, and the
commercial toggle when a workflow is commercial. Branding is the account's `vars.branding`. The
signed URL carries a fresh opaque token; Doorstep does not serve the hosted page itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.http.knock._core import KnockContext, endpoint, json_response
from emulator.http.knock._errors import missing

_BRANDING = ("icon_url", "logo_url", "primary_color", "primary_color_contrast")


def _user(ctx: KnockContext, request: Request) -> tuple[str, dict[str, Any]]:
    user_id = request.path_params["user_id"]
    user = ctx.emulator.user(user_id)
    if user is None:
        raise missing("user", user_id, "identify the user first (PUT /v1/users/{user_id})")
    return user_id, user


def _rows(ctx: KnockContext) -> list[dict[str, Any]]:
    workflows = sorted(ctx.emulator.definitions.workflows.values(), key=lambda w: w.key)
    rows: list[dict[str, Any]] = [
        {"type": "channel_types", "name": "Channels", "channel_types": None, "identifier": None}
    ]
    for category in sorted({c for w in workflows for c in w.categories}):
        rows.append(
            {"type": "category", "name": category, "identifier": category, "channel_types": None}
        )
    for workflow in workflows:
        rows.append(
            {
                "type": "workflow",
                "name": workflow.name or workflow.key,
                "identifier": workflow.key,
                "channel_types": None,
            }
        )
    if any(w.settings.is_commercial for w in workflows):
        rows.append({"type": "commercial_subscribed", "name": "Marketing messages"})
    return rows


def _branding(ctx: KnockContext) -> dict[str, Any]:
    given = ctx.emulator.vars.get("branding")
    branding = given if isinstance(given, Mapping) else {}
    light = {k: branding.get(k) if isinstance(branding.get(k), str) else None for k in _BRANDING}
    dark = {k: branding.get(f"dark_{k}") or light[k] for k in _BRANDING}
    return {**light, "dark": dark}


def config(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    _, user = _user(ctx, request)
    data = {
        "title": "Notification preferences",
        "body": "Choose which notifications you receive and where.",
        "rows": _rows(ctx),
        "show_account_name": False,
    }
    return json_response(
        {
            "enabled": True,
            "config": data,
            "branding": _branding(ctx),
            "account_name": None,
            "user_email": user.get("email") if isinstance(user.get("email"), str) else None,
        }
    )


def signed_url(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    user_id, _ = _user(ctx, request)
    token = secrets.token_urlsafe(24)
    base = str(request.base_url).rstrip("/")
    url = f"{base}/preference_center?user_id={quote(user_id, safe='')}&token={token}"
    return json_response({"url": url, "token": token})


def preference_center_routes(ctx: KnockContext) -> list[Route]:
    """The two preference center operations of knock-api.yml."""
    base = "/v1/users/{user_id}/preference_center"
    return [
        Route(base + "/config", endpoint(ctx, config), methods=["GET"]),
        Route(base + "/signed_url", endpoint(ctx, signed_url), methods=["POST"]),
    ]
