"""The `knock_api` fixture for browser clients: `pk_` keys, user tokens, and the
`enhanced_security` / `signing_key` settings (ini, environment, marker), via pytester."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import emulator.scenarios  # noqa: F401  (see test_plugin_options: import yaml's C parser once)
from emulator import SigningKey

pytest_plugins = ["pytester"]

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
KEY = SigningKey.generate()
TESTS = """
import os
import httpx
import pytest
from emulator import sign_user_token

FEED = "/v1/users/u1/feeds/in-app-feed"

def get(knock_api, token=None):
    headers = {"Authorization": f"Bearer {knock_api.public_key}"}
    if token is not None:
        headers["X-Knock-User-Token"] = token
    return httpx.get(knock_api.base_url + FEED, headers=headers)

def test_open(knock_api):
    assert get(knock_api).status_code == (401 if knock_api.enhanced_security else 200)

def test_token(knock_api):
    assert get(knock_api, knock_api.user_token("u1")).status_code == 200
    # the app's own signing finds the same key in KNOCK_SIGNING_KEY
    assert get(knock_api, sign_user_token("u1")).status_code == 200
    assert os.environ["KNOCK_SIGNING_KEY"] == knock_api.signing_key

def test_expired(knock_api):
    response = get(knock_api, knock_api.user_token("u1", expires_in=-1))
    assert response.json()["code"] == "invalid_user_token"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOORSTEP_ENHANCED_SECURITY", "DOORSTEP_SIGNING_KEY", "KNOCK_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)


def project(pytester: pytest.Pytester, ini: str = "") -> None:
    shutil.copytree(WORKFLOWS, pytester.path / "fixtures" / "workflows", dirs_exist_ok=True)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n" + ini
    )
    (pytester.path / "signing.pem").write_text(KEY.pem)


def _mode(pytester: pytest.Pytester, expected: str) -> None:
    pytester.makepyfile(
        TESTS
        + f"""
def test_mode(knock_api):
    assert knock_api.enhanced_security is {expected}
"""
    )


@pytest.mark.parametrize(
    ("ini", "env", "enhanced"),
    [
        ("", {}, False),
        ("doorstep_enhanced_security = on", {}, True),
        ("", {"DOORSTEP_ENHANCED_SECURITY": "1"}, True),
        ("doorstep_enhanced_security = on", {"DOORSTEP_ENHANCED_SECURITY": "off"}, False),
    ],
    ids=["default", "ini", "env", "env-over-ini"],
)
def test_enhanced_security_setting(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ini: str,
    env: dict[str, str],
    enhanced: bool,
) -> None:
    project(pytester, ini)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _mode(pytester, str(enhanced))
    pytester.runpytest().assert_outcomes(passed=4)


def test_the_key_from_a_file_the_environment_or_knock_signing_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester, "doorstep_enhanced_security = on\ndoorstep_signing_key = signing.pem")
    pytester.makepyfile(
        TESTS
        + f"""
def test_key(knock_api):
    assert knock_api.signing_key == {KEY.base64!r}
"""
    )
    pytester.runpytest().assert_outcomes(passed=4)
    project(pytester, "doorstep_enhanced_security = on")
    monkeypatch.setenv("DOORSTEP_SIGNING_KEY", KEY.pem)
    pytester.runpytest().assert_outcomes(passed=4)
    monkeypatch.delenv("DOORSTEP_SIGNING_KEY")
    monkeypatch.setenv("KNOCK_SIGNING_KEY", KEY.base64)  # the app's own variable
    pytester.runpytest().assert_outcomes(passed=4)


def test_the_marker_switches_one_test(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        TESTS
        + """
@pytest.mark.doorstep(enhanced_security=True, signing_key="signing.pem")
def test_marked(knock_api):
    assert knock_api.enhanced_security
    assert get(knock_api).json()["code"] == "missing_user_token"
    assert get(knock_api, knock_api.user_token("u1")).status_code == 200

def test_unmarked(knock_api):
    assert not knock_api.enhanced_security
"""
    )
    pytester.runpytest().assert_outcomes(passed=5)


@pytest.mark.parametrize(
    ("ini", "fragment"),
    [
        ("doorstep_signing_key = nope.pem", "*cannot read the signing key file*nope.pem*"),
        ("doorstep_signing_key = LS0tLS1CRUdJTi!!", "*doorstep_signing_key (ini)*does not decode*"),
        ("doorstep_enhanced_security = maybe", "*doorstep_enhanced_security (ini)='maybe'*"),
    ],
)
def test_bad_settings_name_their_source(pytester: pytest.Pytester, ini: str, fragment: str) -> None:
    project(pytester, ini)
    pytester.makepyfile(TESTS)
    result = pytester.runpytest()
    result.stderr.fnmatch_lines([fragment])
