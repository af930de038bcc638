"""Resend templates and suppressions through the official `resend` Python SDK: a template sends
only once published (its published version, while a newer draft waits), variables filled from
the send or their fallback; a suppressed address is not delivered (`last_event` `suppressed`,
`email.suppressed` to the webhooks), as Resend documents (dashboard/templates, changelog
"Email Suppressions", webhooks/event-types)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import resend
import resend.exceptions as rex

from emulator.core._clock import Clock
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendService, WebhookSender

SENDER = "Shop <orders@acme.test>"
ORDER: dict[str, Any] = {
    "name": "order-confirmation",
    "alias": "order",
    "from": SENDER,
    "subject": "Your {{{PRODUCT}}}",
    "html": "<p>{{{PRODUCT}}} costs {{{PRICE}}}</p>",
    "variables": [
        {"key": "PRODUCT", "type": "string"},
        {"key": "PRICE", "type": "number", "fallback_value": 25},
    ],
}


class Env:
    def __init__(self, box: Mailbox, service: ResendService, hook: WebhookSender) -> None:
        self.box, self.service, self.hook = box, service, hook


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    box = Mailbox(Clock())
    hook = WebhookSender("http://hook.test/", transport=lambda *a: None)
    service = ResendService(box, api_keys={"re_sdk"}, webhooks=hook)
    with ServerThread(create_resend_app(service)) as server:
        monkeypatch.setattr(resend, "api_url", server.base_url)
        monkeypatch.setattr(resend, "api_key", "re_sdk")
        yield Env(box, service, hook)


def send_order(**variables: Any) -> str:
    email = {"to": ["ada@example.com"], "template": {"id": "order", "variables": variables}}
    return str(resend.Emails.send(email)["id"])  # type: ignore[arg-type]


def test_template_lifecycle(env: Env) -> None:
    created = resend.Templates.create(ORDER)  # type: ignore[arg-type]
    template_id = created["id"]
    got: dict[str, Any] = dict(resend.Templates.get("order"))
    assert (got["id"], got["status"], got["published_at"]) == (template_id, "draft", None)
    assert [v["key"] for v in got["variables"]] == ["PRODUCT", "PRICE"]
    with pytest.raises(rex.ResendError, match="not published"):
        send_order(PRODUCT="Mac")
    resend.Templates.publish(template_id)
    email_id = send_order(PRODUCT="Mac")
    mail = env.box.get(email_id)
    assert (mail.subject, mail.html, mail.from_) == ("Your Mac", "<p>Mac costs 25</p>", SENDER)
    resend.Templates.update({"id": template_id, "subject": "Changed {{{PRODUCT}}}"})
    got = dict(resend.Templates.get(template_id))
    assert (got["status"], got["has_unpublished_versions"]) == ("published", True)
    assert env.box.get(send_order(PRODUCT="Mac", PRICE=9)).subject == "Your Mac"  # published
    resend.Templates.publish("order")
    assert env.box.get(send_order(PRODUCT="Mac")).subject == "Changed Mac"
    copy = resend.Templates.duplicate(template_id)["id"]
    listed = resend.Templates.list()["data"]
    assert [(t["id"], t["status"]) for t in listed] == [(copy, "draft"), (template_id, "published")]
    assert resend.Templates.get(copy)["name"] == "order-confirmation (Copy)"
    assert resend.Templates.remove("order")["deleted"] is True
    with pytest.raises(rex.ResendError, match="Template not found"):
        resend.Templates.get(template_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"html": "<p>{{{NAME}}}</p>"}, "Variable 'NAME' is used in the template but not defined"),
        ({"variables": [{"key": "EMAIL", "type": "string"}]}, "`EMAIL` is reserved"),
        ({"variables": [{"key": "X", "type": "date"}]}, "type must be one of"),
        ({"name": None}, "Missing `name` field"),
        ({"html": 5}, "`html` field must be a str"),
    ],
)
def test_template_checks(env: Env, change: dict[str, Any], message: str) -> None:
    body = {k: v for k, v in {**ORDER, **change}.items() if v is not None}
    with pytest.raises(rex.ResendError, match=message):
        resend.Templates.create(body)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ({"id": "order", "variables": {}}, "Missing value for the template variable `PRODUCT`"),
        ({"id": "nope"}, "Template not found"),
        ({"variables": {}}, "Missing `id` field"),
    ],
)
def test_sending_with_a_template_checks(env: Env, template: dict[str, Any], message: str) -> None:
    resend.Templates.publish(resend.Templates.create(ORDER)["id"])  # type: ignore[arg-type]
    with pytest.raises(rex.ResendError, match=message):
        resend.Emails.send({"to": ["a@example.com"], "template": template})  # type: ignore[typeddict-item]
    with pytest.raises(rex.ResendError, match="cannot be used together"):
        resend.Emails.send({"to": "a@x.test", "html": "<p/>", "template": {"id": "order"}})


def test_suppressions(env: Env) -> None:
    added = resend.Suppressions.add({"email": "Gone@Example.com"})
    got = resend.Suppressions.get("gone@example.com")
    assert (got["id"], got["origin"], got["email"]) == (added["id"], "manual", "gone@example.com")
    batch = resend.Suppressions.Batch.add({"emails": ["b@example.com", "c@example.com"]})
    assert len(batch["data"]) == 2
    assert [s["email"] for s in resend.Suppressions.list()["data"]] == [
        "c@example.com",
        "b@example.com",
        "gone@example.com",
    ]
    assert resend.Suppressions.list({"origin": "bounce"})["data"] == []
    removed = resend.Suppressions.Batch.remove({"emails": ["c@example.com", "x@example.com"]})
    assert [r["deleted"] for r in removed["data"]] == [True, False]
    assert resend.Suppressions.remove(batch["data"][0]["id"])["deleted"] is True
    with pytest.raises(rex.ResendError, match="Suppression not found"):
        resend.Suppressions.get("b@example.com")


def test_a_suppressed_address_is_not_delivered(env: Env) -> None:
    resend.Suppressions.add({"email": "gone@example.com"})
    email = {"from": SENDER, "subject": "Hi", "html": "<p>hi</p>"}
    alone = resend.Emails.send({**email, "to": "Gone <GONE@example.com>"})["id"]  # type: ignore[typeddict-item]
    assert resend.Emails.get(alone)["last_event"] == "suppressed"
    assert alone not in [m.id for m in env.box]
    assert [e["type"] for e in env.hook.sent[-1:]] == ["email.suppressed"]
    both = resend.Emails.send({**email, "to": ["gone@example.com", "ada@example.com"]})["id"]  # type: ignore[typeddict-item]
    assert env.box.get(both).to == ["ada@example.com"]
    resend.Suppressions.remove("gone@example.com")
    again = resend.Emails.send({**email, "to": "gone@example.com"})["id"]  # type: ignore[typeddict-item]
    assert resend.Emails.get(again)["last_event"] == "delivered"
