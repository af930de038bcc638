"""Knock's per-tenant translations (docs `multi-tenancy/per-tenant-translations.mdx`): a
tenant's keys override the base files for runs of that tenant; the rest falls back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wfbuild import in_app, make_emulator, workflow

from emulator import DefinitionError, DoorstepError, Emulator, load_config
from emulator.definitions._model import Definitions

BASE = {
    "en": {"greeting": "Hello from Knock", "order_ready": "Your order is ready."},
    "de": {"greeting": "Hallo von Knock"},
    "admin.en": {"alert": "Admin alert"},
}
BODY = (
    '{{ "greeting" | t }} / {{ "order_ready" | t }} / {{ "admin:alert" | t }} / '
    "{% t %}Thanks{% endt %}"
)


def emulator(**options: Any) -> Emulator:
    flow = workflow("greet", in_app(body=BODY))
    definitions = Definitions(workflows={"greet": flow}, translations=BASE)
    return Emulator(definitions, **options)


def body(emu: Emulator, tenant: str | None, locale: str = "en") -> str:
    emu.identify("u1", locale=locale)
    emu.trigger("greet", ["u1"], tenant=tenant)
    return str(emu.messages()[-1].content["markdown_body"]).strip()


@pytest.mark.parametrize(
    ("tenant", "locale", "expected"),
    [
        (None, "en", "Hello from Knock / Your order is ready. / Admin alert / Thanks"),
        (
            "acme-corp",
            "en",
            "Greetings from Acme Corp! / Your order is ready. / Admin alert / Danke",
        ),
        ("other", "en", "Hello from Knock / Your order is ready. / Admin alert / Thanks"),
        # translations.mdx "Locale prioritization": the tenant's default locale (rung 3) comes
        # before the base German file (rung 5), so the tenant's English greeting wins for `de`.
        (
            "acme-corp",
            "de",
            "Greetings from Acme Corp! / Your order is ready. / Admin alert / Danke",
        ),
        (
            "acme-corp",
            "en-GB",
            "Greetings from Acme Corp! / Your order is ready. / Admin alert / Danke",
        ),
    ],
)
def test_tenant_keys_win_and_the_base_fills_in(
    tenant: str | None, locale: str, expected: str
) -> None:
    emu = emulator()
    emu.set_tenant_translation("acme-corp", "en", '{"greeting": "Greetings from Acme Corp!"}')
    emu.set_tenant_translation(
        "acme-corp", "en", {"greeting": "Greetings from Acme Corp!", "Thanks": "Danke"}
    )
    assert body(emu, tenant, locale) == expected


def test_tenant_translations_work_without_base_files_and_in_namespaces() -> None:
    emu = make_emulator(workflow("greet", in_app(body='{{ "admin:alert" | t }}')))
    emu.set_tenant_translation("acme", "en", {"alert": "Acme admin alert"}, namespace="admin")
    assert body(emu, "acme") == "Acme admin alert"


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('["a"]', "must be an object"), (3, "must be an object")],
)
def test_bad_tenant_translations_say_how_to_fix(content: Any, message: str) -> None:
    with pytest.raises(DoorstepError, match=message):
        emulator().set_tenant_translation("acme", "en", content)


def test_config_file_sets_tenant_translations(tmp_path: Path) -> None:
    path = tmp_path / "doorstep.yaml"
    path.write_text("tenant_translations:\n  acme-corp:\n    en: {greeting: Hi from Acme}\n")
    emu = emulator(config=load_config(path))
    assert body(emu, "acme-corp").startswith("Hi from Acme / Your order is ready.")
    path.write_text("tenant_translations:\n  acme-corp: [en]\n")
    with pytest.raises(DefinitionError, match=r"tenant_translations\.acme-corp"):
        load_config(path)


# translations.mdx "Locale prioritization", rungs 1-6 for an `fr-BE` recipient in tenant acme-corp.
RUNGS = [
    ("tenant", "fr-BE", "tenant fr-BE"),
    ("tenant", "fr", "tenant fr"),
    ("tenant", "en", "tenant en"),
    ("base", "fr-BE", "base fr-BE"),
    ("base", "fr", "base fr"),
    ("base", "en", "base en"),
]


@pytest.mark.parametrize("rung", range(len(RUNGS)))
def test_each_rung_of_the_locale_priority(rung: int) -> None:
    """Only rungs `rung`.. hold the key: the highest of them answers."""
    base = {locale: {"k": text} for where, locale, text in RUNGS[rung:] if where == "base"}
    flow = workflow("greet", in_app(body='{{ "k" | t }}'))
    emu = Emulator(Definitions(workflows={"greet": flow}, translations=base))
    for where, locale, text in RUNGS[rung:]:
        if where == "tenant":
            emu.set_tenant_translation("acme-corp", locale, {"k": text})
    assert body(emu, "acme-corp", "fr-BE") == RUNGS[rung][2]
