"""One UTC timestamp formatter: every wire shape (Knock, Mailpit, Resend webhooks) uses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import format_timestamp
from emulator.mail import EmailRecord, OutgoingEmail, WebhookSender
from emulator.mail._resend_validation import ValidEmail

PARIS_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("when", "timespec", "expected"),
    [
        (datetime(2025, 1, 1, 9, 0, tzinfo=UTC), "auto", "2025-01-01T09:00:00Z"),
        (datetime(2025, 1, 1, 9, 0, 0, 123456, tzinfo=UTC), "auto", "2025-01-01T09:00:00.123456Z"),
        (datetime(2025, 1, 1, 10, 0, tzinfo=PARIS_WINTER), "auto", "2025-01-01T09:00:00Z"),
        (datetime(2025, 1, 1, 9, 0), "auto", "2025-01-01T09:00:00Z"),  # naive means UTC
        (datetime(2025, 1, 1, 9, 5, tzinfo=UTC), "milliseconds", "2025-01-01T09:05:00.000Z"),
        (
            datetime(2025, 1, 1, 9, 5, 1, 987654, tzinfo=UTC),
            "milliseconds",
            "2025-01-01T09:05:01.987Z",
        ),
        (datetime(2025, 1, 1, 0, 30, tzinfo=PARIS_WINTER), "seconds", "2024-12-31T23:30:00Z"),
        (datetime(2025, 1, 1, 9, 0, tzinfo=UTC), "microseconds", "2025-01-01T09:00:00.000000Z"),
    ],
)
def test_format_timestamp(when: datetime, timespec: Any, expected: str) -> None:
    assert format_timestamp(when, timespec=timespec) == expected


@given(
    when=st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(9000, 1, 1),
        timezones=st.sampled_from([UTC, PARIS_WINTER, timezone(-timedelta(hours=5))]),
    )
)
def test_format_timestamp_names_the_same_instant_in_utc(when: datetime) -> None:
    text = format_timestamp(when)
    assert text.endswith("Z")
    assert "+" not in text
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == when


def test_format_timestamp_refuses_an_unknown_timespec() -> None:
    with pytest.raises(ValueError, match="timespec 'hours' is not one of auto, seconds"):
        format_timestamp(datetime(2025, 1, 1, tzinfo=UTC), timespec="hours")  # type: ignore[arg-type]


def test_webhook_times_are_converted_to_utc() -> None:
    posted: list[bytes] = []
    sender = WebhookSender("http://127.0.0.1/hook", transport=lambda u, b, h: posted.append(b))
    email = OutgoingEmail("a@example.com", ["b@example.com"], "Hi", "<p>hi</p>", None)
    created = datetime(2025, 1, 1, 10, 0, 0, 250000, tzinfo=PARIS_WINTER)
    record = EmailRecord("e1", {}, ValidEmail(email, None), created, "sent")
    sender.email_event("email.delivered", record, datetime(2025, 1, 1, 10, 5, tzinfo=PARIS_WINTER))
    assert sender.sent[0]["created_at"] == "2025-01-01T09:05:00.000Z"
    assert sender.sent[0]["data"]["created_at"] == "2025-01-01T09:00:00.250Z"
