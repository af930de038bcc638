"""What a message's template scope holds at send time, as Knock documents it (knocklabs/docs):
`vars` JSON-decoded from every source, `vars.branding` defaults, `recipient.preferences`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from wfbuild import in_app, make_emulator, workflow

from emulator import Emulator

pytest_plugins = ["pytester"]

VARS_BODY = (
    "[{{ vars.support.email }}|{% if vars.flag == true %}on{% endif %}|{{ vars.count | plus: 1 }}"
    "|{{ vars.code }}|{{ vars.text }}|{{ vars.quoted }}]"
)
RAW_VARS = {
    "support": '{"email": "help@example.com"}',
    "flag": "true",
    "count": "41",
    "code": "007",
    "text": "plain words",
    "quoted": '"123"',
}
DECODED = "[help@example.com|on|42|007|plain words|123]"


def sent(emu: Emulator, **trigger: Any) -> str:
    emu.identify("u1")
    emu.trigger("scope", ["u1"], **trigger)
    return str(emu.messages()[-1].content["markdown_body"]).strip()


def scope_emulator(body: str, **options: Any) -> Emulator:
    return make_emulator(workflow("scope", in_app(body=body)), **options)


# Doc: content/concepts/variables.mdx / knock.md §7.1 — variables are stored as text and
# JSON-decoded at send time ("007" is not JSON, so it stays text; a JSON string decodes once).
def test_vars_from_the_constructor_are_decoded_at_send_time() -> None:
    assert sent(scope_emulator(VARS_BODY, vars=RAW_VARS)) == DECODED


def test_vars_changed_later_are_decoded_too() -> None:
    emu = scope_emulator("{{ vars.limit | plus: 1 }}|{{ vars.on }}")
    emu.vars.update(limit="9", on="false")
    assert sent(emu) == "10|false"


def test_vars_from_the_config_file_are_decoded_once(tmp_path: Path) -> None:
    config = tmp_path / "doorstep.yaml"
    config.write_text("vars:\n" + "".join(f"  {k}: '{v}'\n" for k, v in RAW_VARS.items()))
    assert sent(scope_emulator(VARS_BODY, config=config)) == DECODED


def test_vars_from_the_plugin_option_and_marker(pytester: pytest.Pytester) -> None:
    flows = pytester.mkdir("flows")
    (flows / "scope.yaml").write_text(
        "name: Scope\nsteps:\n  - ref: in_app_feed_1\n    type: channel\n"
        "    channel_type: in_app_feed\n    channel_key: in-app-feed\n    template:\n"
        "      markdown_body: '{{ vars.support.email }} {{ vars.count | plus: 1 }}'\n"
    )
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n"
        "doorstep_workflows = flows\n"
        """doorstep_vars = {support: '{"email": "ini@example.com"}', count: "1"}\n"""
    )
    pytester.makepyfile(
        """
import pytest

def body(emulator):
    emulator.identify("u1")
    emulator.trigger("scope", ["u1"])
    return emulator.messages()[-1].content["markdown_body"].strip()

def test_option(emulator):
    assert body(emulator) == "ini@example.com 2"

@pytest.mark.doorstep(vars={"support": '{"email": "marker@example.com"}', "count": "5"})
def test_marker(emulator):
    assert body(emulator) == "marker@example.com 6"
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


# Doc: content/template-editor/branding.mdx — dark_logo_url/dark_icon_url default to
# logo_url/icon_url; primary_color #000000, primary_color_contrast #FFFFFF, dark_primary_color
# #FFFFFF, dark_primary_color_contrast #000000.
BRANDING_BODY = (
    "{{ vars.branding.dark_logo_url }} {{ vars.branding.dark_icon_url }} "
    "{{ vars.branding.primary_color }} {{ vars.branding.primary_color_contrast }} "
    "{{ vars.branding.dark_primary_color }} {{ vars.branding.dark_primary_color_contrast }}"
)


@pytest.mark.parametrize(
    ("account", "tenant", "expected"),
    [
        (
            {"primary_color": "#123456", "logo_url": "https://l", "icon_url": "https://i"},
            None,
            "https://l https://i #123456 #FFFFFF #FFFFFF #000000",
        ),
        (None, None, "#000000 #FFFFFF #FFFFFF #000000"),  # (the logo urls render empty)
        (
            {"logo_url": "https://l", "dark_logo_url": "https://dark"},
            {"primary_color_contrast": "#EEEEEE", "icon_url": "https://ti"},
            "https://dark https://ti #000000 #EEEEEE #FFFFFF #000000",
        ),
    ],
)
def test_branding_defaults(
    account: dict[str, str] | None, tenant: dict[str, str] | None, expected: str
) -> None:
    emu = scope_emulator(BRANDING_BODY, vars={"branding": account} if account else None)
    if tenant is not None:
        emu.set_tenant("acme", settings={"branding": tenant})
    assert sent(emu, tenant="acme" if tenant else None) == expected


# Doc: content/template-editor/variables.mdx, Recipient: `preferences` "will contain a completely
# resolved PreferenceSet object, including tenant and environment defaults".
PREFS_BODY = (
    "{{ recipient.preferences.__typename }} {{ recipient.preferences.id }} "
    "{{ recipient.preferences.channel_types.sms }} {{ recipient.preferences.channel_types.push }} "
    "{{ recipient.preferences.categories.billing }} {{ recipient.preferences.workflows | json }}"
)


@pytest.mark.parametrize(
    ("tenant", "expected"),
    [
        (None, "PreferenceSet default true false false null"),
        ("acme", "PreferenceSet acme false false true null"),
    ],
)
def test_recipient_preferences_is_the_resolved_set(tenant: str | None, expected: str) -> None:
    emu = scope_emulator(PREFS_BODY)
    emu.set_environment_preferences({"channel_types": {"sms": False, "push": False}})
    emu.identify("u1")
    emu.set_preferences("u1", {"channel_types": {"sms": True}, "categories": {"billing": False}})
    emu.set_tenant("acme", settings={"preference_set": {"categories": {"billing": True}}})
    assert sent(emu, tenant=tenant) == expected


def test_recipient_preferences_without_any_set() -> None:
    body = "{{ recipient.preferences | json }}"
    assert json.loads(sent(scope_emulator(body))) == {
        "__typename": "PreferenceSet",
        "id": "default",
        "workflows": None,
        "categories": None,
        "channel_types": None,
        "channels": None,
        "commercial_subscribed": None,
    }
