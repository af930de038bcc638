"""Resend's request logs and OAuth grants (through the official `resend` Python SDK), domain
claims and contact imports (over HTTP: the pinned Python SDK has no calls for them; the Node
SDK test drives them too), in resend-api.yml's shapes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import resend
import resend.exceptions as rex

from emulator.core._clock import Clock
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendApiError, ResendService

AUTH = {"Authorization": "Bearer re_sdk"}
CSV = (
    "Email,First Name,Plan,Unsubscribed\n"
    "ada@example.com,Ada,pro,false\n"
    "bob@example.com,Bob,free,yes\n"
    "not-an-address,X,free,no\n"
)


class Env:
    def __init__(self, service: ResendService, base_url: str) -> None:
        self.service, self.base_url = service, base_url

    def call(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        return httpx.request(method, self.base_url + path, headers=AUTH, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    service = ResendService(Mailbox(Clock()), api_keys={"re_sdk"})
    with ServerThread(create_resend_app(service)) as server:
        monkeypatch.setattr(resend, "api_url", server.base_url)
        monkeypatch.setattr(resend, "api_key", "re_sdk")
        yield Env(service, server.base_url)


def test_every_answered_request_is_logged(env: Env) -> None:
    resend.Domains.create({"name": "acme.test"})
    with pytest.raises(rex.ResendError):
        resend.Domains.get("00000000-0000-4000-8000-000000000000")
    logs = resend.Logs.list()["data"]
    assert [(log["method"], log["endpoint"], log["response_status"]) for log in logs] == [
        ("GET", "/domains/00000000-0000-4000-8000-000000000000", 404),
        ("POST", "/domains", 201),
    ]
    assert "resend-python" in (logs[1]["user_agent"] or "")
    one = resend.Logs.get(logs[1]["id"])
    assert one["request_body"] == {"name": "acme.test"}
    assert one["response_body"]["name"] == "acme.test"
    with pytest.raises(rex.ResendError, match="Log not found"):
        resend.Logs.get("00000000-0000-4000-8000-000000000000")


def test_oauth_grants(env: Env) -> None:
    assert resend.OAuthGrants.list()["data"] == []
    grant = env.service.account.oauth_grants.grant("client_1", "Zapier", ["emails:send"])
    listed = resend.OAuthGrants.list()["data"]
    assert [(g["id"], g["client"]["name"], g["revoked_at"]) for g in listed] == [
        (grant["id"], "Zapier", None)
    ]
    revoked = resend.OAuthGrants.revoke(grant["id"])
    assert (revoked["id"], revoked["revoked_reason"]) == (grant["id"], "revoked_by_user")
    assert resend.OAuthGrants.list()["data"][0]["revoked_at"] is not None
    with pytest.raises(rex.ResendError, match="OAuth grant not found"):
        resend.OAuthGrants.revoke("nope")


def test_domain_claims(env: Env) -> None:
    first = env.call("POST", "/domains/claim", json={"name": "taken.test"})
    assert first.status_code == 201
    claim = first.json()
    assert (claim["status"], claim["record"]["type"]) == ("pending", "TXT")
    again = env.call("POST", "/domains/claim", json={"name": "taken.test"})
    assert (again.status_code, again.json()["id"]) == (200, claim["id"])
    domain = claim["domain_id"]
    assert env.call("GET", f"/domains/{domain}").json()["name"] == "taken.test"
    assert env.call("GET", f"/domains/{domain}/claim").json()["id"] == claim["id"]
    verified = env.call("POST", f"/domains/{domain}/claim/verify").json()
    assert verified["status"] == "completed"
    assert env.call("GET", f"/domains/{domain}").json()["status"] == "not_started"
    assert env.call("GET", "/domains/nope/claim").status_code == 404


def test_contact_imports(env: Env) -> None:
    segment = resend.Segments.create({"name": "imported"})["id"]
    resend.Contacts.create({"email": "bob@example.com", "first_name": "Robert"})
    column_map = (
        '{"email":"Email","first_name":"First Name","unsubscribed":"Unsubscribed",'
        '"properties":{"plan":{"column":"Plan","type":"string"}}}'
    )
    answer = env.call(
        "POST",
        "/contacts/imports",
        files={"file": ("contacts.csv", CSV, "text/csv")},
        data={"column_map": column_map, "segments": f'[{{"id":"{segment}"}}]'},
    )
    assert answer.status_code == 201, answer.text
    done = env.call("GET", f"/contacts/imports/{answer.json()['id']}").json()
    assert done["status"] == "completed"
    assert done["counts"] == {"total": 3, "created": 1, "updated": 0, "skipped": 1, "failed": 1}
    ada: dict[str, object] = dict(resend.Contacts.get(email="ada@example.com"))
    assert (ada["first_name"], ada["properties"]) == ("Ada", {"plan": "pro"})
    assert resend.Contacts.get(email="bob@example.com")["first_name"] == "Robert"  # skipped
    upsert = env.call(
        "POST",
        "/contacts/imports",
        files={"file": ("c.csv", CSV, "text/csv")},
        data={"column_map": column_map, "on_conflict": "upsert"},
    )
    assert upsert.status_code == 201
    bob = resend.Contacts.get(email="bob@example.com")
    assert (bob["first_name"], bob["unsubscribed"]) == ("Bob", True)
    listed = env.call("GET", "/contacts/imports?status=completed").json()["data"]
    assert len(listed) == 2
    refused = env.call("POST", "/contacts/imports", json={"file": "x"})
    assert (refused.status_code, refused.json()["name"]) == (422, "validation_error")


def test_log_ids_are_the_stream_the_log_draws_from_however_many_were_dropped() -> None:
    """Ids are written when read: the same ids, in the same order, as drawing each at once,
    also for logs kept after older ones dropped out and after a reseed."""
    from emulator.core import IdFactory
    from emulator.mail._resend_logs import ResendLogs

    logs = ResendLogs(Clock(), seed=3, keep=5)
    for n in range(12):
        logs.record("POST", f"/emails/{n}", 200, None, b"{}", {"id": str(n)})
    stream = IdFactory(3, kind="resend_logs")
    expected = [stream.uuid4() for _ in range(12)][-5:][::-1]  # newest first
    listed = logs.list(20, None, None)["data"]
    assert [e["id"] for e in listed] == expected
    assert [e["endpoint"] for e in listed] == [f"/emails/{n}" for n in range(11, 6, -1)]
    assert logs.get(expected[2])["response_body"] == {"id": "9"}
    logs._ids = IdFactory(4, kind="resend_logs")  # what `ResendAccount.reseed` does
    logs.record("GET", "/domains", 200, None, b"", None)
    assert logs.list(1, None, None)["data"][0]["id"] == IdFactory(4, kind="resend_logs").uuid4()
    for wrong in (expected[2].upper(), expected[2].replace("-", "_"), "nope", ""):
        with pytest.raises(ResendApiError, match="Log not found"):
            logs.get(wrong)
