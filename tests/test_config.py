"""The config file: vars, channels, environment preferences and start time, with clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from emulator import DefinitionError, Emulator, load_config
from emulator.definitions import knock_var

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def test_bundled_config_routes_the_fixture_email_channel() -> None:
    emu = Emulator.from_directory(FIXTURES / "workflows", config=FIXTURES / "doorstep.yaml")
    emu.identify("u1", email="ada@example.com")
    emu.trigger("invoice-created", ["u1"], data={"invoice_id": "inv_1", "amount": 3})
    [email] = emu.outbox.all()
    assert email.from_ == "Acme Billing <billing@example.com>"
    [note] = emu.messages(channel_type="in_app_feed")
    assert note.content["action_url"] == "https://app.example.com/invoices/inv_1"


def test_vars_are_json_decoded_like_knock(tmp_path: Path) -> None:
    path = tmp_path / "doorstep.yaml"
    path.write_text(
        'vars: {count: "123", flag: "true", list: \'["a"]\', code: "007", up: TRUE}\n'
        "start: 2025-06-01T08:00:00Z\n"
    )
    config = load_config(path)  # stored as given; decoded at send time (test_engine_send_scope)
    assert dict(config.vars) == {
        "count": "123",
        "flag": "true",
        "list": '["a"]',
        "code": "007",
        "up": True,
    }
    assert [knock_var(v) for v in config.vars.values()] == [123, True, ["a"], "007", True]
    assert config.start == datetime(2025, 6, 1, 8, tzinfo=UTC)
    assert Emulator(config=path).clock.now == config.start


def test_environment_preferences_and_sandboxed_channels(tmp_path: Path) -> None:
    path = tmp_path / "doorstep.yaml"
    path.write_text(
        "channels:\n  postmark: {type: email, sandbox_mode: true}\n"
        "environment_preferences:\n  channel_types: {in_app_feed: false}\n"
    )
    emu = Emulator.from_directory(FIXTURES / "workflows", config=path)
    emu.identify("u1", email="ada@example.com")
    run = emu.trigger("invoice-created", ["u1"], data={"invoice_id": "i", "amount": 1}).runs[0]
    assert "channel_types.in_app_feed" in (run.step("in_app_feed_1").skipped_because or "")
    assert [m.status for m in emu.messages()] == ["not_sent"]
    assert len(emu.outbox) == 0


@pytest.mark.parametrize(
    ("text", "path", "fix"),
    [
        ("colour: red\n", "colour", "use one of vars, channels"),
        ("vars: [1]\n", "vars", "vars: {app_url"),
        ("channels: {x: {type: fax}}\n", "channels.x.type", "email, in_app_feed"),
        ("start: tomorrow\n", "start", "2025-01-01T09:00:00Z"),
        (
            "environment_preferences: {channel_types: {email: {conditions: [{variable: data.x,"
            " operator: nope}]}}}\n",
            "environment_preferences.channel_types.email.conditions[0].operator",
            "operators are",
        ),
        ("vars: {a: [\n", "", "fix the YAML syntax"),
    ],
)
def test_bad_config_names_the_file_path_and_fix(
    tmp_path: Path, text: str, path: str, fix: str
) -> None:
    file = tmp_path / "doorstep.yaml"
    file.write_text(text)
    with pytest.raises(DefinitionError) as info:
        load_config(file)
    message = str(info.value)
    assert str(file) in message
    assert path in message
    assert fix in message


def test_serve_uses_the_bundled_config_with_the_bundled_workflows(tmp_path: Path) -> None:
    from emulator.cli._serve import ServeOptions, Service

    bundled = Service(ServeOptions(http_port=0, smtp_port=0))
    assert bundled.emulator.vars["app_url"] == "https://app.example.com"
    custom = tmp_path / "doorstep.yaml"
    custom.write_text("vars: {app_url: https://staging.example.com}\n")
    chosen = Service(ServeOptions(http_port=0, smtp_port=0, config=custom))
    assert chosen.emulator.vars["app_url"] == "https://staging.example.com"
    plain = Service(ServeOptions(http_port=0, smtp_port=0, workflows=FIXTURES / "workflows"))
    assert "app_url" not in plain.emulator.vars
