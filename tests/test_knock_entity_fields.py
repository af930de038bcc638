"""Issue 13: users, tenants and objects are checked against knock-api.yml before they are
stored (typed fields, IANA time zones, ISO-8601 `created_at`, tenant `settings`); a wrong one is
a 422 `invalid_params` naming the field, through the official `knockapi` SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import knockapi
import pytest
from test_knock_api import INVOICE, Env, knock_env


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        yield value


def _identify(body: dict[str, Any]) -> Callable[[knockapi.Knock], Any]:
    return lambda k: k.users.update("u1", extra_body=body)


def _bulk_identify(body: dict[str, Any]) -> Callable[[knockapi.Knock], Any]:
    users: Any = [{"id": "u0"}, {"id": "u1", **body}]
    return lambda k: k.users.bulk.identify(users=users)


def _object(body: dict[str, Any]) -> Callable[[knockapi.Knock], Any]:
    return lambda k: k.objects.set("projects", "p1", extra_body=body)


def _tenant(body: dict[str, Any]) -> Callable[[knockapi.Knock], Any]:
    return lambda k: k.tenants.set("t1", extra_body=body)


def _bulk_tenants(body: dict[str, Any]) -> Callable[[knockapi.Knock], Any]:
    tenants: Any = [{"id": "t0"}, {"id": "t1", **body}]
    return lambda k: k.tenants.bulk.set(tenants=tenants)


def _trigger(**fields: Any) -> Callable[[knockapi.Knock], Any]:
    body: Any = {"recipients": ["u0"], "data": INVOICE, **fields}
    return lambda k: k.workflows.trigger("invoice-created", **body)


CASES: list[tuple[str, Callable[[knockapi.Knock], Any], str]] = [
    ("email 5", _identify({"email": 5}), "email"),
    ("name list", _identify({"name": ["Ada"]}), "name"),
    ("phone number", _identify({"phone_number": 5551234}), "phone_number"),
    ("timezone Mars", _identify({"timezone": "Mars/Olympus"}), "timezone"),
    ("timezone path", _identify({"timezone": "../../etc/passwd"}), "timezone"),
    ("created_at yesterday", _identify({"created_at": "yesterday"}), "created_at"),
    ("created_at number", _identify({"created_at": 1700000000}), "created_at"),
    ("bulk email 5", _bulk_identify({"email": 5}), "users[1].email"),
    ("bulk timezone", _bulk_identify({"timezone": "Mars/Olympus"}), "users[1].timezone"),
    ("bulk created_at", _bulk_identify({"created_at": "yesterday"}), "users[1].created_at"),
    ("object timezone", _object({"timezone": "Mars/Olympus"}), "timezone"),
    ("object created_at", _object({"created_at": "yesterday"}), "created_at"),
    ("object name", _object({"name": 5}), "name"),
    ("tenant name", _tenant({"name": 5}), "name"),
    ("tenant settings junk", _tenant({"settings": {"junk": 1}}), "settings.junk"),
    ("tenant branding not object", _tenant({"settings": {"branding": 5}}), "settings.branding"),
    (
        "tenant branding unknown",
        _tenant({"settings": {"branding": {"colour": "#fff"}}}),
        "settings.branding.colour",
    ),
    (
        "tenant color not hex",
        _tenant({"settings": {"branding": {"primary_color": "red"}}}),
        "settings.branding.primary_color",
    ),
    (
        "tenant logo number",
        _tenant({"settings": {"branding": {"logo_url": 5}}}),
        "settings.branding.logo_url",
    ),
    (
        "trigger inline email",
        _trigger(recipients=[{"id": "u1", "email": 5}]),
        "recipients[0].email",
    ),
    (
        "trigger inline object timezone",
        _trigger(recipients=[{"id": "p1", "collection": "projects", "timezone": "Mars/Olympus"}]),
        "recipients[0].timezone",
    ),
    (
        "trigger actor created_at",
        _trigger(actor={"id": "u1", "created_at": "yesterday"}),
        "actor.created_at",
    ),
    (
        "trigger tenant settings",
        _trigger(tenant={"id": "t1", "settings": {"junk": 1}}),
        "tenant.settings.junk",
    ),
    ("bulk tenant settings", _bulk_tenants({"settings": {"junk": 1}}), "tenants[1].settings.junk"),
    (
        "trigger inline preferences",
        _trigger(recipients=[{"id": "u1", "preferences": "x"}]),
        "recipients[0].preferences",
    ),
    (
        "trigger inline object preference set",
        _trigger(recipients=[{"id": "p1", "collection": "projects", "preferences": {"a": "x"}}]),
        "recipients[0].preferences.a",
    ),
    (
        "trigger actor channel data",
        _trigger(actor={"id": "u1", "channel_data": "x"}),
        "actor.channel_data",
    ),
]


@pytest.mark.parametrize(("what", "call", "field"), CASES, ids=[c[0] for c in CASES])
def test_wrong_entity_fields_are_422_naming_the_field_and_store_nothing(
    env: Env, what: str, call: Callable[[knockapi.Knock], Any], field: str
) -> None:
    with pytest.raises(knockapi.UnprocessableEntityError) as caught:
        call(env.knock)
    body = caught.value.body
    assert isinstance(body, dict)
    assert (body["status"], body["code"]) == (422, "invalid_params"), body
    assert body["errors"][0]["field"] == field
    assert not {"u0", "u1"} & {u["id"] for u in env.emulator.users()}
    assert not {"t0", "t1"} & {t["id"] for t in env.emulator.tenants()}
    assert env.emulator.objects("projects") == []
    assert env.emulator.runs() == []


VALID: list[tuple[str, Callable[[knockapi.Knock], Any]]] = [
    (
        "user",
        _identify(
            {
                "email": "ada@example.com",
                "timezone": "America/New_York",
                "created_at": "2024-01-31T09:00:00Z",
                "locale": None,
                "plan": {"any": ["custom", 1]},
            }
        ),
    ),
    ("bulk user", _bulk_identify({"timezone": "UTC", "created_at": "2024-01-31T09:00:00+02:00"})),
    ("object", _object({"timezone": "Europe/London", "name": "P", "custom": 5})),
    (
        "tenant",
        _tenant(
            {
                "name": "Acme",
                "settings": {
                    "branding": {"primary_color": "#FF0000", "dark_logo_url": None},
                    "preference_set": None,
                },
            }
        ),
    ),
]


@pytest.mark.parametrize(("what", "call"), VALID, ids=[c[0] for c in VALID])
def test_entities_as_the_spec_describes_them_are_stored(
    env: Env, what: str, call: Callable[[knockapi.Knock], Any]
) -> None:
    call(env.knock)
    stored = [*env.emulator.users(), *env.emulator.tenants(), *env.emulator.objects("projects")]
    assert {"u1", "t1", "p1"} & {e["id"] for e in stored}


@pytest.mark.parametrize(
    ("recipient", "field"),
    [
        ({"id": "u1", "preferences": "x"}, "recipients[0].preferences"),
        ({"id": "o1", "collection": "c", "preferences": {"a": "x"}}, "recipients[0].preferences.a"),
        ({"id": "u1", "channel_data": "x"}, "recipients[0].channel_data"),
        ({"collection": "c"}, "recipients[0].id"),
    ],
)
def test_subscribing_an_inline_recipient_checks_it_first(
    env: Env, recipient: dict[str, Any], field: str
) -> None:
    """Found by the fuzz suite: a string preference set was a 500, a string set list was dropped."""
    env.knock.objects.set("projects", "p1")
    with pytest.raises(knockapi.UnprocessableEntityError) as caught:
        env.knock.objects.add_subscriptions("projects", "p1", recipients=[recipient])
    body = caught.value.body
    assert isinstance(body, dict)
    assert (body["status"], body["code"], body["errors"][0]["field"]) == (
        422,
        "invalid_params",
        field,
    )
    assert env.emulator.subscriptions("projects", "p1") == []
    assert env.emulator.users() == []
