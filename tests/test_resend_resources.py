"""Resend beyond `/emails` through the official `resend` Python SDK: domains, API keys, webhooks
(Svix-signed `email.*` events the SDK's own `Webhooks.verify` accepts), audiences and contacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import resend
import resend.exceptions as rex
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.core._clock import Clock
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendService

OK: dict[str, Any] = {
    "from": "Acme <a@acme.test>",
    "to": ["b@example.com"],
    "subject": "Hi",
    "html": "<p>x</p>",
}


class Env:
    def __init__(self, service: ResendService, base_url: str) -> None:
        self.service, self.base_url = service, base_url


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    service = ResendService(Mailbox(Clock()), api_keys={"re_sdk"})
    with ServerThread(create_resend_app(service)) as server:
        monkeypatch.setattr(resend, "api_url", server.base_url)
        monkeypatch.setattr(resend, "api_key", "re_sdk")
        yield Env(service, server.base_url)


def test_domains(env: Env) -> None:
    created = resend.Domains.create({"name": "acme.test", "region": "eu-west-1"})
    assert created["status"] == "not_started"
    assert {r["record"] for r in created["records"]} == {"SPF", "DKIM"}
    domain_id = created["id"]
    assert [d["id"] for d in resend.Domains.list()["data"]] == [domain_id]
    resend.Domains.update({"id": domain_id, "open_tracking": True, "click_tracking": True})
    assert resend.Domains.verify(domain_id)["id"] == domain_id
    got = resend.Domains.get(domain_id)
    assert (got["status"], got["open_tracking"], got["region"]) == ("verified", True, "eu-west-1")
    assert {r["status"] for r in got["records"]} == {"verified"}
    with pytest.raises(rex.ResendError, match="registered"):
        resend.Domains.create({"name": "acme.test"})
    assert resend.Domains.remove(domain_id)["deleted"] is True
    with pytest.raises(rex.ResendError, match="Domain not found"):
        resend.Domains.get(domain_id)


def test_api_keys_are_accepted_once_created(env: Env) -> None:
    created = resend.ApiKeys.create({"name": "ci", "permission": "sending_access"})
    assert created["token"].startswith("re_")
    assert [k["name"] for k in resend.ApiKeys.list()["data"]] == ["ci"]
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert httpx.get(env.base_url + "/emails", headers=headers).status_code == 200
    resend.ApiKeys.update({"id": created["id"], "name": "ci-2"})
    assert resend.ApiKeys.list()["data"][0]["name"] == "ci-2"
    resend.ApiKeys.remove(created["id"])
    assert resend.ApiKeys.list()["data"] == []


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], str]]]]:
    got: list[tuple[dict[str, str], str]] = []

    async def hook(request: Request) -> JSONResponse:
        got.append((dict(request.headers), (await request.body()).decode()))
        return JSONResponse({})

    with ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as server:
        yield server.base_url + "/hook", got


def test_webhooks_receive_signed_email_events(
    env: Env, receiver: tuple[str, list[tuple[dict[str, str], str]]]
) -> None:
    url, got = receiver
    created = resend.Webhooks.create({"endpoint": url, "events": ["email.delivered"]})
    secret = created["signing_secret"]
    hook_id = created["id"]
    assert resend.Webhooks.get(hook_id)["signing_secret"] == secret
    assert [h["endpoint"] for h in resend.Webhooks.list()["data"]] == [url]
    sent = resend.Emails.send(OK)  # type: ignore[arg-type]
    [(headers, body)] = got
    options = {
        "payload": body,
        "headers": {
            "id": headers["svix-id"],
            "timestamp": headers["svix-timestamp"],
            "signature": headers["svix-signature"],
        },
        "webhook_secret": secret,
    }
    event = resend.Webhooks.verify(options)  # type: ignore[arg-type]
    assert (event["type"], event["data"]["email_id"]) == ("email.delivered", sent["id"])
    resend.Webhooks.update({"webhook_id": hook_id, "status": "disabled"})  # type: ignore[typeddict-item]
    resend.Emails.send(OK)  # type: ignore[arg-type]
    assert len(got) == 1
    assert resend.Webhooks.remove(hook_id)["deleted"] is True


def test_a_webhook_off_this_machine_is_captured_not_sent(env: Env) -> None:
    created = resend.Webhooks.create(
        {"endpoint": "https://hooks.example.com/resend", "events": ["email.sent"]}
    )
    resend.Emails.send(OK)  # type: ignore[arg-type]
    [sender] = env.service.account.contacts.enabled_senders()
    assert [p["type"] for p in sender.sent] == ["email.sent"]
    assert created["id"] in env.service.account.contacts.webhooks


def test_audiences_segments_and_contacts(env: Env) -> None:
    """The SDK sends audience calls to `/segments` (audiences are their alias); contacts are
    global, found by id or email, and belong to any number of segments."""
    with pytest.warns(DeprecationWarning, match="Use Segments instead"):
        audience = resend.Audiences.create({"name": "Beta"})
    assert resend.Segments.get(audience["id"])["name"] == "Beta"
    contact = resend.Contacts.create(
        {"email": "ada@example.com", "first_name": "Ada", "audience_id": audience["id"]}
    )
    resend.Contacts.create({"email": "bob@example.com"})
    listed = resend.Contacts.list(audience_id=audience["id"])
    assert [c["email"] for c in listed["data"]] == ["ada@example.com"]
    assert len(resend.Contacts.list()["data"]) == 2
    resend.Contacts.update({"email": "ada@example.com", "unsubscribed": True})
    got = resend.Contacts.get(id=contact["id"])
    assert (got["first_name"], got["unsubscribed"]) == ("Ada", True)
    vip = resend.Segments.create({"name": "VIP"})
    headers = {"Authorization": "Bearer re_sdk"}
    member = f"{env.base_url}/contacts/bob@example.com/segments/{vip['id']}"
    assert httpx.post(member, headers=headers).json()["segment_id"] == vip["id"]
    bob = httpx.get(f"{env.base_url}/contacts/bob@example.com/segments", headers=headers).json()
    assert [s["name"] for s in bob["data"]] == ["VIP"]
    assert resend.Contacts.remove(email="bob@example.com")["deleted"] is True
    assert resend.Segments.remove(audience["id"])["deleted"] is True
    assert [c["email"] for c in resend.Contacts.list()["data"]] == ["ada@example.com"]
    assert [s["name"] for s in resend.Segments.list()["data"]] == ["VIP"]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/domains", {}, 422, "Missing `name` field."),
        ("/domains", {"name": "a.test", "region": "mars-1"}, 422, "must be one of"),
        ("/api-keys", {"name": 3}, 422, "must be a str"),
        ("/webhooks", {"endpoint": "ftp://x", "events": ["email.sent"]}, 422, "must be a URL"),
        ("/webhooks", {"endpoint": "http://127.0.0.1/h", "events": []}, 422, "at least one"),
        ("/contacts", {"first_name": "A"}, 422, "Missing `email` field."),
        ("/audiences", [], 422, "must be a JSON object"),
    ],
)
def test_bad_bodies_get_resends_errors(
    env: Env, path: str, body: Any, status: int, message: str
) -> None:
    response = httpx.post(
        env.base_url + path, content=json.dumps(body), headers={"Authorization": "Bearer re_sdk"}
    )
    assert response.status_code == status
    assert message in response.json()["message"]
    assert response.json()["statusCode"] == status


def test_reset_forgets_domains_webhooks_segments_and_contacts(env: Env) -> None:
    resend.Domains.create({"name": "acme.test"})
    resend.Webhooks.create({"endpoint": "http://127.0.0.1:9/h", "events": ["email.sent"]})
    resend.Segments.create({"name": "VIP"})
    resend.Contacts.create({"email": "ada@example.com"})
    env.service.clear()
    assert resend.Domains.list()["data"] == []
    assert resend.Webhooks.list()["data"] == []
    assert resend.Segments.list()["data"] == []
    assert resend.Contacts.list()["data"] == []
    resend.Emails.send(OK)  # type: ignore[arg-type]  # no webhook left to call


def test_topics_subscriptions_and_contact_properties(env: Env) -> None:
    news = resend.Topics.create({"name": "News", "default_subscription": "opt_in"})
    offers = resend.Topics.create({"name": "Offers", "default_subscription": "opt_out"})
    resend.Topics.update(offers["id"], {"visibility": "public"})
    assert resend.Topics.get(offers["id"])["visibility"] == "public"
    assert [t["name"] for t in resend.Topics.list()["data"]] == ["Offers", "News"]
    resend.Contacts.create({"email": "ada@example.com"})
    headers = {"Authorization": "Bearer re_sdk"}
    mine = f"{env.base_url}/contacts/ada@example.com/topics"
    before = {t["name"]: t["subscription"] for t in httpx.get(mine, headers=headers).json()["data"]}
    assert before == {"News": "opt_in", "Offers": "opt_out"}  # the topics' defaults
    change = {"topics": [{"id": offers["id"], "subscription": "opt_in"}]}
    assert httpx.patch(mine, json=change, headers=headers).json()["topics"] == change["topics"]
    after = {t["name"]: t["subscription"] for t in httpx.get(mine, headers=headers).json()["data"]}
    assert after == {"News": "opt_in", "Offers": "opt_in"}
    assert resend.Topics.remove(news["id"])["deleted"] is True
    plan = resend.ContactProperties.create(
        {"key": "plan", "type": "string", "fallback_value": "free"}
    )
    resend.ContactProperties.update({"id": plan["id"], "fallback_value": "trial"})
    assert resend.ContactProperties.get(plan["id"])["fallback_value"] == "trial"
    with pytest.raises(rex.ResendError, match="must be a string"):
        resend.ContactProperties.update({"id": plan["id"], "fallback_value": 3})
    assert [p["key"] for p in resend.ContactProperties.list()["data"]] == ["plan"]
    assert resend.ContactProperties.remove(plan["id"])["deleted"] is True


def test_broadcasts_go_to_a_segments_subscribed_contacts(env: Env) -> None:
    """One email per contact of the segment, through POST /emails' path (captured, webhooks);
    unsubscribed contacts and topic opt-outs are skipped; placeholders are filled per contact;
    `scheduled_at` waits for the virtual clock."""
    segment = resend.Segments.create({"name": "Beta"})
    topic = resend.Topics.create({"name": "News", "default_subscription": "opt_in"})
    for email, name, unsubscribed in [
        ("ada@example.com", "Ada", False),
        ("bob@example.com", "", False),
        ("cy@example.com", "Cy", True),
    ]:
        resend.Contacts.create(
            {
                "email": email,
                "first_name": name,
                "unsubscribed": unsubscribed,
                "segments": [segment["id"]],
            }
        )
    resend.Contacts.create({"email": "out@example.com", "segments": [segment["id"]]})
    headers = {"Authorization": "Bearer re_sdk"}
    change = {"topics": [{"id": topic["id"], "subscription": "opt_out"}]}
    httpx.patch(f"{env.base_url}/contacts/out@example.com/topics", json=change, headers=headers)
    draft = resend.Broadcasts.create(
        {
            "segment_id": segment["id"],
            "topic_id": topic["id"],
            "from": "Acme <news@acme.test>",
            "subject": "Hi {{{FIRST_NAME|there}}}",
            "html": "<p>News for {{{EMAIL}}}</p><a href='{{{RESEND_UNSUBSCRIBE_URL}}}'>x</a>",
        }
    )
    resend.Broadcasts.update({"broadcast_id": draft["id"], "name": "June"})
    resend.Broadcasts.send({"broadcast_id": draft["id"], "scheduled_at": "in 1 hour"})
    assert resend.Broadcasts.get(draft["id"])["status"] == "scheduled"
    assert env.service.sink.all() == []  # type: ignore[union-attr]
    env.service.clock.advance(hours=1)
    got = resend.Broadcasts.get(draft["id"])
    assert (got["status"], got["name"]) == ("sent", "June")
    subjects = sorted((e.to[0], e.subject) for e in env.service.sink.all())  # type: ignore[union-attr]
    assert subjects == [("ada@example.com", "Hi Ada"), ("bob@example.com", "Hi there")]
    recipients = httpx.get(f"{env.base_url}/broadcasts/{draft['id']}/recipients", headers=headers)
    assert sorted(r["email"] for r in recipients.json()["data"]) == [
        "ada@example.com",
        "bob@example.com",
    ]
    with pytest.raises(rex.ResendError, match="A sent broadcast cannot be deleted"):
        resend.Broadcasts.remove(draft["id"])


def test_receiving_lists_smtp_mail_for_a_receiving_domain(env: Env) -> None:
    """Inbound mail (captured by the SMTP server) to a domain created with receiving enabled."""
    import smtplib
    from email.message import EmailMessage

    from emulator.mail import running_smtp

    resend.Domains.create({"name": "in.acme.test", "capabilities": {"receiving": "enabled"}})
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ada@example.com", "help@in.acme.test", "?"
    message.set_content("Where is my invoice?")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    box = env.service.sink
    assert isinstance(box, Mailbox)
    with running_smtp(box) as server, smtplib.SMTP(*server.address) as client:
        client.send_message(message)
        other = EmailMessage()
        other["From"], other["To"], other["Subject"] = "a@example.com", "x@elsewhere.test", "no"
        other.set_content("not for a receiving domain")
        client.send_message(other)
    listed = resend.Emails.Receiving.list()
    [item] = listed["data"]
    assert (item["to"], item["subject"]) == (["help@in.acme.test"], "?")
    got = resend.Emails.Receiving.get(item["id"])
    assert "Where is my invoice?" in (got["text"] or "")
    [file] = resend.Emails.Receiving.Attachments.list(item["id"])["data"]
    assert (file["filename"], file["size"]) == ("a.pdf", 4)
    detail = resend.Emails.Receiving.Attachments.get(item["id"], file["id"])
    assert httpx.get(detail["download_url"]).content == b"%PDF"


def test_share_links_to_the_email_in_the_inspector(env: Env) -> None:
    sent = resend.Emails.send(OK)  # type: ignore[arg-type]
    headers = {"Authorization": "Bearer re_sdk"}
    shared = httpx.post(
        f"{env.base_url}/emails/{sent['id']}/share", json={"expires_in": "1h"}, headers=headers
    ).json()
    assert shared == {
        "object": "email",
        "id": sent["id"],
        "url": f"{env.base_url}/ui/email/{sent['id']}",
    }
    missing = httpx.post(
        f"{env.base_url}/emails/4ef9a417-02e9-4d39-ad75-9611e0fcc33c/share", headers=headers
    )
    assert missing.status_code == 404
