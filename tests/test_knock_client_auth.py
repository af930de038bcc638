"""Public `pk_` keys and user tokens on the Knock API, as `@knocklabs/client` sends them
(`Authorization: Bearer pk_...`, `X-Knock-User-Token`), with and without enhanced security.
Every answer is checked against knock-api.yml or Knock's error shape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from openapi_check import check_exchange

from emulator import Emulator, SigningKey, sign_user_token
from emulator.http import ServerThread, knock_app
from emulator.http.knock import KnockContext, authorize_client
from emulator.http.knock._errors import KnockAPIError

FIXTURES = "fixtures/workflows"
INVOICE = {"invoice_id": "inv_1", "amount": "$5"}
KEY = SigningKey.generate()
OTHER_KEY = SigningKey.generate()


@dataclass
class Client:
    emulator: Emulator
    http: httpx.Client
    mine: str  # an in-app message of u1
    theirs: str  # an in-app message of u2

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": "Bearer pk_test_app"}
        if token is not None:
            headers["X-Knock-User-Token"] = token
        return self.http.request(method, path.format(mine=self.mine), headers=headers, **kw)


@contextmanager
def client(**options: Any) -> Iterator[Client]:
    emu = Emulator.from_directory(FIXTURES)
    for user in ("u1", "u2"):
        emu.identify(user, name=user)
        emu.trigger("invoice-created", recipients=[user], data=INVOICE)
    mine, theirs = (
        emu.messages(channel_type="in_app_feed", recipient=u)[0].id for u in ["u1", "u2"]
    )
    with ExitStack() as stack:
        server = stack.enter_context(ServerThread(knock_app(emu, **options)))
        http = stack.enter_context(
            httpx.Client(base_url=server.base_url, event_hooks={"response": [check_exchange]})
        )
        channel_data = {"data": {"tokens": ["t"]}}  # what GET channel_data reads
        secret = {"Authorization": "Bearer sk_test"}
        http.put("/v1/users/u1/channel_data/in-app-feed", json=channel_data, headers=secret)
        yield Client(emu, http, mine, theirs)


def error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["message"], body
    assert body["type"] == "authentication_error", body
    return response.status_code, body["code"]


# Every call @knocklabs/client makes for a user's feed, messages, preferences and profile.
CLIENT_CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/v1/users/u1/feeds/in-app-feed", {}),
    ("GET", "/v1/users/u1/feeds/in-app-feed/settings", {}),
    ("GET", "/v1/messages/{mine}", {}),
    ("PUT", "/v1/messages/{mine}/seen", {}),
    ("DELETE", "/v1/messages/{mine}/read", {}),
    ("POST", "/v1/messages/batch/read", {"json": {"message_ids": ["{mine}"]}}),
    ("POST", "/v1/channels/in-app-feed/messages/bulk/read", {"json": {"user_ids": ["u1"]}}),
    ("GET", "/v1/users/u1", {}),
    ("PUT", "/v1/users/u1", {"json": {"name": "Ada"}}),
    ("GET", "/v1/users/u1/preferences", {}),
    ("GET", "/v1/users/u1/preferences/default", {}),
    ("PUT", "/v1/users/u1/preferences/default", {"json": {"channel_types": {"email": False}}}),
    (
        "PUT",
        "/v1/users/u1/preferences/default/workflows/invoice-created",
        {"json": {"subscribed": True}},
    ),
    ("PUT", "/v1/users/u1/channel_data/in-app-feed", {"json": {"data": {"tokens": ["t"]}}}),
    ("GET", "/v1/users/u1/channel_data/in-app-feed", {}),
]


def _fill(options: dict[str, Any], mine: str) -> dict[str, Any]:
    body = options.get("json")
    if body and "message_ids" in body:
        return {"json": {"message_ids": [mine]}}
    return options


@pytest.mark.parametrize(("method", "path", "options"), CLIENT_CALLS)
@pytest.mark.parametrize("with_token", [False, True])
def test_a_public_key_makes_every_client_call(
    method: str, path: str, options: dict[str, Any], with_token: bool
) -> None:
    """Without enhanced security a pk_ key acts as the path's user, or as the token's."""
    token = sign_user_token("u1", KEY) if with_token else None
    with client() as c:
        response = c.call(method, path, token, **_fill(options, c.mine))
        assert response.status_code < 300, response.text


def test_a_public_key_marks_the_message_in_the_emulator() -> None:
    with client() as c:
        assert c.call("PUT", "/v1/messages/{mine}/read").status_code == 200
        assert c.emulator.message(c.mine).read_at is not None
        bulk = c.call(
            "POST", "/v1/channels/in-app-feed/messages/bulk/seen", json={"user_ids": ["u1"]}
        )
        assert bulk.json()["status"] == "completed"
        assert c.emulator.message(c.mine).seen_at is not None
        assert c.emulator.message(c.theirs).seen_at is None  # u2's message is untouched


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/workflows/invoice-created/trigger"),
        ("GET", "/v1/users"),
        ("DELETE", "/v1/users/u1"),
        ("GET", "/v1/users/u1/messages"),
        ("GET", "/v1/messages"),
        ("GET", "/v1/messages/{mine}/content"),
        ("POST", "/v1/users/u1/merge"),
        ("GET", "/v1/objects/projects/p1/channel_data/in-app-feed"),
        ("GET", "/v1/workflow_recipient_runs"),
    ],
)
def test_secret_only_endpoints_refuse_a_public_key(method: str, path: str) -> None:
    token = sign_user_token("u1", KEY)
    with client(enhanced_security=True, signing_key=KEY) as c:
        response = c.call(method, path, token, json={"recipients": ["u1"]})
        assert error(response) == (401, "incorrect_token_type")


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", "/v1/users/u2/feeds/in-app-feed", None),
        ("PUT", "/v1/users/u2/preferences/default", {}),
        ("GET", "/v1/users/u2", None),
        ("GET", "/v1/messages/THEIRS", None),
        ("PUT", "/v1/messages/THEIRS/read", None),
        ("POST", "/v1/messages/batch/read", {"message_ids": ["MINE", "THEIRS"]}),
        ("POST", "/v1/channels/in-app-feed/messages/bulk/read", {"user_ids": ["u2"]}),
        ("POST", "/v1/channels/in-app-feed/messages/bulk/read", {"user_ids": ["u1", "u2"]}),
        ("POST", "/v1/channels/in-app-feed/messages/bulk/read", {}),
    ],
)
def test_a_token_acts_only_as_its_user(method: str, path: str, json: Any) -> None:
    """u1's token cannot reach u2's feed, profile, preferences or messages: 403."""
    with client() as c:
        ids = {"MINE": c.mine, "THEIRS": c.theirs}
        path = path.replace("THEIRS", c.theirs)
        if json and "message_ids" in json:
            json = {"message_ids": [ids[i] for i in json["message_ids"]]}
        response = c.call(method, path, sign_user_token("u1", KEY), json=json)
        assert error(response) == (403, "authorization")
        assert c.emulator.message(c.theirs).read_at is None


def _token(kind: str) -> str | None:
    now = int(time.time())
    tokens: dict[str, str | None] = {
        "missing": None,
        "empty": "",
        "garbage": "not-a-jwt",
        "other key": sign_user_token("u1", OTHER_KEY),
        "expired": KEY.sign("u1", expires_in=-1),
        "no sub": jwt.encode({"iat": now, "exp": now + 60}, KEY.private_key, algorithm="RS256"),
        "HS256": jwt.encode(
            {"sub": "u1"}, "shared-secret-of-32-bytes-or-more!!", algorithm="HS256"
        ),
        "unsigned": jwt.encode({"sub": "u1"}, None, algorithm="none"),
        "tampered": _tampered(),
    }
    return tokens[kind]


def _tampered() -> str:
    """u2's token with its payload swapped for u1's claims: the signature no longer matches."""
    head, _, sig = sign_user_token("u2", KEY).split(".")
    body = sign_user_token("u1", KEY).split(".")[1]
    return f"{head}.{body}.{sig}"


REFUSED = [
    ("missing", 401, "missing_user_token"),
    ("empty", 401, "missing_user_token"),
    ("garbage", 401, "invalid_user_token"),
    ("other key", 401, "invalid_user_token"),
    ("expired", 401, "invalid_user_token"),
    ("no sub", 401, "invalid_user_token"),
    ("HS256", 401, "invalid_user_token"),
    ("unsigned", 401, "invalid_user_token"),
    ("tampered", 401, "invalid_user_token"),
]


@pytest.mark.parametrize(("kind", "status", "code"), REFUSED)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/users/u1/feeds/in-app-feed"), ("PUT", "/v1/messages/{mine}/read")],
)
def test_enhanced_security_refuses_bad_tokens(
    kind: str, status: int, code: str, method: str, path: str
) -> None:
    with client(enhanced_security=True, signing_key=KEY.base64) as c:
        assert error(c.call(method, path, _token(kind))) == (status, code)
        assert c.emulator.message(c.mine).read_at is None


def test_enhanced_security_takes_a_token_from_sign_user_token() -> None:
    with client(enhanced_security=True, signing_key=KEY.pem) as c:
        token = sign_user_token("u1", KEY.base64)
        feed = c.call("GET", "/v1/users/u1/feeds/in-app-feed", token)
        assert [item["id"] for item in feed.json()["entries"]] == [c.mine]
        mismatch = c.call("GET", "/v1/users/u2/feeds/in-app-feed", token)
        assert error(mismatch) == (403, "authorization")


def test_secret_keys_need_no_token_under_enhanced_security() -> None:
    with client(enhanced_security=True, signing_key=KEY) as c:
        response = c.http.get(
            "/v1/users/u2/feeds/in-app-feed", headers={"Authorization": "Bearer sk_x"}
        )
        assert response.status_code == 200


@pytest.mark.parametrize(("kind", "status", "code"), REFUSED[2:])
def test_a_sent_token_is_verified_when_a_key_is_known(kind: str, status: int, code: str) -> None:
    """Without enhanced security a token is optional, but one that is sent must be good."""
    with client(signing_key=KEY) as c:
        assert error(c.call("GET", "/v1/users/u1", _token(kind))) == (status, code)


def test_without_a_key_a_token_is_only_read_for_its_user() -> None:
    with client() as c:
        foreign = sign_user_token("u1", OTHER_KEY)
        assert c.call("GET", "/v1/users/u1", foreign).status_code == 200
        assert error(c.call("GET", "/v1/users/u2", foreign)) == (403, "authorization")
        assert error(c.call("GET", "/v1/users/u1", "garbage")) == (401, "invalid_user_token")


def _context(**options: Any) -> KnockContext:
    return KnockContext(Emulator(), api_keys=None, max_body_bytes=1024, **options)


@pytest.mark.parametrize(
    ("options", "api_key", "token", "user", "expected"),
    [
        ({}, "pk_x", None, "u1", None),
        ({}, "pk_x", None, None, None),
        ({}, "sk_x", None, "u1", None),
        ({}, None, None, "u1", "api_key_missing"),
        ({}, "nope", None, "u1", "api_key_missing"),
        ({"enhanced_security": True, "signing_key": KEY}, "sk_x", None, "u1", None),
        ({"enhanced_security": True, "signing_key": KEY}, "pk_x", None, "u1", "missing_user_token"),
        ({"enhanced_security": True, "signing_key": KEY}, "pk_x", None, None, "missing_user_token"),
        ({"enhanced_security": True, "signing_key": KEY}, "pk_x", "GOOD", "u1", None),
        ({"enhanced_security": True, "signing_key": KEY}, "pk_x", "GOOD", None, None),
        ({"enhanced_security": True, "signing_key": KEY}, "pk_x", "GOOD", "u2", "authorization"),
        (
            {"enhanced_security": True, "signing_key": KEY},
            "pk_x",
            "FORGED",
            "u1",
            "invalid_user_token",
        ),
        (
            {"enhanced_security": True, "signing_key": KEY},
            "pk_x",
            "EXPIRED",
            "u1",
            "invalid_user_token",
        ),
    ],
)
def test_authorize_client(
    options: dict[str, Any],
    api_key: str | None,
    token: str | None,
    user: str | None,
    expected: str | None,
) -> None:
    """The one check the HTTP API and the realtime socket share."""
    tokens = {
        "GOOD": sign_user_token("u1", KEY),
        "FORGED": sign_user_token("u1", OTHER_KEY),
        "EXPIRED": KEY.sign("u1", expires_in=-5),
    }
    ctx = _context(**options)
    if expected is None:
        authorize_client(ctx, api_key, tokens.get(token or "", token), user)
        return
    with pytest.raises(KnockAPIError) as caught:
        authorize_client(ctx, api_key, tokens.get(token or "", token), user)
    assert caught.value.code == expected
    assert caught.value.status == (403 if expected == "authorization" else 401)


def test_enhanced_security_without_a_key_is_refused_at_startup() -> None:
    from emulator import SigningKeyError

    with pytest.raises(SigningKeyError, match="KNOCK_SIGNING_KEY or --signing-key"):
        knock_app(Emulator(), enhanced_security=True)
    with pytest.raises(SigningKeyError, match="signing_key is neither a PEM key"):
        knock_app(Emulator(), signing_key="not a key")
