"""Workflow schedules over the Knock API (`/v1/schedules`, user and object listings, bulk create)
through the `knockapi` SDK in strict mode; every response is checked against knock-api.yml by
the `check_exchange` hook, and the virtual clock fires what the API created."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_knock_api import Env, knock_env
from test_knock_api_errors import assert_knock_error
from wfbuild import in_app, workflow

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)  # knock_env's start: a Wednesday
WEEKDAYS_0930 = {"frequency": "weekly", "days": "weekdays", "hours": 9, "minutes": 30}
SCHEDULES = "/v1/schedules"


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        body = "Digest {{ recipient.schedule.id }} {{ data.kind }}"
        for key in ("digest", "reminder"):
            value.emulator.definitions.workflows[key] = workflow(key, in_app(body=body))
        value.knock.users.update("ada", name="Ada")
        yield value


def create(env: Env, **params: Any) -> list[Any]:
    params.setdefault("workflow", "digest")
    params.setdefault("recipients", ["ada"])
    return env.knock.schedules.create(**params)


def test_a_recurring_schedule_fires_on_the_clock_as_schedule_runs(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    [schedule] = create(env, repeats=[WEEKDAYS_0930], data={"kind": "daily"})
    assert (schedule.workflow, schedule.recipient.id, schedule.data) == (
        "digest",
        "ada",
        {"kind": "daily"},
    )
    assert schedule.next_occurrence_at == START.replace(minute=30)
    assert schedule.last_occurrence_at is None
    emu.clock.advance(days=7)  # Wed 1 .. Tue 7 at 09:30: five weekdays
    runs = knock.workflow_recipient_runs.list(workflow="digest").items
    assert [r.inserted_at.strftime("%a %d") for r in runs][::-1] == [
        "Wed 01",
        "Thu 02",
        "Fri 03",
        "Mon 06",
        "Tue 07",
    ]
    assert {(r.trigger_source.type, r.trigger_source.schedule_id) for r in runs} == {
        ("schedule", schedule.id)
    }
    messages = knock.users.list_messages("ada").items
    assert len(messages) == 5
    assert emu.messages()[0].content["markdown_body"].strip() == f"Digest {schedule.id} daily"
    [listed] = knock.schedules.list(workflow="digest").entries
    assert listed.last_occurrence_at == START + timedelta(days=6, minutes=30)
    assert listed.next_occurrence_at == START + timedelta(days=7, minutes=30)


def test_repeat_rules_are_reported_with_every_property(env: Env) -> None:
    rules = [
        {"frequency": "daily"},
        WEEKDAYS_0930,
        {"frequency": "weekly", "days": "weekends", "interval": 2},
        {"frequency": "monthly", "day_of_month": 15, "hours": 8, "days": ["tue", "mon"]},
    ]
    create(env, repeats=rules)
    wire = env.http.get(SCHEDULES, params={"workflow": "digest"}).json()["entries"][0]["repeats"]
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    blank = {"__typename": "ScheduleRepeat", "interval": 1, "hours": None, "minutes": None}
    assert wire == [
        blank | {"frequency": "daily", "days": every_day, "day_of_month": None},
        blank
        | {"frequency": "weekly", "days": every_day[:5], "hours": 9, "minutes": 30}
        | {"day_of_month": None},
        blank
        | {"frequency": "weekly", "days": ["sat", "sun"], "interval": 2, "day_of_month": None},
        blank | {"frequency": "monthly", "days": ["tue", "mon"], "day_of_month": 15, "hours": 8},
    ]


def test_one_off_schedule_identifies_inline_entities_and_fires_once(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    at = START + timedelta(days=2)
    schedules = create(
        env,
        recipients=[
            {"id": "bob", "name": "Bob"},
            {"id": "p1", "collection": "projects", "name": "P"},
        ],
        actor={"id": "cy", "name": "Cy"},
        tenant={"id": "acme", "name": "Acme"},
        scheduled_at=at,
    )
    assert [(s.recipient.id, s.actor.id, s.tenant) for s in schedules] == [
        ("bob", "cy", "acme"),
        ("p1", "cy", "acme"),
    ]
    assert [type(s.recipient).__name__ for s in schedules] == ["User", "Object"]
    assert knock.users.get("bob").name == "Bob"
    assert knock.users.get("cy").name == "Cy"
    assert knock.tenants.get("acme").name == "Acme"
    assert schedules[0].repeats == []
    assert schedules[0].next_occurrence_at == at
    emu.clock.advance(days=10)
    runs = emu.runs(workflow="digest")
    assert [(r.recipient_id, r.actor, r.tenant, r.inserted_at) for r in runs] == [
        ("bob", "cy", "acme", at),
        ("p1", "cy", "acme", at),
    ]
    [listed] = knock.users.list_schedules("bob").entries
    assert (listed.last_occurrence_at, listed.next_occurrence_at) == (at, None)


@pytest.fixture
def many(env: Env) -> dict[str, str]:
    """Schedule ids by name: recipients, workflows and tenants to filter on."""
    made: dict[str, str] = {}
    env.knock.objects.set("projects", "p1", name="Apollo")
    for name, workflow_key, recipient, tenant in [
        ("ada-digest", "digest", "ada", None),
        ("bob-digest-acme", "digest", "bob", "acme"),
        ("p1-digest-acme", "digest", {"id": "p1", "collection": "projects"}, "acme"),
        ("ada-reminder-acme", "reminder", "ada", "acme"),
    ]:
        [made[name]] = [
            s.id
            for s in create(
                env,
                workflow=workflow_key,
                recipients=[recipient],
                tenant=tenant,
                scheduled_at=START + timedelta(days=1),
            )
        ]
    return made


LISTS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "workflow, newest first",
        {"workflow": "digest"},
        ["p1-digest-acme", "bob-digest-acme", "ada-digest"],
    ),
    ("other workflow", {"workflow": "reminder"}, ["ada-reminder-acme"]),
    ("unknown workflow", {"workflow": "nope"}, []),
    ("tenant", {"workflow": "digest", "tenant": "acme"}, ["p1-digest-acme", "bob-digest-acme"]),
    (
        "user recipients",
        {"workflow": "digest", "recipients": ["ada", "bob"]},
        ["bob-digest-acme", "ada-digest"],
    ),
    (
        "object recipient",
        {"workflow": "digest", "recipients": [{"id": "p1", "collection": "projects"}]},
        ["p1-digest-acme"],
    ),
    ("a user id is not an object", {"workflow": "digest", "recipients": ["p1"]}, []),
]


@pytest.mark.parametrize(("query", "expected"), [c[1:] for c in LISTS], ids=[c[0] for c in LISTS])
def test_list_filters(
    env: Env, many: dict[str, str], query: dict[str, Any], expected: list[str]
) -> None:
    names = {v: k for k, v in many.items()}
    assert [names[s.id] for s in env.knock.schedules.list(**query).entries] == expected


RECIPIENT_LISTS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("user", "ada", {}, ["ada-reminder-acme", "ada-digest"]),
    ("user by workflow", "ada", {"workflow": "digest"}, ["ada-digest"]),
    ("user by tenant", "ada", {"tenant": "acme"}, ["ada-reminder-acme"]),
    ("never identified user", "bob", {}, ["bob-digest-acme"]),
    ("object", "projects/p1", {}, ["p1-digest-acme"]),
    ("object by workflow", "projects/p1", {"workflow": "reminder"}, []),
]


@pytest.mark.parametrize(
    ("who", "query", "expected"),
    [c[1:] for c in RECIPIENT_LISTS],
    ids=[c[0] for c in RECIPIENT_LISTS],
)
def test_user_and_object_schedules(
    env: Env, many: dict[str, str], who: str, query: dict[str, Any], expected: list[str]
) -> None:
    names = {v: k for k, v in many.items()}
    if "/" in who:
        page = env.knock.objects.list_schedules(*who.split("/"), **query)
    else:
        page = env.knock.users.list_schedules(who, **query)
    assert [names[s.id] for s in page.entries] == expected


def test_listing_pages_with_cursors(env: Env, many: dict[str, str]) -> None:
    first = env.http.get(SCHEDULES, params={"workflow": "digest", "page_size": 2}).json()
    assert [e["id"] for e in first["entries"]] == [many["p1-digest-acme"], many["bob-digest-acme"]]
    after = first["page_info"]["after"]
    second = env.http.get(SCHEDULES, params={"workflow": "digest", "page_size": 2, "after": after})
    assert [e["id"] for e in second.json()["entries"]] == [many["ada-digest"]]
    assert second.json()["page_info"]["after"] is None
    assert [s.id for s in env.knock.schedules.list(workflow="digest", page_size=1)] == [
        many["p1-digest-acme"],
        many["bob-digest-acme"],
        many["ada-digest"],
    ]  # the SDK's auto-pagination follows the cursors


def test_update_rearms_and_delete_stops(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    [first] = create(env, repeats=[{"frequency": "daily", "hours": 10}], data={"kind": "a"})
    [second] = create(env, recipients=["bob"], repeats=[{"frequency": "daily", "hours": 10}])
    emu.clock.advance(hours=2)  # 10:00 fired for both
    updated = knock.schedules.update(
        schedule_ids=[first.id, second.id],
        repeats=[{"frequency": "hourly", "minutes": 15}],
        data={"kind": "b"},
        tenant="acme",
    )
    assert [(s.id, s.data, s.tenant, s.repeats[0].frequency) for s in updated] == [
        (first.id, {"kind": "b"}, "acme", "hourly"),
        (second.id, {"kind": "b"}, "acme", "hourly"),
    ]
    assert updated[0].updated_at == START + timedelta(hours=2)
    assert updated[0].next_occurrence_at == START + timedelta(hours=2, minutes=15)
    emu.clock.advance(hours=1)  # 11:15 fired for both
    assert [(r.data["kind"], r.tenant) for r in emu.runs(recipient="ada")] == [
        ("a", None),
        ("b", "acme"),
    ]
    deleted = knock.schedules.delete(schedule_ids=[first.id])
    assert [s.id for s in deleted] == [first.id]
    assert deleted[0].next_occurrence_at is None
    emu.clock.advance(hours=3)
    assert len(emu.runs(recipient="ada")) == 2
    assert len(emu.runs(recipient="bob")) == 5
    assert [s.id for s in knock.schedules.list(workflow="digest").entries] == [second.id]


def test_bulk_create_reports_a_completed_operation(env: Env) -> None:
    knock, emu = env.knock, env.emulator
    op = knock.schedules.bulk.create(
        schedules=[
            {"workflow": "digest", "recipient": "ada", "repeats": [{"frequency": "daily"}]},
            {
                "workflow": "reminder",
                "recipient": {"id": "dee", "name": "Dee"},
                "scheduled_at": START,
            },
        ]
    )
    assert (op.status, op.success_count, op.processed_rows, op.error_count) == (
        "completed",
        2,
        2,
        0,
    )
    assert op.progress_path == f"{env.base_url}/v1/bulk_operations/{op.id}"
    assert knock.bulk_operations.get(op.id) == op
    assert [(s.workflow, s.recipient_id) for s in emu.schedules()] == [
        ("digest", "ada"),
        ("reminder", "dee"),
    ]
    assert knock.users.get("dee").name == "Dee"
    emu.clock.advance(minutes=1)
    assert [r.trigger_source for r in emu.runs(workflow="reminder")] == ["schedule"]


LATER = "2025-02-01T00:00:00Z"


def new(**fields: Any) -> dict[str, Any]:
    """A create body: one-off for ada unless `fields` say otherwise (None drops a field)."""
    body = {"workflow": "digest", "recipients": ["ada"], "scheduled_at": LATER} | fields
    return {k: v for k, v in body.items() if v is not None}


def bulk(*items: dict[str, Any]) -> dict[str, Any]:
    return {"schedules": [{"workflow": "digest", "recipient": "bob"} | i for i in items]}


DAILY = [{"frequency": "daily"}]
# (case, method, body, the field the 422 names); "$ID" stands for an existing schedule's id.
INVALID: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("no workflow", "POST", new(workflow=None), "workflow"),
    ("no recipients", "POST", new(recipients=None), "recipients"),
    ("neither repeats nor scheduled_at", "POST", new(scheduled_at=None), None),
    ("minutes", "POST", new(repeats=[{"frequency": "daily", "minutes": 7}]), "repeats[0].minutes"),
    ("frequency", "POST", new(repeats=[*DAILY, {"frequency": "yearly"}]), "repeats[1].frequency"),
    ("repeats not a list", "POST", new(repeats="daily"), "repeats"),
    ("recipient", "POST", new(recipients=["ada", 7]), "recipients[1]"),
    ("101 recipients", "POST", new(recipients=[f"u{n}" for n in range(101)]), "recipients"),
    ("scheduled_at", "POST", new(scheduled_at="soon"), "scheduled_at"),
    ("data", "POST", new(data=[1]), "data"),
    ("update no ids", "PUT", {"schedule_ids": []}, "schedule_ids"),
    (
        "update rule",
        "PUT",
        {"schedule_ids": ["$ID"], "repeats": [{"frequency": "daily", "hours": 24}]},
        "repeats[0].hours",
    ),
    ("delete id not a string", "DELETE", {"schedule_ids": [5]}, "schedule_ids[0]"),
    (
        "bulk item",
        "BULK",
        bulk({"repeats": DAILY}, {"repeats": [{"frequency": "daily", "hours": 30}]}),
        "schedules[1].repeats[0].hours",
    ),
    (
        "bulk recipient",
        "BULK",
        bulk({"recipient": {"name": "x"}, "scheduled_at": LATER}),
        "schedules[0].recipient.id",
    ),
    (
        "bulk no recipient",
        "BULK",
        {"schedules": [{"workflow": "digest"}]},
        "schedules[0].recipient",
    ),
]
# (case, method, body, Knock's 404 code)
MISSING: list[tuple[str, str, dict[str, Any], str]] = [
    ("unknown workflow", "POST", new(workflow="nope"), "workflow_missing"),
    ("unidentified actor", "POST", new(actor="ghost"), "actor_missing"),
    ("update unknown id", "PUT", {"schedule_ids": ["ghost"], "data": {}}, "resource_missing"),
    ("delete unknown id", "DELETE", {"schedule_ids": ["$ID", "ghost"]}, "resource_missing"),
    (
        "bulk unknown workflow",
        "BULK",
        bulk({"workflow": "nope", "scheduled_at": LATER}),
        "workflow_missing",
    ),
]


def refused(env: Env, method: str, body: dict[str, Any], status: int, code: str) -> Any:
    """Send a bad request next to an existing schedule; the error must have Knock's shape and
    the schedule must be untouched (nothing created, updated or deleted)."""
    emu = env.emulator
    [existing] = create(env, repeats=DAILY)
    before = (existing.updated_at, existing.next_occurrence_at)
    if "schedule_ids" in body:
        ids = [existing.id if i == "$ID" else i for i in body["schedule_ids"]]
        body = body | {"schedule_ids": ids}
    path = f"{SCHEDULES}/bulk/create" if method == "BULK" else SCHEDULES
    response = env.http.request("POST" if method == "BULK" else method, path, json=body)
    assert response.status_code == status, response.text
    assert_knock_error(response.json(), status, code)
    assert [s.id for s in emu.schedules()] == [existing.id]
    [same] = env.knock.schedules.list(workflow="digest").entries
    assert (same.updated_at, same.next_occurrence_at) == before
    assert same.repeats[0].frequency == "daily"
    return response.json()


@pytest.mark.parametrize(
    ("method", "body", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_requests_name_the_json_path(
    env: Env, method: str, body: dict[str, Any], field: str | None
) -> None:
    error = refused(env, method, body, 422, "invalid_params")
    if field is not None:
        assert error["errors"][0]["field"] == field
        assert error["message"].startswith(field)


@pytest.mark.parametrize(
    ("method", "body", "code"), [c[1:] for c in MISSING], ids=[c[0] for c in MISSING]
)
def test_missing_things_are_404_naming_them(
    env: Env, method: str, body: dict[str, Any], code: str
) -> None:
    error = refused(env, method, body, 404, code)
    assert ("'nope'" if code == "workflow_missing" else "'ghost'") in error["message"]
    if method == "BULK":
        assert error["message"].startswith("schedules[0]: ")


def test_list_requires_a_workflow_and_unknown_recipients_are_404(env: Env) -> None:
    response = env.http.get(SCHEDULES)
    assert_knock_error(response.json(), 422, "invalid_params")
    assert response.json()["errors"][0]["field"] == "workflow"
    for path in ("/v1/users/ghost/schedules", "/v1/objects/projects/ghost/schedules"):
        response = env.http.get(path)
        assert response.status_code == 404
        assert_knock_error(response.json(), 404, "resource_missing")


def test_api_runs_report_no_schedule(env: Env) -> None:
    env.knock.workflows.trigger("digest", recipients=["ada"], data={"kind": "now"})
    [run] = env.knock.workflow_recipient_runs.list(workflow="digest").items
    assert (run.trigger_source.type, run.trigger_source.schedule_id) == ("api", None)
