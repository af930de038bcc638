"""`GET /emails/metrics` through the official `resend` Python SDK: counts of what the fake API
sent (delivered, suppressed), totals and breakdowns by period, domain and email, and Resend's
422s for parameters it refuses (resend-api.yml, emails/metrics)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import resend
import resend.exceptions as rex

from emulator.core._clock import Clock
from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendService

AUTH = {"Authorization": "Bearer re_sdk"}
EMAIL: dict[str, Any] = {"from": "A <a@acme.test>", "subject": "Hi", "html": "<p>x</p>"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    service = ResendService(Mailbox(clock), api_keys={"re_sdk"})
    with ServerThread(create_resend_app(service)) as server:
        monkeypatch.setattr(resend, "api_url", server.base_url)
        monkeypatch.setattr(resend, "api_key", "re_sdk")
        yield clock


def test_counts_what_was_sent(clock: Clock) -> None:
    domain = resend.Domains.create({"name": "acme.test"})["id"]
    resend.Suppressions.add({"email": "gone@example.com"})
    first = resend.Emails.send({**EMAIL, "to": "ada@example.com"})["id"]  # type: ignore[typeddict-item]
    clock.advance(days=1)
    resend.Emails.send({**EMAIL, "to": "gone@example.com"})  # type: ignore[typeddict-item]
    resend.Emails.send({**EMAIL, "to": "bob@example.com"})  # type: ignore[typeddict-item]
    totals = resend.Emails.metrics()["totals"]
    assert (totals["sent"], totals["delivered"], totals["suppressed"]) == (2, 2, 1)
    assert (totals["delivery_rate"], totals["opened"]) == (1, 0)
    by_day = resend.Emails.metrics(
        {"dimensions": ["period", "domain"], "metrics": ["delivered", "suppressed"]}
    )
    rows = [(r["period"], r["domain_id"], r["delivered"], r["suppressed"]) for r in by_day["data"]]
    assert rows == [
        ("2026-03-02T00:00:00+00:00", domain, 1, 0),
        ("2026-03-03T00:00:00+00:00", domain, 1, 1),
    ]
    one = resend.Emails.metrics({"email_id": [first], "dimensions": ["email"]})
    assert [(r["email_id"], r["sent"]) for r in one["data"]] == [(first, 1)]
    earlier = resend.Emails.metrics({"end_date": "2026-03-01"})
    assert earlier["totals"]["sent"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"granularity": "yearly"}, "granularity"),
        ({"start_date": "2026-03-05", "end_date": "2026-03-01"}, "on or before"),
        ({"start_date": "yesterday"}, "ISO 8601"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
    ],
)
def test_refused_parameters(clock: Clock, params: dict[str, Any], message: str) -> None:
    with pytest.raises(rex.ResendError, match=message) as info:
        resend.Emails.metrics(params)  # type: ignore[arg-type]
    assert info.value.code == 422


@pytest.mark.parametrize(
    "query", ["dimensions=email,broadcast", "dimensions=email&broadcast_id=x", "metrics=sent,nope"]
)
def test_refused_combinations(clock: Clock, query: str) -> None:
    """What the SDK refuses before sending, the API refuses too (for other clients)."""
    answer = httpx.get(f"{resend.api_url}/emails/metrics?{query}", headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["name"] == "validation_error"
