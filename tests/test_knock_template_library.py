"""Knock's own template library (github.com/knocklabs/templates, MIT, vendored unchanged under
tests/data/knock-templates with its LICENSE): 20 workflows, 9 partials and 4 guides in the Knock
CLI layout, tried as a user would: `doorstep validate`, then every workflow triggered (strict).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator import Emulator, validate

LIBRARY = Path(__file__).parent / "data" / "knock-templates"
WORKFLOWS = sorted(p.name for p in (LIBRARY / "workflows").iterdir() if p.is_dir())

PAGE = {"page_id": "p1", "page_name": "Roadmap"}
# What each workflow's templates and conditions read, as an app would send it.
PAYLOADS: dict[str, dict[str, Any]] = {
    "alert-digest": {"event": "cpu.high", "alert": {"title": "CPU high"}},
    "alerts": {
        "event": "cpu.high",
        "alert": {"events": ["event"], "channels": ["email", "in-app", "sms"], "batchWindow": None},
    },
    "comments": {**PAGE, "comment_body": "Looks good"},
    "email-verification": {"verification_url": "https://app.example.com/verify/t"},
    "first-milestone": {"milestone": {"name": "First deploy", "url": "https://app.example.com/m"}},
    "incident-escalation": {
        "incident": {
            "title": "API down",
            "description": "5xx everywhere",
            "severity": "critical",
            "url": "https://status.example.com/i/1",
        }
    },
    "invite-with-reminder": {
        "account_name": "Acme",
        "invite_token": "tok",
        "invite_token_url": "https://app.example.com/invite/tok",
    },
    "magic-link": {"magic_link_url": "https://app.example.com/magic/tok"},
    "mentions": {**PAGE, "mention_body": "@ada look"},
    "onboarding-incomplete-reminder": {
        "onboarding_step": "Connect a repo",
        "onboarding_url": "https://app.example.com/onboarding",
    },
    "password-changed": {},
    "referral-accepted": {"account_slug": "acme"},
    "referral-converted": {"conversion_action": "upgraded"},
    "referral-reward-earned": {
        "reward": {"amount": "$20", "type": "credit", "url": "https://app.example.com/rewards"}
    },
    "referral-sent": {"referral_token": "ref1"},
    "replies": {**PAGE, "reply_body": "Agreed", "parent_comment_body": "Ship it?"},
    "reset-password": {"reset_password_url": "https://app.example.com/reset/tok"},
    "trial-ending": {
        "plan_name": "Pro",
        "trial_end_date": "2025-01-31",
        "upgrade_url": "https://app.example.com/upgrade",
    },
    "usage-threshold-alerts": {
        "threshold": {
            "metric_name": "API calls",
            "percent": 90,
            "severity": "critical",
            "channels": ["email", "sms"],
        }
    },
    "welcome-messages": {},
}


def test_the_library_is_vendored_whole_with_its_licence() -> None:
    assert "MIT License" in (LIBRARY / "LICENSE").read_text()
    assert len(WORKFLOWS) == 20 == len(PAYLOADS)
    assert len(list((LIBRARY / "partials").iterdir())) == 9
    assert len(list((LIBRARY / "guides").iterdir())) == 4


def test_validate_passes_with_hints_only() -> None:
    """Knock's templates write trigger data unprefixed (`{{ page_name }}`); Doorstep renders it,
    so validate must not warn that it renders empty (at most a hint to prefer `data.`)."""
    report = validate(LIBRARY)
    assert (report.workflows, report.partials) == (20, 9)
    assert report.errors == []
    assert report.warnings == []
    assert {f.severity for f in report.findings} <= {"hint"}
    assert not any("renders empty" in f.message for f in report.findings)


@pytest.fixture(scope="module")
def library() -> Emulator:
    return Emulator.from_directory(LIBRARY)


# The one template that reads what Knock's batch rule removes (see the last test): not strict.
EMPTY_IN_KNOCK = {"alert-digest": "data.digest"}


@pytest.mark.parametrize("key", WORKFLOWS)
def test_every_workflow_runs_and_sends_in_strict_mode(library: Emulator, key: str) -> None:
    strict = key not in EMPTY_IN_KNOCK
    app = {"app_url": "https://app.example.com"}
    emu = Emulator(library.definitions, strict=strict, vars=app)
    emu.identify(
        "u1",
        name="Ada",
        email="ada@example.com",
        phone_number="+15555550100",
        channel_data={"apns": {"tokens": ["device-token"]}},
    )
    emu.trigger(key, ["u1"], actor="u1", data=PAYLOADS[key])
    emu.advance(days=30)  # past every delay and batch window
    runs = emu.runs(workflow=key)
    assert [r.status for r in runs] == ["completed"], [r.ended_because for r in runs]
    messages = emu.messages()
    assert messages, f"{key} sent nothing"
    for message in messages:
        names = {d.name for d in message.diagnostics}
        assert names <= {EMPTY_IN_KNOCK.get(key)}, (message.step_ref, message.diagnostics)
        assert json.dumps(message.content)  # rendered content, nothing left unrenderable


def test_alert_digest_reads_the_period_only_through_activities(library: Emulator) -> None:
    """After a batch Knock removes nested `data` (batch-function.mdx, "The `data` payload"), so
    the library's `{{ data.digest.period }}` renders empty, as in Knock (engine/steps/_batch)."""
    emu = Emulator(library.definitions, vars={"app_url": "https://app.example.com"})
    emu.identify("u1", email="ada@example.com")
    emu.trigger("alert-digest", ["u1"], data={"digest": {"period": "weekly"}, "event": "e"})
    emu.advance(days=2)
    feed = next(m for m in emu.messages() if m.channel_type == "in_app_feed")
    assert "in your  digest" in str(feed.content["markdown_body"])
    assert [d.name for d in feed.diagnostics] == ["data.digest"]
