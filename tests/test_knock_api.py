"""The Knock-compatible API driven by the official `knockapi` SDK in strict validation mode.

Every response passes through `check_exchange`, so each body is also validated against the
OpenAPI schema of its operation (knock-api.yml) or Knock's error shape.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx
import pytest
from knockapi import Knock
from openapi_check import check_exchange

from emulator import Emulator
from emulator.http import knock_app
from emulator.http._server import ServerThread

FIXTURES = "fixtures/workflows"
INVOICE: dict[str, object] = {"invoice_id": "inv_1", "amount": "$5"}


@dataclass
class Env:
    emulator: Emulator
    knock: Knock
    http: httpx.Client  # raw client, for what the SDK cannot send (bad JSON, no auth)
    base_url: str


@contextmanager
def knock_env(
    api_keys: Collection[str] | None = None,
    max_body_bytes: int = 10 * 1024 * 1024,
    emulator: Emulator | None = None,
) -> Iterator[Env]:
    """The Knock API over `emulator` (the bundled fixtures by default): a strict SDK and a raw
    client, both spec-checked."""
    if emulator is None:
        emulator = Emulator.from_directory(FIXTURES, vars={"app_url": "https://app.test"})
    app = knock_app(emulator, api_keys=api_keys, max_body_bytes=max_body_bytes)
    hooks = {"response": [check_exchange]}
    with ExitStack() as stack:
        server = stack.enter_context(ServerThread(app))
        sdk_http = stack.enter_context(httpx.Client(event_hooks=hooks))
        raw = stack.enter_context(
            httpx.Client(
                base_url=server.base_url,
                headers={"Authorization": "Bearer sk_test"},
                event_hooks=hooks,
            )
        )
        knock = Knock(
            api_key="sk_test",
            base_url=server.base_url,
            max_retries=0,
            timeout=10.0,
            http_client=sdk_http,
            _strict_response_validation=True,
        )
        yield Env(emulator, knock, raw, server.base_url)


@pytest.fixture
def env() -> Iterator[Env]:
    with knock_env() as value:
        yield value


def test_identify_trigger_feed_seen_advance_cancel(env: Env) -> None:
    """The issue's walk-through: identify, trigger, advance the clock, read the feed, mark seen,
    cancel, all through the SDK."""
    knock, emu = env.knock, env.emulator
    user = knock.users.update("u1", email="ada@example.com", name="Ada", extra_body={"plan": "pro"})
    assert (user.id, user.email, user.plan) == ("u1", "ada@example.com", "pro")
    knock.users.update("bob", name="Bob")
    first = knock.workflows.trigger(
        "unseen-fallback",
        recipients=["u1"],
        actor="bob",
        data={"message": "hello", "message_id": "m1"},
        cancellation_key="thread-1",
    )
    second = knock.workflows.trigger(
        "unseen-fallback",
        recipients=["u1"],
        actor="bob",
        data={"message": "again", "message_id": "m2"},
        cancellation_key="thread-2",
    )
    assert first.workflow_run_id != second.workflow_run_id
    page = knock.users.feeds.list_items("u1", "in-app-feed")
    assert [(e.data or {})["message_id"] for e in page.entries] == ["m2", "m1"]  # newest first
    meta = page.meta  # type: ignore[attr-defined]
    assert meta == {
        "__typename": "FeedMetadata",
        "total_count": 2,
        "unread_count": 2,
        "unseen_count": 2,
    }
    entry = page.entries[1]
    assert entry.actors[0].id == "bob"
    assert "<strong>Bob</strong>" in entry.blocks[0].rendered  # type: ignore[union-attr]
    seen = knock.messages.mark_as_seen(entry.id)
    assert seen.engagement_statuses == ["seen"]
    assert seen.seen_at is not None
    knock.workflows.cancel("unseen-fallback", cancellation_key="thread-2")
    emu.clock.advance(minutes=10)
    # m1 was seen: its fallback email is skipped; m2's run was cancelled before sending.
    assert emu.messages(channel_type="email") == []
    statuses = {r.data["message_id"]: r.status for r in emu.runs()}
    assert statuses == {"m1": "completed", "m2": "cancelled"}
    run = knock.workflow_recipient_runs.get(emu.runs()[0].id)
    assert run.status == "completed"
    assert run.events[0].event == "message_enqueued"


def test_unseen_message_falls_back_to_email(env: Env) -> None:
    env.knock.users.update("u1", email="ada@example.com")
    env.knock.workflows.trigger(
        "unseen-fallback", recipients=["u1"], data={"message": "x", "message_id": "m"}
    )
    env.emulator.clock.advance(minutes=10)
    emails = env.knock.users.list_messages("u1", channel_id="postmark")
    assert [m.source.step_ref for m in emails.items] == ["email_1"]
    content = env.knock.messages.get_content(emails.items[0].id)
    assert content.data.subject_line == "You have an unread message"  # type: ignore[union-attr]
    assert content.data.to == "ada@example.com"  # type: ignore[union-attr]


def test_trigger_inline_recipients_tenant_and_idempotency(env: Env) -> None:
    knock = env.knock
    args = {
        "recipients": [{"id": "u9", "email": "u9@example.com", "name": "Nine"}],
        "data": INVOICE,
        "tenant": {"id": "acme", "name": "Acme"},
    }
    one = knock.workflows.trigger("invoice-created", idempotency_key="k-1", **args)  # type: ignore[arg-type]
    raw = knock.workflows.with_raw_response.trigger(
        "invoice-created",
        idempotency_key="k-1",
        **args,  # type: ignore[arg-type]
    )
    assert raw.headers["idempotent-replayed"] == "true"
    assert raw.parse().workflow_run_id == one.workflow_run_id
    assert len(env.emulator.runs()) == 1
    assert knock.users.get("u9").name == "Nine"
    assert knock.tenants.get("acme").name == "Acme"
    messages = knock.messages.list(tenant="acme")
    assert {m.tenant for m in messages.items} == {"acme"}
    assert {m.source.key for m in messages.items} == {"invoice-created"}


def test_users_get_list_delete_and_pagination(env: Env) -> None:
    knock = env.knock
    for index in range(5):
        knock.users.update(f"user_{index}", name=f"User {index}")
    first = knock.users.list(page_size=2)
    assert first.page_info is not None
    assert [u.id for u in first.entries] == ["user_0", "user_1"]
    assert first.page_info.after is not None
    assert (first.page_info.model_extra or {})["before"] is None
    everyone = [u.id for u in knock.users.list(page_size=2)]  # auto-pagination follows `after`
    assert everyone == [f"user_{i}" for i in range(5)]
    second = env.http.get("/v1/users", params={"page_size": 2, "after": first.page_info.after})
    back = knock.users.list(page_size=2, before=second.json()["page_info"]["before"])
    assert [u.id for u in back.entries] == ["user_0", "user_1"]
    with_prefs = env.http.get("/v1/users", params={"include[]": "preferences"}).json()
    assert with_prefs["entries"][0]["preferences"] == {}
    knock.users.delete("user_3")
    assert "user_3" not in [u.id for u in knock.users.list()]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("mark_as_seen", ["seen"]),
        ("mark_as_read", ["read"]),
        ("archive", ["archived"]),
        ("mark_as_interacted", ["read", "interacted"]),
    ],
)
def test_single_status_updates_and_their_undo(env: Env, action: str, expected: list[str]) -> None:
    env.knock.workflows.trigger("invoice-created", recipients=["u1"], data=INVOICE)
    message = env.knock.users.list_messages("u1", channel_id="in-app-feed").items[0]
    updated = getattr(env.knock.messages, action)(message.id)
    assert updated.engagement_statuses == expected
    undo = {
        "mark_as_seen": "mark_as_unseen",
        "mark_as_read": "mark_as_unread",
        "archive": "unarchive",
    }.get(action)
    if undo is not None:
        assert getattr(env.knock.messages, undo)(message.id).engagement_statuses == []


def test_interacted_metadata_and_batch_updates(env: Env) -> None:
    knock = env.knock
    for n in range(3):
        knock.workflows.trigger("invoice-created", recipients=["u1"], data={**INVOICE, "n": n})
    ids = [m.id for m in knock.users.list_messages("u1", channel_id="in-app-feed").items]
    interacted = knock.messages.mark_as_interacted(ids[0], metadata={"type": "cell_click"})
    assert interacted.metadata == {"type": "cell_click"}
    seen = knock.messages.batch.mark_as_seen(message_ids=ids)
    assert all("seen" in m.engagement_statuses for m in seen)
    knock.messages.batch.archive(message_ids=ids[:2])
    feed = knock.users.feeds.list_items("u1", "in-app-feed")
    assert [e.id for e in feed.entries] == ids[2:]
    assert feed.meta == {  # type: ignore[attr-defined]
        "__typename": "FeedMetadata",
        "total_count": 1,
        "unread_count": 1,
        "unseen_count": 0,
    }
    archived = knock.users.feeds.list_items("u1", "in-app-feed", archived="only")
    assert [e.id for e in archived.entries] == ids[:2]
    knock.messages.batch.unarchive(message_ids=ids[:2])
    knock.messages.batch.mark_as_read(message_ids=ids)
    assert knock.users.feeds.list_items("u1", "in-app-feed", status="unread").entries == []
    knock.messages.batch.mark_as_unread(message_ids=ids[:1])
    knock.messages.batch.mark_as_unseen(message_ids=ids[:1])
    again = knock.messages.get(ids[0])
    assert again.engagement_statuses == ["interacted"]
    knock.messages.batch.mark_as_interacted(message_ids=ids[1:])
    assert knock.messages.list(engagement_status=["interacted"]).items[0].id in ids


def test_message_list_filters_events_and_content(env: Env) -> None:
    knock = env.knock
    knock.users.update("u1", email="ada@example.com")
    knock.workflows.trigger("invoice-created", recipients=["u1"], data=INVOICE)
    knock.workflows.trigger("invoice-created", recipients=["u1"], data={**INVOICE, "n": 2})
    everything = knock.messages.list()
    assert len(everything.items) == 4
    emails = knock.messages.list(channel_id="postmark", status=["delivered"])
    assert {m.id for m in emails.items} == {
        m.id for m in env.emulator.messages(channel_type="email")
    }
    by_data = knock.messages.list(trigger_data='{"n": 2}')
    assert len(by_data.items) == 2
    in_app = knock.messages.list(channel_id="in-app-feed", engagement_status=["unseen"]).items
    content = knock.messages.get_content(in_app[0].id)
    assert content.data.blocks[0].name == "body"  # type: ignore[union-attr]
    events = knock.messages.list_events(in_app[0].id)
    assert "message.created" in [e.type for e in events.items]
    by_channel_uuid = knock.messages.list(channel_id=in_app[0].channel_id)
    assert {m.id for m in by_channel_uuid.items} == {m.id for m in in_app}
    runs = knock.workflow_recipient_runs.list(workflow="invoice-created")
    assert len(runs.items) == 2
    assert {r.status for r in runs.items} == {"completed"}


def test_feed_filters_paging_and_unknown_channel(env: Env) -> None:
    knock = env.knock
    for n in range(5):
        tenant = "acme" if n % 2 == 0 else None
        knock.workflows.trigger(
            "invoice-created", recipients=["u1"], data={**INVOICE, "n": n}, tenant=tenant
        )
    page = knock.users.feeds.list_items("u1", "in-app-feed", page_size=2)
    assert [(e.data or {})["n"] for e in page.entries] == [4, 3]
    walked = [
        (e.data or {})["n"] for e in knock.users.feeds.list_items("u1", "in-app-feed", page_size=2)
    ]
    assert walked == [4, 3, 2, 1, 0]
    acme = knock.users.feeds.list_items("u1", "in-app-feed", tenant="acme")
    assert [(e.data or {})["n"] for e in acme.entries] == [4, 2, 0]
    assert acme.meta["total_count"] == 3  # type: ignore[attr-defined]
    # A real Knock channel UUID names no channel here: every in-app message is listed.
    other = knock.users.feeds.list_items("u1", "00000000-0000-4000-8000-000000000000")
    assert len(other.entries) == 5
    assert knock.users.feeds.list_items("nobody", "in-app-feed").entries == []
    assert knock.users.feeds.list_items("u1", "in-app-feed", source="other").entries == []


def test_preferences_replace_merge_and_effect_on_triggers(env: Env) -> None:
    knock = env.knock
    knock.users.update("u1", email="ada@example.com")
    assert knock.users.get_preferences("u1", "default").channel_types is None
    knock.users.set_preferences(
        "u1", "default", channel_types={"email": False}, workflows={"x": True}
    )
    replaced = knock.users.set_preferences("u1", "default", categories={"billing": True})
    assert replaced.channel_types is None  # replace is the default strategy
    merged = knock.users.set_preferences(
        "u1", "default", channel_types={"email": False}, _persistence_strategy="merge"
    )
    assert merged.categories == {"billing": True}
    assert merged.channel_types.email is False  # type: ignore[union-attr]
    knock.workflows.trigger("invoice-created", recipients=["u1"], data=INVOICE)
    assert [m.channel_type for m in env.emulator.messages()] == ["in_app_feed"]
    listed = knock.users.list_preferences("u1")
    assert [p.id for p in listed] == ["default"]
    env.http.delete("/v1/users/u1/preferences/default").raise_for_status()
    assert knock.users.get_preferences("u1", "default").categories is None


def test_tenants_set_get_list_delete(env: Env) -> None:
    knock = env.knock
    knock.tenants.set(
        "acme",
        name="Acme",
        settings={"preference_set": {"channel_types": {"email": False}}},
    )
    merged = knock.tenants.set(
        "acme", settings={"preference_set": {"categories": {"billing": False}}}
    )
    prefs = merged.settings.preference_set  # type: ignore[union-attr]
    assert prefs.channel_types.email is False  # type: ignore[union-attr]
    assert prefs.categories == {"billing": False}  # type: ignore[union-attr]
    knock.tenants.set("globex", name="Globex", extra_body={"tier": "gold"})
    assert [t.id for t in knock.tenants.list()] == ["acme", "globex"]
    assert [t.id for t in knock.tenants.list(name="Globex")] == ["globex"]
    assert knock.tenants.get("globex").tier == "gold"
    knock.tenants.delete("globex")
    assert [t.id for t in knock.tenants.list()] == ["acme"]


def test_objects_and_subscriptions_drive_fan_out(env: Env) -> None:
    knock = env.knock
    project = knock.objects.set("projects", "p1", extra_body={"name": "Apollo"})
    assert (project.collection, project.properties) == ("projects", {"name": "Apollo"})
    knock.users.update("u1", name="Ada")
    subs = knock.objects.add_subscriptions(
        "projects", "p1", recipients=["u1", {"id": "u2", "name": "Bo"}], properties={"role": "x"}
    )
    assert [s.recipient.id for s in subs] == ["u1", "u2"]
    listed = knock.objects.list_subscriptions("projects", "p1")
    assert [s.properties for s in listed.entries] == [{"role": "x"}, {"role": "x"}]
    knock.objects.delete_subscriptions("projects", "p1", recipients=["u2"])
    knock.workflows.trigger(
        "invoice-created", recipients=[{"id": "p1", "collection": "projects"}], data=INVOICE
    )
    assert sorted(r.recipient_id for r in env.emulator.runs()) == ["p1", "u1"]
    assert knock.objects.get("projects", "p1").properties == {"name": "Apollo"}
    assert [o.id for o in knock.objects.list("projects")] == ["p1"]
    knock.objects.delete("projects", "p1")
    assert list(knock.objects.list("projects")) == []


def test_identify_over_http_resumes_a_wait_for_recipient_updated(env: Env) -> None:
    from wfbuild import in_app, workflow

    wait = {
        "ref": "wait_1",
        "type": "wait_for_event",
        "settings": {
            "event": {"event_type": "recipient", "event_key": "updated"},
            "expires_after": {"unit": "days", "value": 1},
        },
    }
    env.emulator.definitions.workflows["profile"] = workflow("profile", wait, in_app(body="ok"))
    [run] = env.emulator.trigger("profile", ["u1"]).runs
    env.knock.users.update("u1", name="Ada")
    assert run.status == "completed"
