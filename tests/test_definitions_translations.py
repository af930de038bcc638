"""`translations/` in the Knock CLI layout feeds the `t` filter and the `{% t %}` tag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator import DefinitionError, Emulator, load_definitions

WORKFLOW = {
    "name": "Ready",
    "steps": [
        {
            "ref": "in_app_feed_1",
            "type": "channel",
            "channel_type": "in_app_feed",
            "channel_key": "in-app-feed",
            "template": {
                "markdown_body": "{% t %}Invoice {{ data.invoice_id }} is ready{% endt %} / "
                '{{ "invoice.ready" | t }} / {{ "billing:due" | t }}'
            },
        }
    ],
}


def project(root: Path) -> Path:
    (root / "workflows" / "ready").mkdir(parents=True)
    (root / "workflows" / "ready" / "workflow.json").write_text(json.dumps(WORKFLOW))
    files = {
        "en/en.json": {
            "Invoice {{ data.invoice_id }} is ready": "Invoice {{ data.invoice_id }} is ready",
            "invoice": {"ready": "Your invoice is ready"},
        },
        "de/de.json": {
            "Invoice {{ data.invoice_id }} is ready": "Rechnung {{ data.invoice_id }} ist bereit",
            "invoice": {"ready": "Ihre Rechnung"},
        },
        "en/billing.en.json": {"due": "Due soon"},
        "de/billing.de.json": {"due": "Bald fällig"},
    }
    for name, table in files.items():
        path = root / "translations" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(table))
    return root


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "Invoice inv_1 is ready / Your invoice is ready / Due soon"),
        ("de", "Rechnung inv_1 ist bereit / Ihre Rechnung / Bald fällig"),
        ("de-AT", "Rechnung inv_1 ist bereit / Ihre Rechnung / Bald fällig"),
    ],
)
def test_recipient_locale_picks_the_translation(tmp_path: Path, locale: str, text: str) -> None:
    definitions = load_definitions(project(tmp_path))
    assert sorted(definitions.translations) == ["billing.de", "billing.en", "de", "en"]
    emu = Emulator(definitions, strict=True)
    emu.identify("u1", locale=locale)
    emu.trigger("ready", ["u1"], data={"invoice_id": "inv_1"})
    assert emu.messages()[0].content["markdown_body"].strip() == text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("en/en.json", "{not json", "not valid JSON"),
        ("en/fr.json", "{}", "must be named en.json or <namespace>.en.json"),
        ("en/en.po", "msgid", "only JSON translation files are read"),
        ("en/en.json", "[1]", "must hold a JSON object"),
    ],
)
def test_bad_translation_files_are_reported(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    root = project(tmp_path)
    (root / "translations" / name).write_text(content)
    with pytest.raises(DefinitionError, match=message):
        load_definitions(root)


def test_a_default_layout_that_was_not_pulled_is_built_in(tmp_path: Path) -> None:
    email = {
        "name": "Hello",
        "steps": [
            {
                "ref": "email_1",
                "type": "channel",
                "channel_type": "email",
                "channel_key": "postmark",
                "template": {
                    "subject": "Hi",
                    "settings": {"layout_key": "default"},
                    "html_body": "<p>Hello</p>",
                },
            }
        ],
    }
    (tmp_path / "workflows" / "hello").mkdir(parents=True)
    (tmp_path / "workflows" / "hello" / "workflow.json").write_text(json.dumps(email))
    emu = Emulator(load_definitions(tmp_path), strict=True)
    emu.identify("u1", email="a@example.com")
    emu.trigger("hello", ["u1"])
    html = emu.outbox.all()[0].html or ""
    assert html.startswith("<!DOCTYPE html>")
    assert "<p>Hello</p>" in html
