"""Who may call what: secret `sk_` keys call everything; public `pk_` keys call only the
endpoints Knock's client SDKs use, as one user, as Knock's in-app security page describes.

A public key acts as the user its `X-Knock-User-Token` names (`sub`), or, without a token and
without enhanced security, as the user the path names (`knock.authenticate(userId)` with no
token works in a Knock environment without enhanced security). With enhanced security every
public-key request needs a token signed with the environment's signing key. Endpoints acting on
a message id check that the message belongs to the token's user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from starlette.requests import Request

from emulator import UnknownMessageError, UserTokenError, check_user_token
from emulator.http.knock._context import KnockContext
from emulator.http.knock._errors import KnockAPIError

Kind = Literal["user", "message", "batch", "bulk"]
USER_TOKEN_HEADER = "x-knock-user-token"
_USER = r"/v1/users/[^/]+"
_SET = _USER + r"/preferences/[^/]+"
# (methods, path, how the acting user is found): Knock's table of public-key endpoints
# (in-app-ui/security-and-authentication) plus what the SDKs call beyond it: GET
# /v1/messages/{id} (`messages.get`) and the feed's settings (`useFeedSettings`).
_TABLE: tuple[tuple[str, str, Kind], ...] = (
    ("GET PUT", _USER, "user"),
    ("GET", _USER + r"/preferences", "user"),
    ("GET PUT", _SET, "user"),
    ("PUT", _SET + r"/(channel_types|workflows|categories)(/[^/]+)?", "user"),
    ("GET PUT DELETE", _USER + r"/channel_data/[^/]+", "user"),
    ("GET", _USER + r"/feeds/[^/]+", "user"),
    ("GET", _USER + r"/feeds/[^/]+/settings", "user"),  # @knocklabs/react's useFeedSettings
    ("GET", _USER + r"/guides/[^/]+", "user"),  # @knocklabs/client's guide client
    ("PUT", _USER + r"/guides/(messages/[^/]+|messages/[^/]+/[^/]+|engagements/reset)", "user"),
    ("DELETE", _USER + r"/guides/messages/archived", "user"),
    ("POST", r"/v1/messages/batch/[^/]+", "batch"),
    ("GET", r"/v1/messages/[^/]+", "message"),
    ("PUT DELETE", r"/v1/messages/[^/]+/[^/]+", "message"),
    ("POST", r"/v1/channels/[^/]+/messages/bulk/[^/]+", "bulk"),
)
PUBLIC_ENDPOINTS = tuple(
    (frozenset(methods.split()), re.compile(path), kind) for methods, path, kind in _TABLE
)


def bearer_key(request: Request) -> str | None:
    """The key of `Authorization: Bearer KEY`, None when the header is absent or malformed."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def check_key(ctx: KnockContext, key: str | None) -> bool:
    """Whether `key` is a public key (True) or an accepted secret key (False); 401 otherwise."""
    if key is not None and key.startswith("pk_"):
        return True
    if key is None:
        raise KnockAPIError(
            401,
            "api_key_missing",
            "No valid API key provided; send `Authorization: Bearer sk_...` from a server "
            "(Knock(api_key='sk_test_...')), `Bearer pk_...` from a browser, or connect the "
            "realtime socket with ?api_key=pk_...",
        )
    allowed = key in ctx.api_keys if ctx.api_keys is not None else key.startswith("sk_")
    if not allowed:
        hint = (
            "use one of the secret keys this server was started with, or any pk_ key "
            "(?api_key=pk_... on the realtime socket)"
            if ctx.api_keys is not None
            else "any key starting with sk_ (server) or pk_ (browser, and the realtime "
            "socket's ?api_key=pk_...) is accepted"
        )
        raise KnockAPIError(401, "api_key_missing", f"No valid API key provided; {hint}")
    return False


def token_user(ctx: KnockContext, user_token: str | None) -> str | None:
    """The user a public-key caller's token names (None: no token, allowed only without
    enhanced security); 401 `missing_user_token` / `invalid_user_token` otherwise."""
    if not user_token:
        if ctx.enhanced_security:
            raise KnockAPIError(
                401,
                "missing_user_token",
                "This environment requires that you supply a X-Knock-User-Token header when "
                "using a public API key (Doorstep runs with enhanced security); sign one "
                "server-side with signUserToken / emulator.sign_user_token and pass it as "
                "KnockProvider's userToken or knock.authenticate(userId, token)",
            )
        return None
    try:
        return check_user_token(user_token, ctx.signing_key)
    except UserTokenError as exc:
        raise KnockAPIError(401, exc.code, exc.message) from None


