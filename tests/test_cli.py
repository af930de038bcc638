"""The `doorstep` CLI: help for every command, environment twins, and `serve` as a subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from emulator.cli._main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "serve",
            [
                "--smtp-port",
                "DOORSTEP_SMTP_PORT",
                "--http-port",
                "DOORSTEP_HTTP_PORT",
                "--clock",
                "DOORSTEP_CLOCK",
                "--data-dir",
                "DOORSTEP_DATA_DIR",
                "--host",
                "DOORSTEP_HOST",
                "--workflows",
                "DOORSTEP_WORKFLOWS",
                "DOORSTEP_MAX_MESSAGES",
                "--max-runs",
                "DOORSTEP_MAX_RUNS",
                "--full-traces",
                "DOORSTEP_FULL_TRACES",
            ],
        ),
        ("validate", ["--format", "DOORSTEP_FORMAT", "--strict", "DOORSTEP_STRICT"]),
        ("run", ["SCENARIO", "--workflows", "DOORSTEP_WORKFLOWS"]),
    ],
)
def test_help_for_every_command(
    command: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for fragment in expected:
        assert fragment in text


@pytest.mark.parametrize(
    ("env", "value", "attr", "expected"),
    [
        ("DOORSTEP_HTTP_PORT", "0", "http_port", 0),
        ("DOORSTEP_SMTP_PORT", "2525", "smtp_port", 2525),
        ("DOORSTEP_HOST", "0.0.0.0", "host", "0.0.0.0"),
        ("DOORSTEP_CLOCK", "manual", "clock", "manual"),
        ("DOORSTEP_DATA_DIR", "/tmp/x", "data_dir", Path("/tmp/x")),
        ("DOORSTEP_MAX_MESSAGES", "0", "max_messages", 0),
        ("DOORSTEP_MAX_RUNS", "1000", "max_runs", 1000),
        ("DOORSTEP_FULL_TRACES", "0", "full_traces", 0),
        ("DOORSTEP_WORKFLOWS", "wf", "workflows", Path("wf")),
    ],
)
def test_environment_twins(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, attr: str, expected: object
) -> None:
    monkeypatch.setenv(env, value)
    assert getattr(build_parser().parse_args(["serve"]), attr) == expected


def test_flags_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORSTEP_HTTP_PORT", "9000")
    assert build_parser().parse_args(["serve", "--http-port", "9001"]).http_port == 9001


@pytest.mark.parametrize(
    ("env", "value", "fragment"),
    [
        ("DOORSTEP_HTTP_PORT", "eighty", "DOORSTEP_HTTP_PORT='eighty' is invalid"),
        ("DOORSTEP_SMTP_PORT", "70000", "is not a TCP port"),
        ("DOORSTEP_CLOCK", "fast", "'fast' is not one of real, manual"),
    ],
)
def test_invalid_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: str,
    value: str,
    fragment: str,
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve"])
    assert exit_info.value.code == 2
    assert fragment in capsys.readouterr().err


def test_serve_refuses_a_missing_workflow_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["serve", "--workflows", "no/such/dir", "--http-port", "0", "--smtp-port", "0"]) == 2
    )
    assert "no/such/dir does not exist; pass --workflows DIR" in capsys.readouterr().err


def _read_banner(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl+C"):
            return "".join(lines)
    raise AssertionError("serve exited before printing its banner:\n" + "".join(lines))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_subprocess_on_port_zero(tmp_path: Path, stop_signal: signal.Signals) -> None:
    env = {**os.environ, "DOORSTEP_CLOCK": "manual", "DOORSTEP_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "serve", "--http-port", "0", "--smtp-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,  # the bundled fixtures are found from the package, not the cwd
    )
    try:
        banner = _read_banner(proc)
        base = re.search(r"export KNOCK_BASE_URL=(\S+)", banner)
        smtp_port = re.search(r"export SMTP_PORT=(\d+)", banner)
        assert base, banner
        assert smtp_port, banner
        assert re.search(r"export RESEND_API_URL=http://127\.0\.0\.1:\d+", banner)
        assert "serving 3 workflows from" in banner
        clock = httpx.get(base.group(1) + "/api/clock", timeout=10).json()
        assert clock["mode"] == "manual"

        message = EmailMessage()
        message["From"] = "app@example.com"
        message["To"] = "qa@example.com"
        message["Subject"] = "hello from smtp"
        message.set_content("body")
        with smtplib.SMTP("127.0.0.1", int(smtp_port.group(1)), timeout=10) as client:
            client.send_message(message)

        listed = httpx.get(base.group(1) + "/api/v1/messages", timeout=10).json()
        assert listed["total"] == 1
        assert listed["messages"][0]["Subject"] == "hello from smtp"
    finally:
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "doorstep: stopped" in out
    assert (tmp_path / "mail.sqlite3").exists()


def test_data_dir_keeps_mail_across_restarts(tmp_path: Path) -> None:
    from emulator.cli._serve import ServeOptions, Service

    options = ServeOptions(http_port=0, smtp_port=0, clock="manual", data_dir=tmp_path)
    first = Service(options).start()
    try:
        with smtplib.SMTP("127.0.0.1", first.smtp.port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: kept\r\n\r\nbody\r\n")
    finally:
        first.stop()
    second = Service(options).start()
    try:
        body = httpx.get(f"http://127.0.0.1:{second.http.port}/api/v1/messages", timeout=10).json()
        assert [m["Subject"] for m in body["messages"]] == ["kept"]
    finally:
        second.stop()


def test_real_time_clock_follows_wall_time() -> None:
    import threading
    from datetime import timedelta

    from emulator import Clock
    from emulator.cli._serve import RealTimeTicker

    clock = Clock()
    fired = threading.Event()
    start = clock.now
    clock.call_later(timedelta(milliseconds=50), fired.set, label="soon")
    ticker = RealTimeTicker(clock, interval=0.01).start()
    try:
        assert fired.wait(10)  # fires because wall time passed, nobody advanced the clock
    finally:
        ticker.stop()
    assert clock.now - start >= timedelta(milliseconds=50)


def test_run_reports_a_scenario_that_cannot_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    assert main(["run", str(broken)]) == 1
    captured = capsys.readouterr()
    assert f"{broken}: cannot load scenario" in captured.err
    assert "0 of 1 scenarios passed" in captured.out


def test_version_of_json_help_is_not_needed() -> None:
    # `validate --format json` output is valid JSON even for an empty directory.
    import io

    out = io.StringIO()
    assert (
        main(["validate", str(ROOT / "fixtures" / "workflows"), "--format", "json"], out=out) == 0
    )
    assert json.loads(out.getvalue())["ok"] is True
