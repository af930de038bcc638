"""Triggers: recipient forms, inline identify, fan-out, validation, idempotency, frequency."""

from __future__ import annotations

from typing import Any

import pytest
from wfbuild import email, in_app, make_emulator, workflow

from emulator import Emulator, TriggerError


def simple(**top: Any) -> Emulator:
    return make_emulator(workflow("notify", in_app(body="Hi {{ recipient.name }}"), **top))


def test_one_run_per_recipient_sharing_a_workflow_run_id() -> None:
    emu = simple()
    emu.identify("u0")
    result = emu.trigger("notify", ["u1", "u2"], actor="u0", data={"x": 1}, tenant="acme")
    assert [r.recipient_id for r in result.runs] == ["u1", "u2"]
    assert {r.workflow_run_id for r in result.runs} == {result.workflow_run_id}
    assert len({r.id for r in result.runs}) == 2
    assert all(r.tenant == "acme" and r.actor == "u0" for r in result.runs)
    assert result.run_for("u2") is result.runs[1]


def test_ids_are_deterministic_for_a_seed() -> None:
    first = simple().trigger("notify", ["u1"]).workflow_run_id
    assert simple().trigger("notify", ["u1"]).workflow_run_id == first
    assert (
        make_emulator(workflow("notify", in_app()), seed=7)
        .trigger("notify", ["u1"])
        .workflow_run_id
        != first
    )


@pytest.mark.parametrize("seed", [0, 7])
def test_email_ids_follow_the_seed_too(seed: int) -> None:
    """`seed` makes a whole run repeat: the captured emails' ids as well as the runs'."""

    def email_ids(seed: int) -> list[str]:
        emu = make_emulator(workflow("mail", email()), seed=seed)
        emu.identify("u1", email="ada@example.com")
        emu.trigger("mail", ["u1"])
        return [e.id for e in emu.outbox.all()]

    assert email_ids(seed) == email_ids(seed)
    assert email_ids(seed) != email_ids(seed + 1)


def test_inline_identify_upserts_and_deep_merges() -> None:
    emu = simple()
    emu.identify("u1", name="Ada", settings={"theme": "dark", "lang": "en"})
    emu.trigger("notify", [{"id": "u1", "email": "ada@example.com", "settings": {"lang": "fr"}}])
    user = emu.user("u1")
    assert user is not None
    assert (user["name"], user["email"], user["settings"]) == (
        "Ada",
        "ada@example.com",
        {"theme": "dark", "lang": "fr"},
    )
    assert emu.messages()[0].content["markdown_body"].strip() == "Hi Ada"


def test_recipients_are_deduplicated() -> None:
    emu = simple()
    result = emu.trigger("notify", ["u1", {"id": "u1"}, "u2", "u1"])
    assert [r.recipient_id for r in result.runs] == ["u1", "u2"]


def test_trigger_data_per_recipient_is_merged_over_data() -> None:
    emu = simple()
    result = emu.trigger(
        "notify",
        [{"id": "u1", "$trigger_data": {"role": "admin"}}, "u2"],
        data={"role": "member", "x": 1},
    )
    assert [r.data for r in result.runs] == [{"role": "admin", "x": 1}, {"role": "member", "x": 1}]


def test_object_recipient_fans_out_to_subscribers_excluding_the_actor() -> None:
    emu = simple()
    emu.set_object("projects", "p1", name="Apollo")
    emu.subscribe("projects", "p1", ["u1", "u2", "actor"], properties={"role": "watcher"})
    emu.set_object("teams", "t1")
    emu.subscribe("teams", "t1", [{"id": "p1", "collection": "projects"}])
    emu.identify("actor")
    result = emu.trigger("notify", [{"id": "t1", "collection": "teams"}], actor="actor")
    recipients = [r.recipient for r in result.runs]
    assert recipients == [
        {"id": "t1", "collection": "teams"},
        {"id": "p1", "collection": "projects"},
        "u1",
        "u2",
    ]
    assert result.runs[2].status == "completed"


