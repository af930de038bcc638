"""Build small workflows from Knock's workflow.json shapes for engine tests."""

from __future__ import annotations

from typing import Any

from emulator import Emulator, parse_workflow
from emulator.definitions._model import Definitions


def workflow(key: str, *steps: dict[str, Any], **top: Any) -> Any:
    return parse_workflow({"name": key, "steps": list(steps), **top}, key=key, file=f"{key}.json")


def bundled_emulator() -> Emulator:
    """The shipped example workflows with two identified users, Ada (u1) and Bob (u2)."""
    from pathlib import Path

    emu = Emulator.from_directory(Path(__file__).resolve().parent.parent / "fixtures" / "workflows")
    emu.identify("u1", name="Ada", email="ada@example.com")
    emu.identify("u2", name="Bob", email="bob@example.com")
    return emu


def make_emulator(*workflows: Any, **options: Any) -> Emulator:
    return Emulator(Definitions(workflows={w.key: w for w in workflows}), **options)


def email(
    ref: str = "email_1", subject: str = "Hello {{ recipient.name }}", **extra: Any
) -> dict[str, Any]:
    return {
        "ref": ref,
        "type": "channel",
        "channel_type": "email",
        "channel_key": "postmark",
        "template": {"subject": subject, "html_body": "<p>{{ data.text }}</p>"},
        **extra,
    }


def in_app(
    ref: str = "in_app_feed_1", body: str = "{{ total_activities }} updates", **extra: Any
) -> dict[str, Any]:
    return {
        "ref": ref,
        "type": "channel",
        "channel_type": "in_app_feed",
        "channel_key": "in-app-feed",
        "template": {"markdown_body": body},
        **extra,
    }


def delay(ref: str = "delay_1", **settings: Any) -> dict[str, Any]:
    return {"ref": ref, "type": "delay", "settings": settings}


def batch(ref: str = "batch_1", **settings: Any) -> dict[str, Any]:
    settings.setdefault("batch_window", {"unit": "minutes", "value": 5})
    return {"ref": ref, "type": "batch", "settings": settings}


def cond(variable: str, operator: str, argument: Any = None) -> dict[str, Any]:
    leaf = {"variable": variable, "operator": operator}
    if argument is not None:
        leaf["argument"] = argument
    return {"all": [leaf]}
