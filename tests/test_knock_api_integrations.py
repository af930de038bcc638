"""Knock's Census and Hightouch destinations through the `knockapi` SDK (every exchange checked
against knock-api.yml): the JSON-RPC calls those tools make to sync a warehouse model into a
Knock audience (knocklabs/docs integrations/sources/census.mdx and hightouch.mdx)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_knock_api import Env, knock_env

from emulator import Emulator

CENSUS = "/v1/integrations/census/custom-destination"
HIGHTOUCH = "/v1/integrations/hightouch/embedded-destination"


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env(emulator=Emulator()) as value:
        yield value


def rpc(env: Env, path: str, method: str, params: dict[str, Any] | None = None) -> Any:
    body: dict[str, Any] = {"id": "1", "jsonrpc": "2.0", "method": method}
    if params is not None:
        body["params"] = params
    got = env.http.post(path, json=body)
    assert got.status_code == 200, got.text
    return got.json()


def test_census_discovery_through_the_sdk(env: Env) -> None:
    census = env.knock.integrations.census
    assert census.custom_destination(id="a", jsonrpc="2.0", method="test_connection").id == "a"
    objects = census.custom_destination(id="b", jsonrpc="2.0", method="list_objects").result
    assert objects == {"objects": [{"object_api_name": "audience_member", "label": "Audiences"}]}
    fields = rpc(env, CENSUS, "list_fields", {"object": {"object_api_name": "audience_member"}})
    assert [(f["field_api_name"], f["identifier"]) for f in fields["result"]["fields"]] == [
        ("user_id", True),
        ("audience_key", False),
        ("tenant_id", False),
    ]
    ops = rpc(env, CENSUS, "supported_operations", {"object": {}})["result"]["operations"]
    assert ops == ["insert", "mirror"]


def test_census_sync_batch_adds_and_mirror_deletes_members(env: Env) -> None:
    records = [
        {"user_id": "u1", "audience_key": "beta"},
        {"user_id": "u2", "audience_key": "beta", "tenant_id": "t1"},
        {"user_id": "", "audience_key": "beta"},
    ]
    got = rpc(env, CENSUS, "sync_batch", {"sync_operation": "insert", "records": records})
    results = got["result"]["record_results"]
    assert [(r["identifier"], r["success"]) for r in results] == [
        ("u1", True),
        ("u2", True),
        ("", False),
    ]
    assert "user_id" in results[2]["error_message"]
    assert [(m.user_id, m.tenant) for m in env.emulator.audience_members("beta")] == [
        ("u1", None),
        ("u2", "t1"),
    ]
    assert env.emulator.user("u1") is not None  # identified, as Knock's audience API does
    rpc(env, CENSUS, "sync_batch", {"sync_operation": "delete", "records": records[:1]})
    assert [m.user_id for m in env.emulator.audience_members("beta")] == ["u2"]


def test_hightouch_sync_batch_and_rejected_rows(env: Env) -> None:
    hightouch = env.knock.integrations.hightouch
    listed = hightouch.embedded_destination(id="1", jsonrpc="2.0", method="list_objects")
    assert listed.result == {"objects": [{"id": "audience_member", "name": "Audiences"}]}
    rows = [{"user_id": "u1", "audience_key": "vip"}, {"user_id": "u2"}]
    got = rpc(env, HIGHTOUCH, "sync_batch", {"operation": "add", "rows": rows})
    [rejected] = got["result"]["rejectedRows"]
    assert rejected["row"] == {"user_id": "u2"}
    assert "audience_key" in rejected["reason"]
    assert [m.user_id for m in env.emulator.audience_members("vip")] == ["u1"]
    rpc(env, HIGHTOUCH, "sync_batch", {"operation": "remove", "rows": rows[:1]})
    assert env.emulator.audience_members("vip") == []


@pytest.mark.parametrize("path", [CENSUS, HIGHTOUCH])
def test_unknown_method_is_a_json_rpc_error(env: Env, path: str) -> None:
    got = rpc(env, path, "drop_tables")
    assert got["error"]["code"] == -32601
    assert "drop_tables" in got["error"]["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"jsonrpc": "2.0", "method": "list_objects"}, "id"),
        ({"id": "1", "jsonrpc": "2.0"}, "method"),
        ({"id": "1", "jsonrpc": "2.0", "method": "sync_batch", "params": []}, "params"),
    ],
    ids=["no-id", "no-method", "params-not-object"],
)
def test_a_malformed_call_is_knocks_422(env: Env, body: dict[str, Any], words: str) -> None:
    got = env.http.post(CENSUS, json=body)
    assert got.status_code == 422
    assert words in got.json()["message"]


def test_sync_batch_without_records_is_an_rpc_error(env: Env) -> None:
    got = rpc(env, CENSUS, "sync_batch", {"sync_operation": "insert"})
    assert got["error"]["code"] == -32602


def test_integrations_need_a_secret_key(env: Env) -> None:
    body = {"id": "1", "jsonrpc": "2.0", "method": "test_connection"}
    got = env.http.post(CENSUS, json=body, headers={"Authorization": "Bearer pk_test"})
    assert got.status_code == 401