def test_subscription_properties_reach_the_recipient_scope() -> None:
    emu = make_emulator(
        workflow(
            "notify",
            in_app(
                body="{{ recipient.subscription.role }} of {{ recipient.subscription.object.name }}"
            ),
        )
    )
    emu.set_object("projects", "p1", name="Apollo")
    emu.subscribe("projects", "p1", ["u1"], properties={"role": "watcher"})
    emu.trigger("notify", [{"id": "p1", "collection": "projects"}])
    bodies = [m.content["markdown_body"].strip() for m in emu.messages(recipient="u1")]
    assert bodies == ["watcher of Apollo"]


@pytest.mark.parametrize(
    ("kwargs", "code", "text"),
    [
        ({"key": "nope", "recipients": ["u1"]}, "workflow_missing", "known: notify"),
        ({"key": "notify", "recipients": []}, "invalid_params", "recipients is empty"),
        ({"key": "notify", "recipients": "u1"}, "invalid_params", "must be a list"),
        ({"key": "notify", "recipients": [{"name": "x"}]}, "invalid_params", "recipients[0].id"),
        ({"key": "notify", "recipients": [42]}, "invalid_params", "recipients[0] must be"),
        ({"key": "notify", "recipients": ["u"] * 1001}, "invalid_params", "at most 1000"),
        ({"key": "notify", "recipients": ["u1"], "data": [1]}, "invalid_params", "data must be"),
        ({"key": "notify", "recipients": ["u1"], "tenant": 5}, "invalid_params", "tenant must"),
        (
            {"key": "notify", "recipients": [{"id": "u1", "preferences": {"a": "x"}}]},
            "invalid_params",
            "recipients[0].preferences.a: a preference set must be an object",
        ),
        (
            {"key": "notify", "recipients": [{"id": "u1", "channel_data": {"c": 5}}]},
            "invalid_params",
            "recipients[0].channel_data must be data by channel",
        ),
    ],
)
def test_malformed_triggers_raise_knock_errors(
    kwargs: dict[str, Any], code: str, text: str
) -> None:
    emu = simple()
    key, recipients = kwargs.pop("key"), kwargs.pop("recipients")
    with pytest.raises(TriggerError) as info:
        emu.trigger(key, recipients, **kwargs)
    assert info.value.code == code
    assert text in str(info.value)
    assert emu.runs() == []


def test_trigger_data_json_schema_is_enforced() -> None:
    schema = {
        "type": "object",
        "required": ["invoice_id"],
        "properties": {"invoice_id": {"type": "string"}},
    }
    emu = simple(trigger_data_json_schema=schema)
    with pytest.raises(TriggerError, match="'invoice_id' is a required property"):
        emu.trigger("notify", ["u1"], data={})
    with pytest.raises(TriggerError, match=r"data.invoice_id: 5 is not of type 'string'"):
        emu.trigger("notify", ["u1"], data={"invoice_id": 5})
    assert emu.trigger("notify", ["u1"], data={"invoice_id": "i1"}).runs


def test_inactive_workflow_refuses_triggers() -> None:
    emu = make_emulator(workflow("notify", in_app(), __readonly={"active": False}))
    with pytest.raises(TriggerError, match="workflow_inactive"):
        emu.trigger("notify", ["u1"])


def test_idempotency_key_returns_the_first_result_and_starts_nothing() -> None:
    emu = simple()
    first = emu.trigger("notify", ["u1"], idempotency_key="k")
    again = emu.trigger("notify", ["u1"], idempotency_key="k")
    assert again is first
    assert len(emu.runs()) == 1
    with pytest.raises(TriggerError, match="different parameters"):
        emu.trigger("notify", ["u2"], idempotency_key="k")
    emu.clock.advance(hours=24)
    assert emu.trigger("notify", ["u1"], idempotency_key="k") is not first


@pytest.mark.parametrize(
    ("frequency", "runs"),
    [("every_trigger", 3), ("once_per_recipient", 1), ("once_per_recipient_per_tenant", 2)],
)
def test_trigger_frequency(frequency: str, runs: int) -> None:
    emu = simple(trigger_frequency=frequency)
    emu.trigger("notify", ["u1"], tenant="a")
    emu.trigger("notify", ["u1"], tenant="a")
    emu.trigger("notify", ["u1"], tenant="b")
    assert len(emu.runs()) == runs


