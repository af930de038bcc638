"""The choices README documents where Knock's docs are silent, each pinned by a test."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from wfbuild import batch, email, in_app, make_emulator, workflow

from emulator import FetchRequest, FetchResponse


def test_batch_key_that_resolves_to_nothing_batches_by_recipient() -> None:
    emu = make_emulator(workflow("digest", batch(batch_key="topic"), in_app()))
    emu.trigger("digest", ["u1"], data={})
    emu.trigger("digest", ["u1"], data={})
    emu.run_until_idle()
    [run, _merged] = emu.runs()
    record = run.step("batch_1")
    assert record.batch is not None
    assert record.batch.total_activities == 2
    assert record.detail["batch_key_problem"] == "data.topic is not set in this run"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.mark.parametrize(
    ("windows", "status"),
    [
        # Wednesday has no entry: it sends all day.
        ([{"day": "monday", "type": "send", "from": "10:00:00", "until": "11:00:00"}], "delivered"),
        # Every day do_not_send: sent rather than held forever.
        ([{"day": d, "type": "do_not_send"} for d in WEEKDAYS], "delivered"),
        # Wednesday closed: held until Thursday 00:00.
        ([{"day": "wednesday", "type": "do_not_send"}], "queued"),
    ],
)
def test_send_window_edges(windows: list[dict[str, Any]], status: str) -> None:
    emu = make_emulator(workflow("notify", email(send_windows=windows)))
    emu.identify("u1", email="a@example.com")
    emu.trigger("notify", ["u1"])  # 2025-01-01 is a Wednesday, 09:00 UTC
    [message] = emu.messages()
    assert message.status == status
    if status == "queued":
        assert message.scheduled_at is not None
        assert message.scheduled_at.isoformat() == "2025-01-02T00:00:00+00:00"


@pytest.mark.parametrize(("confirm", "status"), [(True, "delivered"), (False, "sent")])
def test_confirm_delivery_decides_the_final_email_status(confirm: bool, status: str) -> None:
    emu = make_emulator(
        workflow("notify", email()),
        channels={"postmark": {"type": "email", "confirm_delivery": confirm}},
    )
    emu.identify("u1", email="a@example.com")
    emu.trigger("notify", ["u1"])
    assert [m.status for m in emu.messages()] == [status]


def test_fetch_signature_is_hex_hmac_of_timestamp_and_body() -> None:
    seen: list[FetchRequest] = []

    def responder(request: FetchRequest) -> FetchResponse:
        seen.append(request)
        return FetchResponse(204)

    step = {
        "ref": "fetch_1",
        "type": "http_fetch",
        "settings": {
            "method": "post",
            "url": "https://api.example.com/x",
            "body": '{"a": 1}',
            "signing_key": "s3cret",
        },
    }
    emu = make_emulator(workflow("signed", step), http_responder=responder)
    emu.trigger("signed", ["u1"])
    [request] = seen
    stamp = str(int(emu.clock.now.timestamp() * 1000))
    digest = hmac.new(b"s3cret", f'{stamp}.{{"a": 1}}'.encode(), hashlib.sha256).hexdigest()
    assert request.headers["x-knock-signature"] == f"t={stamp},s={digest}"


def test_the_in_process_outbox_keeps_every_email() -> None:
    emu = make_emulator(workflow("notify", email()))
    emu.identify("u1", email="a@example.com")
    for _ in range(520):
        emu.trigger("notify", ["u1"])
    assert len(emu.outbox) == 520
