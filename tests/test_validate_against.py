"""`doorstep validate DIR --against TARGET`: what a promotion would change, per workflow (steps
added, removed, changed, templates diffed), layouts and partials by field."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator import compare_promotion
from emulator.cli._main import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "knock"
PAID = ("steps", 0, "branches", 0, "steps", 0, "branches", 0, "steps", 0)


def _edit(root: Path, key: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "workflows" / key / "workflow.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def _at(data: dict[str, Any], path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _subject(data: dict[str, Any]) -> None:
    _at(data, PAID)["template"]["subject"] = "Paid: {{ data.invoice_id }}"


def _add_step(data: dict[str, Any]) -> None:
    data["steps"].append({"ref": "delay_9", "type": "delay",
                          "settings": {"delay_for": {"unit": "minutes", "value": 5}}})  # fmt: skip


def _remove_step(data: dict[str, Any]) -> None:
    data["steps"].pop()


def _layout(root: Path) -> None:
    layout = root / "layouts" / "default" / "layout.json"
    data = json.loads(layout.read_text())
    data["name"] = "Default v2"
    layout.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda r: None, []),
        (lambda r: _edit(r, "invoice-updated", _subject),
         [("workflow", "invoice-updated", "changed", [("email_payee_paid", "changed")])]),
        (lambda r: _edit(r, "invoice-updated", _add_step),
         [("workflow", "invoice-updated", "changed", [("delay_9", "added")])]),
        (lambda r: _edit(r, "invoice-created", _remove_step),
         [("workflow", "invoice-created", "changed", [("in_app_feed_1", "removed")])]),
        (lambda r: shutil.rmtree(r / "workflows" / "unseen-fallback"),
         [("workflow", "unseen-fallback", "removed", [])]),
        (_layout, [("layout", "default", "changed", [])]),
    ],
)  # fmt: skip
def test_changes_per_resource(tmp_path: Path, make: Callable[[Path], None], expected: Any) -> None:
    source, target = tmp_path / "dev", tmp_path / "prod"
    shutil.copytree(FIXTURES, source)
    shutil.copytree(FIXTURES, target)
    make(source)
    promotion = compare_promotion(source, target)
    found = [
        (c.kind, c.key, c.change, [(s.ref, s.change) for s in c.steps]) for c in promotion.changes
    ]
    assert found == expected


def test_the_report_diffs_templates_and_json_is_one_document(tmp_path: Path) -> None:
    source, target = tmp_path / "dev", tmp_path / "prod"
    shutil.copytree(FIXTURES, source)
    shutil.copytree(FIXTURES, target)
    _edit(source, "invoice-updated", _subject)
    out = io.StringIO()
    assert main(["validate", str(source), "--against", str(target)], out=out) == 0
    text = out.getvalue()
    assert "workflow invoice-updated: changed" in text
    assert "  step email_payee_paid (email): changed" in text
    assert "      -Invoice {{ data.invoice_id }} was paid" in text
    assert "      +Paid: {{ data.invoice_id }}" in text
    out = io.StringIO()
    main(["validate", str(source), "--against", str(target), "--format", "json"], out=out)
    body = json.loads(out.getvalue())
    assert body["ok"] is True
    [change] = body["promotion"]["changes"]
    assert change["steps"][0]["fields"][0]["path"] == "template.subject"
    out = io.StringIO()
    main(["validate", str(source), "--against", str(target), "--format", "github"], out=out)
    assert "::notice title=doorstep promotion::workflow invoice-updated: changed" in out.getvalue()


def test_a_target_that_cannot_load_is_named(tmp_path: Path) -> None:
    out = io.StringIO()
    main(["validate", str(FIXTURES), "--against", str(tmp_path / "missing")], out=out)
    assert f"cannot load {tmp_path / 'missing'}" in out.getvalue()
