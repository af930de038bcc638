"""Fixtures through pytester: emulator, clock, outbox, frozen_clock, servers, snapshots, async."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

# Imported up front: pytester's in-process runs drop modules first imported inside them, and
# libyaml's C parser cannot be imported twice (nodes of the old yaml would not match).
import emulator.scenarios  # noqa: F401

pytest_plugins = ["pytester"]

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
INI = """[pytest]
asyncio_default_fixture_loop_scope = function
addopts = -p no:benchmark
doorstep_vars = {app_url: "https://app.example.com"}
"""
CONFTEST = """
import pytest

@pytest.fixture
def emu(emulator):
    emulator.identify("u1", name="Ada", email="ada@example.com")
    return emulator

def created(emu, invoice="inv_1"):
    data = {"invoice_id": invoice, "amount": "$5"}
    return emu.trigger("invoice-created", ["u1"], data=data).runs[0]
"""


def project(pytester: pytest.Pytester, ini: str = "") -> None:
    shutil.copytree(WORKFLOWS, pytester.path / "fixtures" / "workflows")
    pytester.makeini(INI + ini)
    pytester.makeconftest(CONFTEST)


def test_emulator_is_fresh_per_test_and_shares_parsed_definitions(
    pytester: pytest.Pytester,
) -> None:
    project(pytester)
    pytester.makepyfile(
        """
from conftest import created
SEEN = []

def test_one(emu):
    created(emu)
    assert len(emu.outbox) == 1
    SEEN.append((emu, emu.definitions))

def test_two(emu):
    assert emu.messages() == [] and len(emu.outbox) == 0
    first, definitions = SEEN[0]
    assert emu is not first and emu.definitions is definitions
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_clock_and_outbox_are_the_emulators(pytester: pytest.Pytester) -> None:
    project(pytester, "doorstep_start = 2025-03-01T12:00:00Z\n")
    pytester.makepyfile(
        """
from conftest import created

def test_it(emu, clock, outbox):
    assert clock is emu.clock and outbox is emu.outbox
    assert clock.now.isoformat() == "2025-03-01T12:00:00+00:00"
    created(emu)
    clock.advance(minutes=5)
    email = outbox.filter(to="ada@example.com").latest()
    assert email.subject == "Invoice inv_1 created"
    assert email.received_at.isoformat() == "2025-03-01T12:00:00+00:00"
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_frozen_clock_shows_virtual_time_to_application_code(pytester: pytest.Pytester) -> None:
    project(pytester, "doorstep_start = 2031-05-06T07:08:09Z\n")
    pytester.makepyfile(
        """
from datetime import datetime, timedelta, timezone
import time

REAL = datetime.now(timezone.utc)  # read at import, before any fixture freezes time

def app_now():
    return datetime.now(timezone.utc)

def test_it(frozen_clock):
    assert app_now() == frozen_clock.now
    frozen_clock.advance(hours=2)
    assert app_now().isoformat() == "2031-05-06T09:08:09+00:00"
    assert int(time.time()) == int(frozen_clock.now.timestamp())

def test_released_afterwards():
    assert abs(datetime.now(timezone.utc) - REAL) < timedelta(minutes=5)
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_async_tests_use_the_fixtures(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        """
import asyncio
import pytest
from conftest import created
from pytest_plugin import assert_one_email

@pytest.mark.asyncio
async def test_it(emu, clock):
    await asyncio.sleep(0)
    created(emu)
    await asyncio.to_thread(emu.outbox.wait_for, timeout=1, to="ada@example.com")
    assert_one_email(emu, subject="Invoice inv_1 created")
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_smtp_server_is_shared_and_isolated_per_test(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        """
import smtplib
from email.message import EmailMessage
PORTS = []

def send(server, to, subject):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "app@example.com", to, subject
    msg.set_content("hello")
    with smtplib.SMTP(server.host, server.port) as client:
        client.send_message(msg)

def test_one(smtp_server):
    assert smtp_server.port != 0
    send(smtp_server, "a@example.com", "first")
    assert [e.subject for e in smtp_server.outbox.all()] == ["first"]
    PORTS.append(smtp_server.port)

def test_two(smtp_server):
    send(smtp_server, "b@example.com", "second")
    assert [e.subject for e in smtp_server.outbox.all()] == ["second"]
    assert smtp_server.port == PORTS[0]
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_resend_server_with_the_official_sdk(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        """
import os
import resend

def test_one(resend_server):
    assert os.environ["RESEND_API_URL"] == resend_server.base_url
    sent = resend.Emails.send({"from": "app@example.com", "to": ["x@example.com"],
                               "subject": "via sdk", "html": "<p>hi</p>"})
    email = resend_server.outbox.get(sent["id"])
    assert email.subject == "via sdk" and email.way_in == "resend"

def test_two(resend_server):
    assert len(resend_server.outbox) == 0
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize(("provider", "way_in"), [("smtp", "smtp"), ("resend", "resend")])
def test_email_provider_option_sends_through_the_session_server(
    pytester: pytest.Pytester, provider: str, way_in: str
) -> None:
    project(pytester, f"doorstep_email_provider = {provider}\n")
    pytester.makepyfile(
        f"""
from conftest import created
from pytest_plugin import assert_one_email

def test_it(emu, outbox):
    created(emu)
    email = assert_one_email(outbox, to="ada@example.com", subject="Invoice inv_1 created")
    assert email.way_in == "{way_in}"
    assert email.workflow_key == "invoice-created"
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_message_snapshot_writes_then_compares(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester)
    pytester.makepyfile(
        """
import os
from conftest import created

def test_it(emu, message_snapshot):
    created(emu, invoice=os.environ.get("INVOICE", "inv_1"))
    message_snapshot(emu.outbox.latest())
    message_snapshot(emu.messages(channel_type="in_app_feed")[0])
"""
    )
    pytester.runpytest("--snapshot-update").assert_outcomes(passed=1)
    stored = next(pytester.path.glob("__snapshots__/*.ambr")).read_text()
    assert "Invoice inv_1 created" in stored
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", stored)
    assert "X-Doorstep-Run-Id" not in stored
    assert "Message-ID" not in stored
    pytester.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("INVOICE", "inv_2")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Invoice inv_2 created*"])


def test_knock_api_serves_the_tests_emulator_to_the_official_sdk(
    pytester: pytest.Pytester,
) -> None:
    project(pytester)
    pytester.makepyfile(
        """
import os
from knockapi import Knock
from pytest_plugin import assert_one_email

def test_one(emu, knock_api):
    knock = knock_api.client()
    knock.workflows.trigger("invoice-created", recipients=["u1"],
                            data={"invoice_id": "inv_7", "amount": "$3"})
    assert_one_email(emu, to="ada@example.com", subject="Invoice inv_7 created")

def test_two(emulator, knock_api):
    assert os.environ["KNOCK_BASE_URL"] == knock_api.base_url
    Knock(max_retries=0, base_url=os.environ["KNOCK_BASE_URL"]).users.update("u9", name="Zed")
    assert emulator.user("u9")["name"] == "Zed"
    assert emulator.messages() == []
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)
