"""CORS on the Knock API: a browser page on another origin (a Next.js dev server on :3000) may
call it; other sites may not; the inspection API stays same-origin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Emulator
from emulator.http import create_app, knock_app, parse_origin

FIXTURES = "fixtures/workflows"
FEED = "/v1/users/u1/feeds/in-app-feed"
# What Chromium sends before @knocklabs/client's fetch (api.ts default headers).
CLIENT_HEADERS = "accept,authorization,content-type,x-knock-client,x-knock-user-token"


@pytest.fixture
def knock() -> Iterator[TestClient]:
    app = knock_app(Emulator.from_directory(FIXTURES), cors_origins=["https://app.example.com"])
    with TestClient(app) as client:
        yield client


def preflight(client: TestClient, origin: str, method: str = "GET", headers: str = "") -> Any:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return client.options(FEED, headers=asked)


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "http://localhost",
        "https://localhost:3443",
        "http://127.0.0.1:5173",
        "http://[::1]:3000",
        "https://app.example.com",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_preflight_from_an_allowed_origin(knock: TestClient, origin: str, method: str) -> None:
    response = preflight(knock, origin, method, CLIENT_HEADERS)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin  # echoed, never "*"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert method in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].split(", ")
    assert set(CLIENT_HEADERS.split(",")) <= set(allowed)
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    ("origin", "method", "headers", "problem"),
    [
        ("https://evil.example", "GET", "", "--cors-origin https://evil.example"),
        ("http://localhost.evil.example", "GET", "", "may not call"),
        ("https://app.example.com:8443", "GET", "", "may not call"),
        ("null", "GET", "", "may not call"),
        ("http://localhost:3000", "PATCH", "", "method PATCH"),
        ("http://localhost:3000", "GET", "authorization,x-evil", "x-evil"),
    ],
)
def test_a_refused_preflight_says_why(
    knock: TestClient, origin: str, method: str, headers: str, problem: str
) -> None:
    response = preflight(knock, origin, method, headers)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert problem in response.text


def test_responses_to_an_allowed_origin_carry_cors_headers(knock: TestClient) -> None:
    origin = {"Origin": "http://localhost:3000", "Authorization": "Bearer pk_test"}
    response = knock.get(FEED, headers=origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "retry-after" in response.headers["access-control-expose-headers"]
    refused = knock.get("/v1/users", headers=origin)  # errors are readable by the page too
    assert (refused.status_code, refused.json()["code"]) == (401, "incorrect_token_type")
    assert refused.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_other_origins_and_same_origin_requests_get_no_cors_headers(knock: TestClient) -> None:
    evil = knock.get(
        FEED, headers={"Origin": "https://evil.example", "Authorization": "Bearer pk_x"}
    )
    assert "access-control-allow-origin" not in evil.headers
    same = knock.get(FEED, headers={"Authorization": "Bearer pk_x"})
    assert same.status_code == 200
    assert "access-control-allow-origin" not in same.headers


def test_the_inspection_api_stays_same_origin() -> None:
    app = create_app(Emulator.from_directory(FIXTURES), cors_origins=["https://app.example.com"])
    with TestClient(app, base_url="http://localhost") as client:
        for origin in ("http://localhost:3000", "https://app.example.com"):
            listed = client.get("/api/messages", headers={"Origin": origin})
            assert listed.status_code == 200
            assert "access-control-allow-origin" not in listed.headers
            asked = {"Origin": origin, "Access-Control-Request-Method": "GET"}
            answer = client.options("/api/messages", headers=asked)
            assert answer.status_code != 204
            assert "access-control-allow-origin" not in answer.headers
        knock_preflight = client.options(
            FEED,
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert knock_preflight.status_code == 204  # create_app passes cors_origins through


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://App.Example.com/", "https://app.example.com"),
        ("http://devbox:3000", "http://devbox:3000"),
        ("http://devbox:*", "http://devbox:*"),
        ("*", None),
        ("null", None),
        ("app.example.com", None),
        ("https://app.example.com/path", None),
        ("ftp://files.example.com", None),
        ("http://devbox:port", None),
    ],
)
def test_parse_origin(text: str, expected: str | None) -> None:
    if expected is not None:
        assert parse_origin(text) == expected
        return
    with pytest.raises(ValueError, match="CORS origin"):
        parse_origin(text)


def test_an_any_port_origin() -> None:
    app = knock_app(Emulator.from_directory(FIXTURES), cors_origins=["http://devbox:*"])
    with TestClient(app) as client:
        assert preflight(client, "http://devbox:3000").status_code == 204
        assert preflight(client, "http://devbox").status_code == 204
        assert preflight(client, "http://devbox.evil:3000").status_code == 403
