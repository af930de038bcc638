"""`doorstep serve` for browser clients: --enhanced-security, the signing key (KNOCK_SIGNING_KEY
or --signing-key FILE), --cors-origin, their environment twins, the banner, and
`doorstep signing-key`."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import SigningKey, sign_user_token
from emulator.cli._main import build_parser, main
from emulator.cli._serve import ServeOptions, Service

KEY = SigningKey.generate()
FEED = "/v1/users/u1/feeds/in-app-feed"


@pytest.mark.parametrize(
    ("argv", "env", "attr", "expected"),
    [
        ([], {}, "enhanced_security", False),
        (["--enhanced-security"], {}, "enhanced_security", True),
        (["--enhanced-security", "off"], {}, "enhanced_security", False),
        ([], {"DOORSTEP_ENHANCED_SECURITY": "1"}, "enhanced_security", True),
        ([], {"DOORSTEP_SIGNING_KEY_FILE": "k.pem"}, "signing_key", Path("k.pem")),
        (["--signing-key", "k.pem"], {}, "signing_key", Path("k.pem")),
        ([], {}, "cors_origins", []),
        (
            ["--cors-origin", "https://a.example", "--cors-origin", "http://b:*"],
            {},
            "cors_origins",
            ["https://a.example", "http://b:*"],
        ),
        (
            [],
            {"DOORSTEP_CORS_ORIGINS": "https://a.example, http://b:3000"},
            "cors_origins",
            ["https://a.example", "http://b:3000"],
        ),
    ],
)
def test_client_options_and_their_environment_twins(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], attr: str, expected: Any
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert getattr(build_parser().parse_args(["serve", *argv]), attr) == expected


def test_help_names_the_client_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for fragment in (
        "--enhanced-security",
        "DOORSTEP_ENHANCED_SECURITY",
        "--signing-key FILE",
        "KNOCK_SIGNING_KEY",
        "--cors-origin ORIGIN",
        "DOORSTEP_CORS_ORIGINS",
    ):
        assert fragment in text


@contextmanager
def service(**options: Any) -> Iterator[Service]:
    running = Service(ServeOptions(http_port=0, smtp_port=0, clock="manual", **options)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("form", ["base64", "pem", "file"])
def test_enhanced_security_with_the_apps_key(form: str, tmp_path: Path) -> None:
    file = tmp_path / "signing.pem"
    file.write_text(KEY.pem)
    options: dict[str, Any] = {"enhanced_security": True}
    if form == "file":
        options["signing_key_file"] = file
    else:
        options["signing_key"] = KEY.base64 if form == "base64" else KEY.pem
    with service(**options) as running:
        base = f"http://127.0.0.1:{running.http.port}"
        pk = {"Authorization": "Bearer pk_test"}
        refused = httpx.get(base + FEED, headers=pk, timeout=10)
        assert (refused.status_code, refused.json()["code"]) == (401, "missing_user_token")
        token = {**pk, "X-Knock-User-Token": sign_user_token("u1", KEY)}
        assert httpx.get(base + FEED, headers=token, timeout=10).status_code == 200
        banner = running.banner()
    assert "enhanced security (user tokens verified with" in banner


@pytest.mark.parametrize(
    ("argv", "env", "fragment"),
    [
        (["--enhanced-security"], {}, "--enhanced-security needs the signing key"),
        ([], {"KNOCK_SIGNING_KEY": "hunter2"}, "KNOCK_SIGNING_KEY is neither a PEM key"),
        (["--signing-key", "no/such.pem"], {}, "cannot read the signing key file no/such.pem"),
    ],
)
def test_a_bad_or_missing_key_is_a_startup_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    fragment: str,
) -> None:
    monkeypatch.delenv("KNOCK_SIGNING_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--http-port", "0", "--smtp-port", "0", *argv]) == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "env"),
    [(["--cors-origin", "*"], {}), ([], {"DOORSTEP_CORS_ORIGINS": "https://a.example/app"})],
)
def test_a_bad_cors_origin_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", *argv])
    assert exit_info.value.code == 2
    assert "CORS origin" in capsys.readouterr().err


def test_banner_prints_both_resend_variables_and_the_browser_side() -> None:
    with service(cors_origins=("https://app.example.com",)) as running:
        banner = running.banner()
        base = f"http://127.0.0.1:{running.http.port}"
    for line in (
        f"export KNOCK_BASE_URL={base}",
        f"export RESEND_BASE_URL={base}",
        f"export RESEND_API_URL={base}",
        f"export NEXT_PUBLIC_KNOCK_HOST={base}",
        "export NEXT_PUBLIC_KNOCK_API_KEY=pk_test_doorstep",
        "export NEXT_PUBLIC_KNOCK_FEED_ID=in-app-feed",
        "CORS origins:   loopback",
        "https://app.example.com",
        "In-app feeds:   in-app-feed",
        "any pk_ key; user tokens optional",
    ):
        assert line in banner


def test_the_cors_origin_reaches_the_server() -> None:
    with service(cors_origins=("https://app.example.com",)) as running:
        asked = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
        url = f"http://127.0.0.1:{running.http.port}{FEED}"
        answer = httpx.options(url, headers=asked, timeout=10)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "https://app.example.com"


def test_signing_key_prints_a_key_that_signs_and_says_how_to_use_it() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["signing-key"], out=out, err=err) == 0
    printed = out.getvalue()
    assert printed.count("\n") == 1  # one line: $(doorstep signing-key) captures just the key
    key = SigningKey.from_text(printed, "stdout")
    assert key.verify(sign_user_token("u1", printed.strip()))["sub"] == "u1"
    assert "KNOCK_SIGNING_KEY" in err.getvalue()
    assert "--enhanced-security" in err.getvalue()
