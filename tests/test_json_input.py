"""Issue 13: one strict, bounded JSON reader for the Knock, Resend and inspection APIs, and a
clock that cannot be pushed past what Python's datetime (or the real-time ticker) can hold."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Emulator
from emulator.cli._serve import RealTimeTicker
from emulator.core._clock import Clock
from emulator.http import create_app
from emulator.http._json_body import MAX_DEPTH, JsonBodyError, decode_json

LOCAL = "http://localhost"  # the Host allow-list refuses TestClient's default "testserver"

KNOCK = {"Authorization": "Bearer sk_test", "Content-Type": "application/json"}
RESEND = {"Authorization": "Bearer re_test", "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 5000 + b"]" * 5000
BAD_BODIES = [
    b'{"name": NaN}',
    b'{"name": Infinity}',
    b'{"name": -Infinity}',
    b'{"name": 1e400}',
    DEEP,
    b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
    b'{"name": ',
]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Emulator()), base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": 1.5, "b": [1, {"c": null}]}', {"a": 1.5, "b": [1, {"c": None}]}),
        (b'{"big": 100000000000000000000000000000}', {"big": 10**29}),
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, None),
    ],
)
def test_decode_json_accepts_strict_json_within_depth(raw: bytes, expected: Any) -> None:
    value = decode_json(raw)
    if expected is None:  # MAX_DEPTH nested lists, the innermost empty
        for _ in range(MAX_DEPTH - 1):
            (value,) = value
        expected = []
    assert value == expected


@pytest.mark.parametrize("raw", BAD_BODIES)
def test_decode_json_refuses_non_json_numbers_and_deep_nesting(raw: bytes) -> None:
    with pytest.raises(JsonBodyError) as caught:
        decode_json(raw)
    assert caught.value.message.endswith(("send valid JSON", "or a string)", "flatten it")) or (
        "finite number" in caught.value.message
    )


@pytest.mark.parametrize("raw", BAD_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v1/users/u1"),
        ("POST", "/v1/users/bulk/identify"),
        ("PUT", "/v1/tenants/t1"),
        ("PUT", "/v1/objects/projects/p1"),
        ("POST", "/v1/workflows/w/trigger"),
    ],
)
def test_knock_refuses_bad_json_with_400_in_knock_shape(
    client: TestClient, method: str, path: str, raw: bytes
) -> None:
    response = client.request(method, path, content=raw, headers=KNOCK)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (
        400,
        "invalid_json",
        "invalid_request_error",
    )
    assert body["message"]


def test_knock_put_refused_for_nan_saves_nothing(client: TestClient) -> None:
    response = client.put("/v1/users/u1", content=b'{"name": NaN}', headers=KNOCK)
    assert response.status_code == 400
    assert client.get("/v1/users/u1", headers=KNOCK).status_code == 404
    assert client.get("/v1/users", headers=KNOCK).status_code == 200


def test_knock_body_over_the_limit_is_413_in_knock_shape(client: TestClient) -> None:
    response = client.put("/v1/users/u1", content=b" " * (11 * 1024 * 1024), headers=KNOCK)
    assert response.status_code == 413
    body = response.json()
    assert (body["status"], body["code"]) == (413, "request_too_large")


@pytest.mark.parametrize("raw", BAD_BODIES)
def test_resend_refuses_bad_json_in_resend_shape(client: TestClient, raw: bytes) -> None:
    response = client.post("/emails", content=raw, headers=RESEND)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["statusCode"], body["name"]) == (400, "validation_error")
    assert body["message"]


@pytest.mark.parametrize("raw", BAD_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/clock/advance"), ("PUT", "/api/v1/messages"), ("DELETE", "/api/v1/messages")],
)
def test_inspection_api_refuses_bad_json_in_its_shape(
    client: TestClient, method: str, path: str, raw: bytes
) -> None:
    response = client.request(method, path, content=raw, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"seconds": 1e30}', "`seconds` must be at most 3155760000"),
        (b'{"seconds": 3155760001}', "`seconds` must be at most 3155760000"),
        (b'{"seconds": Infinity}', "Infinity"),
        (b'{"seconds": NaN}', "NaN"),
        (b'{"to": "9999-12-31T23:59:59Z"}', "`to` may be at most 100 years"),
    ],
)
def test_clock_advance_refuses_unbounded_moves(client: TestClient, raw: bytes, field: str) -> None:
    before = client.get("/api/clock").json()
    response = client.post("/api/clock/advance", content=raw, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert field in response.json()["error"]
    assert client.get("/api/clock").json() == before


@pytest.mark.parametrize(
    "body", [{"seconds": 3155760000}, {"to": "2100-01-01T00:00:00Z"}, {"seconds": 0.5}]
)
def test_clock_advance_within_100_years_works(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/api/clock/advance", json=body)
    assert response.status_code == 200, response.text


def test_ticker_at_the_end_of_time_reports_once_and_keeps_running() -> None:
    clock = Clock()
    end = clock.now.replace(year=9999, month=12, day=31, hour=23, minute=59, second=59)
    clock.advance_to(end.replace(microsecond=999_999))
    err = io.StringIO()
    ticker = RealTimeTicker(clock, interval=0.01, err=err).start()
    time.sleep(0.3)
    ticker.stop()
    assert err.getvalue().count("doorstep: the clock could not tick") == 1, err.getvalue()


@pytest.mark.parametrize(
    ("path", "headers", "shape"),
    [
        ("/v1/users/u1", KNOCK, {"code", "message", "status", "type"}),
        ("/emails", RESEND, {"statusCode", "message", "name"}),
        ("/api/clock/advance", JSON, {"error", "status"}),
    ],
)
def test_declared_body_over_50mb_is_413_in_each_apis_shape(
    client: TestClient, path: str, headers: dict[str, str], shape: set[str]
) -> None:
    method = "PUT" if path.startswith("/v1") else "POST"
    big = {**headers, "Content-Length": str(60 * 1024 * 1024)}
    response = client.request(method, path, content=b"{}", headers=big)
    assert response.status_code == 413
    assert set(response.json()) >= shape
