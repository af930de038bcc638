"""The `"field@": "path"` convention: inline wins, 2 levels, relative paths, Knock's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.core._errors import DefinitionError, Problem
from emulator.definitions import load_definitions
from emulator.definitions._model import ChannelStep

UNIQUE = "must be a relative path string to a unique file within the directory"
EXISTS = "must be a relative path string to a file that exists"


def _email(**template: Any) -> dict[str, Any]:
    return {
        "ref": "email_1",
        "type": "channel",
        "channel_type": "email",
        "template": {"subject": "Hi", **template},
    }


def _workflow_dir(tmp_path: Path, steps: list[Any], files: dict[str, str]) -> Path:
    directory = tmp_path / "workflows" / "refs-test"
    directory.mkdir(parents=True)
    (directory / "workflow.json").write_text(json.dumps({"name": "Refs", "steps": steps}))
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    return directory


def _template(tmp_path: Path) -> dict[str, Any]:
    step = load_definitions(tmp_path).workflows["refs-test"].steps[0]
    assert isinstance(step, ChannelStep)
    return dict(step.template)


def _problems(tmp_path: Path) -> list[Problem]:
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    return info.value.problems


def test_inline_value_wins_and_the_file_is_not_read(tmp_path: Path) -> None:
    _workflow_dir(tmp_path, [_email(html_body="inline", **{"html_body@": "missing.html"})], {})
    template = _template(tmp_path)
    assert template["html_body"] == "inline"
    assert "html_body@" not in template


def test_file_content_is_inlined_raw(tmp_path: Path) -> None:
    files = {"email_1/html_body.html": "<p>{{ data.x }}</p>\n", "email_1/data.json": '{"a": 1}'}
    step = _email(**{"html_body@": "email_1/html_body.html", "json_body@": "email_1/data.json"})
    _workflow_dir(tmp_path, [step], files)
    template = _template(tmp_path)
    assert template["html_body"] == "<p>{{ data.x }}</p>\n"
    assert template["json_body"] == '{"a": 1}'  # only visual_blocks.json is decoded


def test_nested_visual_blocks_paths_are_relative_to_their_file(tmp_path: Path) -> None:
    blocks = [
        {"type": "markdown", "content@": "visual_blocks/1.content.md"},
        {"type": "html", "content": "<hr>", "content@": "visual_blocks/ignored.html"},
    ]
    files = {
        "email_1/visual_blocks.json": json.dumps(blocks),
        "email_1/visual_blocks/1.content.md": "**hello**",
    }
    _workflow_dir(tmp_path, [_email(**{"visual_blocks@": "email_1/visual_blocks.json"})], files)
    template = _template(tmp_path)
    assert template["visual_blocks"] == [
        {"type": "markdown", "content": "**hello**"},
        {"type": "html", "content": "<hr>"},
    ]


def test_visual_blocks_file_name_is_case_insensitive(tmp_path: Path) -> None:
    files = {"email_1/Visual_Blocks.JSON": json.dumps([{"type": "html", "content": "x"}])}
    _workflow_dir(tmp_path, [_email(**{"visual_blocks@": "email_1/Visual_Blocks.JSON"})], files)
    assert _template(tmp_path)["visual_blocks"] == [{"type": "html", "content": "x"}]


def test_settings_pre_content_reference(tmp_path: Path) -> None:
    step = _email(html_body="b", settings={"pre_content@": "email_1/settings/pre_content.txt"})
    _workflow_dir(tmp_path, [step], {"email_1/settings/pre_content.txt": "{% assign a = 1 %}"})
    assert _template(tmp_path)["settings"] == {"pre_content": "{% assign a = 1 %}"}


@pytest.mark.parametrize(
    ("reference", "files", "message", "fix"),
    [
        (
            "/etc/hosts",
            {},
            f"{UNIQUE} (got '/etc/hosts', which is not a relative path)",
            "write a path relative to",
        ),
        ("../outside.html", {}, f"{UNIQUE} ('../outside.html' points outside", "without `..`"),
        ("email_1/../../x.html", {}, "points outside", "without `..`"),
        ("email_1/nope.html", {}, f"{EXISTS} (", "create "),
        ("", {}, "which is not a relative path", "write a path relative to"),
        (42, {}, "(got 42, which is not a relative path)", "write a path relative to"),
    ],
)
def test_bad_reference(
    tmp_path: Path, reference: Any, files: dict[str, str], message: str, fix: str
) -> None:
    directory = _workflow_dir(tmp_path, [_email(**{"html_body@": reference})], files)
    problem = next(p for p in _problems(tmp_path) if p.path.endswith("html_body@"))
    assert problem.file.endswith("workflows/refs-test/workflow.json")
    assert problem.path == "steps[0].template.html_body@"
    assert message in problem.message
    assert fix in problem.fix
    assert directory.exists()


def test_duplicate_reference_names_the_first_use(tmp_path: Path) -> None:
    steps = [
        _email(**{"html_body@": "shared.html"}),
        {**_email(**{"html_body@": "shared.html"}), "ref": "email_2"},
    ]
    _workflow_dir(tmp_path, steps, {"shared.html": "x"})
    (problem,) = [p for p in _problems(tmp_path) if UNIQUE in p.message]
    assert problem.path == "steps[1].template.html_body@"
    assert "already referenced at steps[0].template.html_body@" in problem.message


def test_duplicate_detection_uses_the_rebased_path(tmp_path: Path) -> None:
    blocks = [{"type": "markdown", "content@": "../shared.md"}]
    steps = [_email(**{"visual_blocks@": "email_1/visual_blocks.json"})]
    steps.append({**_email(**{"html_body@": "shared.md"}), "ref": "email_2"})
    files = {"email_1/visual_blocks.json": json.dumps(blocks), "shared.md": "x"}
    _workflow_dir(tmp_path, steps, files)
    (problem,) = [p for p in _problems(tmp_path) if UNIQUE in p.message]
    assert problem.path == "steps[1].template.html_body@"


def test_missing_nested_file_names_the_visual_blocks_file(tmp_path: Path) -> None:
    blocks = [{"type": "markdown", "content@": "visual_blocks/1.content.md"}]
    files = {"email_1/visual_blocks.json": json.dumps(blocks)}
    _workflow_dir(tmp_path, [_email(**{"visual_blocks@": "email_1/visual_blocks.json"})], files)
    problem = next(p for p in _problems(tmp_path) if EXISTS in p.message)
    assert problem.file.endswith("email_1/visual_blocks.json")
    assert problem.path == "steps[0].template.visual_blocks[0].content@"
    assert "email_1/visual_blocks/1.content.md does not exist" in problem.message


def test_a_third_level_is_refused(tmp_path: Path) -> None:
    inner = [{"type": "html", "content@": "deep.html"}]
    outer = [{"type": "markdown", "content": "x", "more@": "nested/visual_blocks.json"}]
    files = {
        "email_1/visual_blocks.json": json.dumps(outer),
        "email_1/nested/visual_blocks.json": json.dumps(inner),
        "email_1/nested/deep.html": "deep",
    }
    _workflow_dir(tmp_path, [_email(**{"visual_blocks@": "email_1/visual_blocks.json"})], files)
    problem = next(p for p in _problems(tmp_path) if "deeper than 2 levels" in p.message)
    assert problem.path == "steps[0].template.visual_blocks[0].more[0].content@"


def test_invalid_visual_blocks_json(tmp_path: Path) -> None:
    files = {"email_1/visual_blocks.json": "[{"}
    _workflow_dir(tmp_path, [_email(**{"visual_blocks@": "email_1/visual_blocks.json"})], files)
    problem = next(p for p in _problems(tmp_path) if "invalid content" in p.message)
    assert problem.file.endswith("email_1/visual_blocks.json")
    assert problem.fix == "fix the JSON syntax"


def test_include_in_a_referenced_file_names_that_file(tmp_path: Path) -> None:
    files = {"email_1/html_body.html": "{% include 'footer' %}"}
    _workflow_dir(tmp_path, [_email(**{"html_body@": "email_1/html_body.html"})], files)
    (problem,) = _problems(tmp_path)
    assert problem.file.endswith("email_1/html_body.html")
    assert problem.path == "steps[0].template.html_body"
    assert "`{% include %}` is not supported" in problem.message


def test_readonly_and_schema_are_stripped_and_active_is_read(tmp_path: Path) -> None:
    directory = tmp_path / "workflows" / "paused"
    directory.mkdir(parents=True)
    workflow = {
        "$schema": "https://schemas.knock.app/cli/workflow.json",
        "__readonly": {"key": "paused", "active": False, "valid": True},
        "name": "Paused",
        "steps": [
            {
                "ref": "delay_1",
                "type": "delay",
                "settings": {"delay_for": "1h"},
                "__readonly": {"x": 1},
            }
        ],
    }
    (directory / "workflow.json").write_text(json.dumps(workflow))
    loaded = load_definitions(tmp_path).workflows["paused"]
    assert loaded.active is False


def test_yaml_references_are_relative_to_the_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "sub" / "bodies").mkdir(parents=True)
    (tmp_path / "sub" / "bodies" / "welcome.html").write_text("<p>Welcome</p>")
    (tmp_path / "sub" / "welcome.yaml").write_text(
        "name: Welcome\nsteps:\n  - ref: email_1\n    type: channel\n"
        "    template:\n      subject: Hi\n      html_body@: bodies/welcome.html\n"
    )
    step = load_definitions(tmp_path).workflows["welcome"].steps[0]
    assert isinstance(step, ChannelStep)
    assert step.template["html_body"] == "<p>Welcome</p>"


def test_yaml_reference_may_not_leave_the_yaml_directory(tmp_path: Path) -> None:
    (tmp_path / "outside.html").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "welcome.yaml").write_text(
        "name: Welcome\nsteps:\n  - ref: email_1\n    type: channel\n"
        "    template:\n      subject: Hi\n      html_body@: ../outside.html\n"
    )
    problem = next(p for p in _problems(tmp_path) if UNIQUE in p.message)
    assert problem.file.endswith("sub/welcome.yaml")
    assert problem.path == "steps[0].template.html_body@"
    assert problem.line == 7


def test_layout_and_partial_references(tmp_path: Path) -> None:
    layout = tmp_path / "layouts" / "plain"
    layout.mkdir(parents=True)
    (layout / "layout.json").write_text(
        json.dumps(
            {
                "name": "Plain",
                "html_layout@": "html_layout.html",
                "text_layout@": "text_layout.txt",
                "__readonly": {"key": "plain"},
            }
        )
    )
    (layout / "html_layout.html").write_text("<html>{{ content }}</html>")
    (layout / "text_layout.txt").write_text("{{content}}\n--")
    partial = tmp_path / "partials" / "card"
    partial.mkdir(parents=True)
    (partial / "partial.json").write_text(
        json.dumps({"name": "Card", "type": "markdown", "content@": "content.md"})
    )
    (partial / "content.md").write_text("**{{ title }}**")
    defs = load_definitions(tmp_path)
    assert defs.layouts["plain"].html_layout == "<html>{{ content }}</html>"
    assert defs.layouts["plain"].text_layout == "{{content}}\n--"
    assert defs.partials["card"].content == "**{{ title }}**"
    assert defs.partials["card"].type == "markdown"
