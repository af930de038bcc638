"""Fetch, update_* and trigger_workflow steps, and throttles, driven by the virtual clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from wfbuild import in_app, make_emulator, workflow

from emulator import Emulator, FetchRequest, FetchResponse


def fetch_step(**settings: Any) -> dict[str, Any]:
    settings.setdefault("method", "get")
    settings.setdefault("url", "https://api.example.com/users/{{ recipient.id }}")
    return {"ref": "fetch_1", "type": "http_fetch", "settings": settings}


class Responder:
    def __init__(self, *answers: FetchResponse) -> None:
        self.answers = list(answers)
        self.requests: list[FetchRequest] = []

    def __call__(self, request: FetchRequest) -> FetchResponse:
        self.requests.append(request)
        return self.answers.pop(0)


def fetching(responder: Responder, **settings: Any) -> Emulator:
    return make_emulator(
        workflow("enrich", fetch_step(**settings), in_app(body="{{ data.plan }}")),
        http_responder=responder,
    )


def test_fetch_renders_the_request_and_merges_the_response_into_data() -> None:
    responder = Responder(FetchResponse(200, json.dumps({"plan": "pro", "seats": 3})))
    emu = fetching(
        responder,
        method="post",
        body='{"id": "{{ recipient.id }}"}',
        headers=[{"key": "Authorization", "value": "Bearer {{ vars.token }}"}],
        query_params=[{"key": "expand", "value": "plan"}],
    )
    emu.vars["token"] = "t0k"
    run = emu.trigger("enrich", ["u1"], data={"keep": True}).runs[0]
    [request] = responder.requests
    assert (request.method, request.url) == ("POST", "https://api.example.com/users/u1?expand=plan")
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.body == '{"id": "u1"}'
    assert run.path == ["fetch_1", "in_app_feed_1"]
    assert emu.messages()[0].content["markdown_body"].strip() == "pro"
    assert emu.messages()[0].data == {"keep": True, "plan": "pro", "seats": 3}


def test_response_path_places_the_response_under_a_key() -> None:
    emu = fetching(Responder(FetchResponse(200, '{"plan": "pro"}')), response_path="user.info")
    emu.trigger("enrich", ["u1"])
    assert emu.messages()[0].data == {"user": {"info": {"plan": "pro"}}}


def test_server_errors_are_retried_after_30_and_60_seconds() -> None:
    responder = Responder(
        FetchResponse(503), FetchResponse(0, timeout=True), FetchResponse(200, '{"plan": "team"}')
    )
    emu = fetching(responder)
    run = emu.trigger("enrich", ["u1"]).runs[0]
    assert run.status == "waiting"
    emu.clock.advance(seconds=30)
    assert (run.status, len(responder.requests)) == ("waiting", 2)
    emu.clock.advance(seconds=59)
    assert len(responder.requests) == 2
    emu.clock.advance(seconds=1)
    assert run.status == "completed"
    assert emu.messages()[0].content["markdown_body"].strip() == "team"


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        ([FetchResponse(404)], "answered 404 after 1 attempt(s)"),
        ([FetchResponse(500)] * 3, "answered 500 after 3 attempt(s)"),
        ([FetchResponse(200, "not json")], "the response is not JSON"),
        ([FetchResponse(200, "[1, 2]")], "must be a JSON object"),
    ],
)
def test_fetch_failures_halt_the_run(answers: list[FetchResponse], error: str) -> None:
    emu = fetching(Responder(*answers))
    run = emu.trigger("enrich", ["u1"]).runs[0]
    emu.run_until_idle()
    assert run.status == "failed"
    assert run.step("fetch_1").outcome == "failed"
    assert error in (run.step("fetch_1").error or "")
    assert emu.messages() == []


def test_fetch_without_a_responder_says_how_to_configure_one() -> None:
    emu = make_emulator(workflow("enrich", fetch_step()))
    run = emu.trigger("enrich", ["u1"]).runs[0]
    assert run.status == "failed"
    assert "set emulator.http_responder" in (run.step("fetch_1").error or "")


def test_update_data_merges_and_fails_on_missing_properties() -> None:
    update = {
        "ref": "update_data_1",
        "type": "update_data",
        "settings": {"data": '{"greeting": "hi {{ recipient.name }}"}'},
    }
    emu = make_emulator(workflow("upd", update, in_app(body="{{ data.greeting }}")))
    emu.identify("u1", name="Ada")
    run = emu.trigger("upd", ["u1"]).runs[0]
    assert emu.messages()[0].content["markdown_body"].strip() == "hi Ada"
    failed = emu.trigger("upd", ["u2"]).runs[0]  # u2 has no name
    assert failed.status == "failed"
    assert "default" in (failed.step("update_data_1").error or "")
    assert run.status == "completed"


@pytest.mark.parametrize(
    ("step", "collection", "entity"),
    [
        (
            {
                "type": "update_user",
                "settings": {"recipient_mode": "current", "update_properties": '{"plan": "pro"}'},
            },
            "$users",
            "u1",
        ),
        (
            {
                "type": "update_user",
                "settings": {
                    "recipient_mode": "reference",
                    "recipient_gid": "gid://Object/$users/u9",
                    "update_properties": '{"plan": "pro"}',
                },
            },
            "$users",
            "u9",
        ),
        (
            {
                "type": "update_tenant",
                "settings": {"recipient_mode": "current", "update_properties": '{"plan": "pro"}'},
            },
            "$tenants",
            "acme",
        ),
        (
            {
                "type": "update_object",
                "settings": {
                    "recipient_gid": "gid://Object/projects/p1",
                    "update_properties": '{"plan": "pro"}',
                },
            },
            "projects",
            "p1",
        ),
    ],
)
def test_update_steps_deep_merge_into_entities(
    step: dict[str, Any], collection: str, entity: str
) -> None:
    emu = make_emulator(workflow("upd", {"ref": "update_1", **step}))
    run = emu.trigger("upd", ["u1"], tenant="acme").runs[0]
    assert run.status == "completed", run.step("update_1")
    stored = emu.object(collection, entity)
    assert stored is not None
    assert stored["plan"] == "pro"


def test_trigger_workflow_starts_a_child_run_with_rendered_settings() -> None:
    parent = workflow(
        "parent",
        {
            "ref": "trigger_workflow_1",
            "type": "trigger_workflow",
            "settings": {"workflow_key": "child", "cancellation_key": "child-{{ recipient.id }}"},
        },
    )
    child = workflow("child", in_app(body="child for {{ recipient.id }}: {{ data.n }}"))
    emu = make_emulator(parent, child)
    emu.identify("u0", name="Zero")
    run = emu.trigger("parent", ["u1"], actor="u0", data={"n": 5}).runs[0]
    [child_run] = emu.runs(workflow="child")
    assert run.step("trigger_workflow_1").detail["run_ids"] == [child_run.id]
    assert child_run.trigger_source == "workflow_step"
    assert (child_run.actor, child_run.cancellation_key) == ("u0", "child-u1")
    assert emu.messages()[0].content["markdown_body"].strip() == "child for u1: 5"


def throttled(limit: int = 1) -> Emulator:
    step = {
        "ref": "throttle_1",
        "type": "throttle",
        "settings": {
            "throttle_window": {"unit": "hours", "value": 1},
            "throttle_limit": limit,
            "throttle_key": "project",
        },
    }
    return make_emulator(workflow("ping", step, in_app(body="x")))


def test_throttle_lets_limit_runs_through_per_window_and_key() -> None:
    emu = throttled(limit=2)
    runs = [emu.trigger("ping", ["u1"], data={"project": "a"}).runs[0] for _ in range(3)]
    other = emu.trigger("ping", ["u1"], data={"project": "b"}).runs[0]
    assert [r.status for r in runs] == ["completed", "completed", "throttled"]
    assert runs[2].step("throttle_1").outcome == "throttled"
    assert other.status == "completed"
    emu.clock.advance(hours=1)
    assert emu.trigger("ping", ["u1"], data={"project": "a"}).runs[0].status == "completed"


def test_throttle_with_a_missing_key_is_skipped() -> None:
    emu = throttled()
    run = emu.trigger("ping", ["u1"]).runs[0]
    assert run.step("throttle_1").outcome == "skipped"
    assert "data.project is not set" in (run.step("throttle_1").skipped_because or "")


# Doc: content/designing-workflows/throttle-function.mdx, "Selecting a throttle key": keys "must
# be shorter than 64 characters long after being JSON and URL encoded"; a key that is missing or
# resolves to an invalid value is logged and the throttle is skipped (the run goes on).
@pytest.mark.parametrize(
    ("project", "skipped"),
    [
        ("a" * 57, False),  # '"' + 57 + '"' URL-encoded: 3 + 57 + 3 = 63 characters
        ("a" * 58, True),  # 64 characters
        ("a b/c" * 10, True),  # 50 characters, but spaces and slashes encode to 3 each
        ("", True),  # renders empty
    ],
)
def test_throttle_key_too_long_after_encoding_is_skipped(project: str, skipped: bool) -> None:
    emu = throttled()
    runs = [emu.trigger("ping", ["u1"], data={"project": project}).runs[0] for _ in range(2)]
    outcomes = [r.step("throttle_1").outcome for r in runs]
    if skipped:
        assert outcomes == ["skipped", "skipped"]
        assert [r.status for r in runs] == ["completed", "completed"]
        assert "invalid throttle key" in (runs[0].step("throttle_1").skipped_because or "")
    else:
        assert outcomes == ["executed", "throttled"]
