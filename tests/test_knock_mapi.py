"""The Management API subset under `/mapi/v1`: answers in knock-mapi.yml shapes, Knock's errors,
drafts versus committed content, promotion upward only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_check import check_mapi_response
from starlette.testclient import TestClient

from emulator import Emulator, Environment, Environments, load_definitions
from emulator.http import create_app

LOCAL = "http://localhost"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "knock"
AUTH = {"Authorization": "Bearer st_doorstep"}
DEV = {"environment": "development"}


@pytest.fixture
def envs() -> Environments:
    definitions = load_definitions(FIXTURES)
    return Environments(
        [
            Environment(name, Emulator(definitions, channels={"postmark": {"type": "email"}}))
            for name in ("development", "staging", "production")
        ]
    )


@pytest.fixture
def client(envs: Environments) -> Iterator[TestClient]:
    app = create_app(envs.default.emulator, environments=envs)
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as c:
        c.headers.update(AUTH)
        yield c


def _workflow(subject: str) -> dict[str, Any]:
    return {
        "name": "Note",
        "steps": [
            {
                "ref": "email_1",
                "type": "channel",
                "channel_key": "postmark",
                "channel_type": "email",
                "template": {
                    "subject": subject,
                    "html_body": "<p>{{ data.n }}</p>",
                    "settings": {},
                },
            }
        ],
    }


def _put(client: TestClient, path: str, body: Any = None, **params: str) -> Any:
    response = client.put(f"/mapi/v1{path}", json=body or {}, params={**DEV, **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("method", "path", "spec_path"),
    [
        ("get", "/workflows", "/v1/workflows"),
        ("get", "/workflows/invoice-created", "/v1/workflows/{workflow_key}"),
        ("get", "/email_layouts", "/v1/email_layouts"),
        ("get", "/email_layouts/default", "/v1/email_layouts/{email_layout_key}"),
        ("get", "/partials", "/v1/partials"),
        ("get", "/partials/invoice-summary", "/v1/partials/{partial_key}"),
        ("get", "/commits", "/v1/commits"),
        ("get", "/environments", "/v1/environments"),
        ("get", "/whoami", "/v1/whoami"),
    ],
)
def test_reads_answer_in_spec_shapes(
    client: TestClient, method: str, path: str, spec_path: str
) -> None:
    response = client.request(method, f"/mapi/v1{path}", params=DEV)
    assert response.status_code == 200, response.text
    check_mapi_response(method, spec_path, response.json())


def test_writes_answer_in_spec_shapes(client: TestClient) -> None:
    upserted = _put(client, "/workflows/note", {"workflow": _workflow("Hi")}, commit="true")
    check_mapi_response("put", "/v1/workflows/{workflow_key}", upserted)
    translation = {"translation": {"content": json.dumps({"hi": "Hello"}), "format": "json"}}
    saved = _put(client, "/translations/en", translation, namespace="admin")
    check_mapi_response("put", "/v1/translations/{locale_code}", saved)
    assert saved["translation"]["namespace"] == "admin"
    check_mapi_response("put", "/v1/commits", _put(client, "/commits", commit_message="t"))
    commits = client.get("/mapi/v1/commits", params=DEV).json()["entries"]
    one = client.get(f"/mapi/v1/commits/{commits[0]['id']}").json()
    check_mapi_response("get", "/v1/commits/{id}", one)
    promoted = client.put(f"/mapi/v1/commits/{commits[0]['id']}/promote")
    check_mapi_response("put", "/v1/commits/{id}/promote", promoted.json())
    assert promoted.json()["commit"]["environment"] == "staging"
    run = _put(client, "/workflows/note/run", {"recipients": [{"id": "u1", "email": "u@x.io"}]})
    check_mapi_response("put", "/v1/workflows/{workflow_key}/run", run)


def test_drafts_run_only_in_the_test_runner(client: TestClient, envs: Environments) -> None:
    dev = envs.default.emulator
    _put(client, "/workflows/note", {"workflow": _workflow("One")}, commit="true")
    _put(client, "/workflows/note", {"workflow": _workflow("Two")})  # saved, not committed
    dev.trigger("note", [{"id": "u1", "email": "u@x.io"}], data={"n": 1})
    assert dev.outbox.latest().subject == "One"  # type: ignore[union-attr]
    _put(client, "/workflows/note/run", {"recipients": ["u1"], "data": {"n": 2}})
    assert dev.outbox.latest().subject == "Two"  # type: ignore[union-attr]
    dev.trigger("note", ["u1"], data={"n": 3})
    assert dev.outbox.latest().subject == "One"  # type: ignore[union-attr]
    hidden = client.get(
        "/mapi/v1/workflows/note", params={**DEV, "hide_uncommitted_changes": "true"}
    )
    assert hidden.json()["steps"][0]["template"]["subject"] == "One"
    shown = client.get("/mapi/v1/workflows/note", params=DEV)
    assert shown.json()["steps"][0]["template"]["subject"] == "Two"


def test_promotion_moves_up_one_environment_at_a_time(
    client: TestClient, envs: Environments
) -> None:
    _put(client, "/workflows/note", {"workflow": _workflow("One")}, commit="true")
    assert "note" not in envs.get("staging").emulator.definitions.workflows
    _put(client, "/commits/promote", to_environment="staging")
    assert "note" in envs.get("staging").emulator.definitions.workflows
    assert "note" not in envs.get("production").emulator.definitions.workflows
    _put(client, "/commits/promote", to_environment="production")
    assert "note" in envs.get("production").emulator.definitions.workflows
    staged = client.get("/mapi/v1/commits", params={"environment": "staging"}).json()["entries"]
    assert [c["resource"]["identifier"] for c in staged] == ["note"]
    unpromoted = client.get("/mapi/v1/commits", params={**DEV, "promoted": "false"}).json()
    assert unpromoted["entries"] == []


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "headers", "status", "code", "says"),
    [
        ("get", "/whoami", {}, None, {"Authorization": ""}, 401, "unauthenticated",
         "KNOCK_SERVICE_TOKEN"),
        ("get", "/whoami", {}, None, {"Authorization": "Bearer sk_test_x"}, 401,
         "unauthenticated", "service token"),
        ("get", "/workflows", {}, None, {}, 422, "invalid_params", "environment is required"),
        ("get", "/workflows", {"environment": "qa"}, None, {}, 404, "resource_missing",
         "development, staging, production"),
        ("get", "/workflows", {**DEV, "branch": "x"}, None, {}, 422, "invalid_params",
         "branches are not emulated"),
        ("get", "/workflows/nope", DEV, None, {}, 404, "resource_missing", "knock workflow push"),
        ("put", "/workflows/note", DEV, {"name": "x"}, {}, 422, "invalid_params",
         "must wrap the workflow in 'workflow'"),
        ("put", "/workflows/note", {"environment": "production"}, {"workflow": _workflow("x")},
         {}, 422, "invalid_params", "knock commit promote --to production"),
        ("put", "/commits/promote", {"to_environment": "development"}, None, {}, 422,
         "invalid_params", "it is the first environment"),
        ("put", "/commits/nope/promote", {}, None, {}, 404, "resource_missing", "no commit"),
        ("delete", "/workflows/note", DEV, None, {}, 405, "method_not_allowed", "DELETE"),
        ("get", "/broadcasts", DEV, None, {}, 404, "resource_missing", "does not emulate"),
    ],
)  # fmt: skip
def test_errors_in_knock_shape(
    client: TestClient,
    method: str,
    path: str,
    params: dict[str, str],
    body: Any,
    headers: dict[str, str],
    status: int,
    code: str,
    says: str,
) -> None:
    response = client.request(method, f"/mapi/v1{path}", params=params, json=body, headers=headers)
    assert response.status_code == status, response.text
    answer = response.json()
    assert (answer["code"], answer["status"]) == (code, status)
    assert says in answer["message"]


def test_an_invalid_template_is_named_by_field(client: TestClient) -> None:
    broken = {"workflow": _workflow("{% if data.n %}")}
    response = client.put("/mapi/v1/workflows/note/validate", json=broken, params=DEV)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "workflow.steps[0].template.subject"
    assert "expected tag endif" in error["message"]
    bad_json = client.put(
        "/mapi/v1/translations/en",
        json={"translation": {"content": "{nope", "format": "json"}},
        params=DEV,
    )
    assert bad_json.status_code == 422
    assert bad_json.json()["errors"][0]["field"] == "translation.content"