def test_tenant_inline_object_is_stored() -> None:
    emu = make_emulator(workflow("notify", in_app(body="{{ tenant.name }}")))
    emu.trigger("notify", ["u1"], tenant={"id": "acme", "name": "Acme Inc"})
    assert emu.messages()[0].content["markdown_body"].strip() == "Acme Inc"
    assert emu.messages()[0].tenant == "acme"


def test_unidentified_actor_is_refused_like_knock() -> None:
    emu = simple()
    with pytest.raises(TriggerError) as info:
        emu.trigger("notify", ["u1"], actor="ghost")
    assert (info.value.code, info.value.status) == ("actor_missing", 404)
    assert "identify the user first" in str(info.value)
    assert emu.runs() == []
    emu.trigger("notify", ["u1"], actor={"id": "ghost", "name": "Inline"})  # inline identify
    assert emu.user("ghost") == {**emu.user("ghost"), "name": "Inline"}  # type: ignore[dict-item]
    lenient = make_emulator(workflow("notify", in_app()), require_identified_actor=False)
    assert lenient.trigger("notify", ["u1"], actor="ghost").runs[0].actor == "ghost"


def test_delete_user_forgets_everything_and_stops_paused_runs_before_sending() -> None:
    from wfbuild import delay, in_app, make_emulator, workflow

    emu = make_emulator(
        workflow("note", in_app(body="hi")),
        workflow("later", delay(delay_for={"unit": "hours", "value": 1}), in_app(body="late")),
    )
    emu.identify("ada", name="Ada")
    emu.set_object("projects", "p1")
    emu.subscribe("projects", "p1", ["ada"])
    emu.add_to_audience("vip", "ada")
    emu.create_schedules("note", ["ada"], repeats=[{"frequency": "daily"}])
    done = emu.trigger("note", ["ada"]).runs[0]
    paused = emu.trigger("later", ["ada"]).runs[0]
    assert emu.delete_user("ada") is True
    assert emu.user("ada") is None
    assert emu.messages() == []
    assert emu.schedules() == []
    assert emu.audience_members("vip") == []
    assert emu.subscriptions("projects", "p1") == []
    assert [r.id for r in emu.runs()] == [paused.id]  # finished run logs go with the user
    emu.clock.advance(hours=1)
    assert (paused.status, paused.ended_because) == ("terminated", "recipient 'ada' was deleted")
    assert paused.step("in_app_feed_1").outcome == "cancelled"
    assert emu.messages() == []
    assert done.status == "completed"
    assert emu.delete_user("ada") is False


def test_delete_object_unsubscribes_both_ways_and_forgets_its_messages() -> None:
    from wfbuild import in_app, make_emulator, workflow

    emu = make_emulator(workflow("note", in_app(body="hi")))
    emu.set_object("projects", "p1", name="Apollo")
    emu.set_object("teams", "t1")
    emu.subscribe("projects", "p1", ["ada", {"id": "t1", "collection": "teams"}])
    emu.subscribe("teams", "t1", ["bob"])
    emu.trigger("note", [{"id": "p1", "collection": "projects"}])
    assert {m.recipient_id for m in emu.messages()} == {"p1", "ada", "t1", "bob"}
    assert emu.delete_object("teams", "t1") is True
    assert emu.subscriptions("teams", "t1") == []  # its subscribers
    assert [s.recipient for s in emu.subscriptions("projects", "p1")] == [("$users", "ada")]
    assert {m.recipient_id for m in emu.messages()} == {"p1", "ada", "bob"}
    assert emu.delete_object("teams", "t1") is False


def test_a_deleted_users_id_can_receive_a_once_per_recipient_workflow_again() -> None:
    from wfbuild import in_app, make_emulator, workflow

    emu = make_emulator(
        workflow("welcome", in_app(body="hi"), trigger_frequency="once_per_recipient")
    )
    assert len(emu.trigger("welcome", ["ada"]).runs) == 1
    assert emu.trigger("welcome", ["ada"]).runs == []  # once per recipient
    emu.delete_user("ada")
    assert len(emu.trigger("welcome", ["ada"]).runs) == 1  # the id was re-used: a new user
