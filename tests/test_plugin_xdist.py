"""A sample suite under pytest-xdist: per-worker servers, fresh emulators, scenario files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# Imported up front: pytester's in-process runs drop modules first imported inside them, and
# libyaml's C parser cannot be imported twice (nodes of the old yaml would not match).
import emulator.scenarios  # noqa: F401

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SUITE = """
import os, smtplib
from email.message import EmailMessage
import pytest
from pytest_plugin import assert_one_email, assert_path

@pytest.mark.parametrize("n", range(6))
def test_emulator(emulator, n):
    emulator.identify("u1", name="Ada", email="ada@example.com")
    emulator.trigger("invoice-created", ["u1"], data={"invoice_id": f"inv_{n}", "amount": "$1"})
    assert_one_email(emulator, subject=f"Invoice inv_{n} created")
    assert_path(emulator.runs()[0], ["email_1", "in_app_feed_1"])

@pytest.mark.parametrize("n", range(6))
def test_smtp(smtp_server, worker_id, n):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", f"{worker_id} {n}"
    msg.set_content("x")
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
        client.send_message(msg)
    assert smtp_server.outbox.all().subjects == [f"{worker_id} {n}"]
    print("PORT", worker_id, smtp_server.port)
"""


def test_sample_suite_under_xdist(pytester: pytest.Pytester) -> None:
    shutil.copytree(ROOT / "fixtures" / "workflows", pytester.path / "fixtures" / "workflows")
    for example in (ROOT / "fixtures" / "scenarios").glob("*.scenario.yaml"):
        text = example.read_text().replace("workflows: ../workflows\n", "")
        (pytester.path / example.name).write_text(text)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        'doorstep_vars = {app_url: "https://app.example.com"}\n'
    )
    pytester.makepyfile(test_sample=SUITE)
    result = pytester.runpytest("-n", "2", "-p", "no:randomly", "-p", "no:benchmark")
    scenarios = len(list((ROOT / "fixtures" / "scenarios").glob("*.scenario.yaml")))
    result.assert_outcomes(passed=12 + scenarios)
    result.stdout.fnmatch_lines(["*2 workers*"])