def not_permitted(message: str) -> KnockAPIError:
    """403: a valid public-key caller acting on another user's data."""
    return KnockAPIError(403, "authorization", message)


def _check_user(acting: str | None, user_id: str, what: str) -> None:
    if acting is not None and acting != user_id:
        raise not_permitted(
            f"the user token is for {acting!r}, but {what} belongs to {user_id!r}; a public "
            "key acts only as the user its token names"
        )


def authorize_client(
    ctx: KnockContext, api_key: str | None, user_token: str | None, user_id: str | None
) -> None:
    """Whether a client with `api_key` (and `user_token`) may act as `user_id`; raises
    KnockAPIError in Knock's shape. The one check every client entry point shares (the HTTP
    API and the realtime socket's `api_key`/`user_token` params).

    A secret key may act as anyone. A public key needs a valid token under enhanced security;
    a token, when given, must name `user_id` (None: no particular user yet, e.g. at a socket's
    connect, when only the key and the token are checked)."""
    if not check_key(ctx, api_key):
        return
    acting = token_user(ctx, user_token)
    if user_id is not None:
        _check_user(acting, user_id, "this resource")


def public_kind(method: str, path: str) -> Kind | None:
    """How the acting user of a public-key request is found; None: secret keys only."""
    for methods, pattern, kind in PUBLIC_ENDPOINTS:
        if method in methods and pattern.fullmatch(path):
            return kind
    return None


def authenticate(ctx: KnockContext, request: Request) -> str | None:
    """Check the key (and, for a public key, that the endpoint is a client one and the token);
    None for a secret key, else the public caller's token user ("" when it has no token)."""
    if not check_key(ctx, bearer_key(request)):
        return None
    if public_kind(request.method, request.url.path) is None:
        raise KnockAPIError(
            401,
            "incorrect_token_type",
            f"You cannot call this endpoint with this token: {request.method} "
            f"{request.url.path} needs a secret sk_ key (call it from your server); public "
            "pk_ keys call only the in-app feed, guide, message status, user, preference and "
            "channel data endpoints",
        )
    return token_user(ctx, request.headers.get(USER_TOKEN_HEADER)) or ""


def authorize(ctx: KnockContext, request: Request, body: dict[str, Any], caller: str) -> None:
    """A public-key caller (`caller`: its token user, "" without a token) acts on its own user's
    data only. Run under the emulator's lock: it reads messages."""
    acting = caller or None
    kind = public_kind(request.method, request.url.path)
    params = request.path_params
    if kind == "user":
        _check_user(acting, params["user_id"], f"/v1/users/{params['user_id']}")
    elif kind == "message":
        _check_messages(ctx, acting, [params["message_id"]])
    elif kind == "batch":
        ids = body.get("message_ids")
        _check_messages(ctx, acting, ids if isinstance(ids, list) else [])
    elif kind == "bulk":
        _check_bulk(acting, body)


def _check_messages(ctx: KnockContext, acting: str | None, ids: Iterable[Any]) -> None:
    """Unknown ids are left to the handler (404); a known one must be the token user's."""
    if acting is None:
        return
    for message_id in ids:
        if not isinstance(message_id, str):
            continue
        try:
            recipient = ctx.emulator.message(message_id).recipient
        except UnknownMessageError:
            continue
        owner = recipient if isinstance(recipient, str) else f"object {recipient}"
        _check_user(acting, owner, f"message {message_id!r}")


def _check_bulk(acting: str | None, body: dict[str, Any]) -> None:
    """A public key bulk-updates one user's messages: the feed client sends `user_ids: [me]`."""
    user_ids = body.get("user_ids")
    if body.get("recipient_ids") or not (
        isinstance(user_ids, list) and len(user_ids) == 1 and isinstance(user_ids[0], str)
    ):
        raise not_permitted(
            "a public key bulk-updates only one user's messages: send user_ids: [user_id] "
            f"(the feed client does), got user_ids={user_ids!r}"
        )
    _check_user(acting, user_ids[0], "user_ids")
