"""One table row per validation rule: the broken input, and the file, JSON path, message and fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emulator.core._errors import DefinitionError, Problem
from emulator.definitions import load_definitions

EMAIL: dict[str, Any] = {
    "ref": "email_1",
    "type": "channel",
    "channel_type": "email",
    "template": {"subject": "Hi", "html_body": "<p>Hi</p>"},
}
FEED: dict[str, Any] = {
    "ref": "in_app_feed_1",
    "type": "channel",
    "channel_type": "in_app_feed",
    "template": {"markdown_body": "Hi"},
}
COND = {"all": [{"variable": "data.x", "operator": "equal_to", "argument": "1"}]}


def _branch(*branches: dict[str, Any], ref: str = "branch_1") -> dict[str, Any]:
    return {"ref": ref, "type": "branch", "branches": list(branches)}


def _arm(name: str, steps: list[Any] | None = None, conditions: Any = None) -> dict[str, Any]:
    return {"name": name, "conditions": conditions, "steps": steps or []}


def _batch(**settings: Any) -> dict[str, Any]:
    return {"ref": "batch_1", "type": "batch", "settings": settings}


def _nested(depth: int) -> dict[str, Any]:
    step: dict[str, Any] = dict(FEED)
    for level in range(depth, 0, -1):
        step = _branch(_arm("If", [step], COND), _arm("Else"), ref=f"branch_{level}")
    return step


def _write(tmp_path: Path, key: str, workflow: dict[str, Any]) -> Path:
    directory = tmp_path / "workflows" / key
    directory.mkdir(parents=True)
    (directory / "workflow.json").write_text(json.dumps(workflow))
    return directory / "workflow.json"


def _problems(tmp_path: Path, steps: list[Any], key: str = "broken", **top: Any) -> list[Problem]:
    _write(tmp_path, key, {"name": "Broken", "steps": steps, **top})
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    return info.value.problems


# (id, steps, JSON path, words in the message, words in the fix)
CASES: list[tuple[str, list[Any], str, str, str]] = [
    (
        "type-fetch",
        [{"ref": "f", "type": "fetch"}],
        "steps[0].type",
        "unknown step type 'fetch'",
        "did you mean `http_fetch`",
    ),
    (
        "type-typo",
        [{"ref": "d", "type": "dealy"}],
        "steps[0].type",
        "unknown step type 'dealy'",
        "did you mean `delay`",
    ),
    (
        "type-email",
        [{"ref": "e", "type": "email"}],
        "steps[0].type",
        "unknown step type 'email'",
        "`type: channel` with `channel_type: email`",
    ),
    ("type-missing", [{"ref": "x"}], "steps[0].type", "unknown step type None", "add `type`"),
    (
        "duplicate-ref-nested",
        [EMAIL, _branch(_arm("A", [EMAIL], COND), _arm("B"))],
        "steps[1].branches[0].steps[0].ref",
        "ref `email_1` is used twice (first at steps[0])",
        "unique across the whole workflow",
    ),
    (
        "duration-unit",
        [
            {
                "ref": "d",
                "type": "delay",
                "settings": {"delay_for": {"unit": "fortnights", "value": 1}},
            }
        ],
        "steps[0].settings.delay_for.unit",
        "duration unit is 'fortnights'",
        "use one of: days, hours, minutes, months, seconds, weeks",
    ),
    (
        "duration-value",
        [{"ref": "d", "type": "delay", "settings": {"delay_for": {"unit": "minutes", "value": 0}}}],
        "steps[0].settings.delay_for.value",
        "positive whole number",
        "integer of at least 1",
    ),
    (
        "duration-float",
        [
            {
                "ref": "d",
                "type": "delay",
                "settings": {"delay_for": {"unit": "minutes", "value": 1.5}},
            }
        ],
        "steps[0].settings.delay_for.value",
        "positive whole number",
        "integer of at least 1",
    ),
    (
        "duration-string",
        [{"ref": "d", "type": "delay", "settings": {"delay_for": "5 parsecs"}}],
        "steps[0].settings.delay_for",
        "unknown unit 'parsecs'",
        "use s, m, h, d, w or mo",
    ),
    (
        "batch-window-duration",
        [_batch(batch_window={"unit": "minute", "value": 5})],
        "steps[0].settings.batch_window.unit",
        "duration unit is 'minute'",
        "did you mean `minutes`",
    ),
    (
        "delay-empty",
        [{"ref": "d", "type": "delay", "settings": {}}],
        "steps[0].settings",
        "needs `delay_for` or `delay_until_field_path`",
        "delay_for",
    ),
    (
        "condition-operator",
        [
            {
                **FEED,
                "conditions": {
                    "all": [{"variable": "data.x", "operator": "equals", "argument": "1"}]
                },
            }
        ],
        "steps[0].conditions.all[0].operator",
        'unknown operator "equals"',
        'did you mean "equal_to"',
    ),
    (
        "condition-group",
        [{**FEED, "conditions": {"every": []}}],
        "steps[0].conditions",
        "neither `all` nor `any`",
        "use exactly one of `all`",
    ),
    (
        "branch-one",
        [_branch(_arm("Only"))],
        "steps[0].branches",
        "has 1 branches",
        "keep 2-10 branches",
    ),
    (
        "branch-eleven",
        [_branch(*[_arm(f"B{i}", conditions=COND) for i in range(10)], _arm("Default"))],
        "steps[0].branches",
        "has 11 branches; Knock needs 2 to 10",
        "keep 2-10 branches",
    ),
    (
        "branch-no-default",
        [_branch(_arm("A", conditions=COND), _arm("B", conditions=COND))],
        "steps[0].branches",
        "has no default branch",
        "add a last branch without conditions",
    ),
    (
        "branch-default-first",
        [_branch(_arm("Default"), _arm("A", conditions=COND))],
        "steps[0].branches[0]",
        "default branch `Default` of `branch_1` is not the last",
        "move the branch without conditions to the end",
    ),
    (
        "branch-two-defaults",
        [_branch(_arm("A"), _arm("B"))],
        "steps[0].branches[0].conditions",
        "branch `A` has no conditions, but only the last",
        "give it conditions",
    ),
    (
        "branch-default-flag-with-conditions",
        [_branch(_arm("A", conditions=COND), {**_arm("B", conditions=COND), "default": True})],
        "steps[0].branches[1].conditions",
        "the default branch has conditions",
        "remove the conditions",
    ),
    (
        "branch-step-conditions",
        [{**_branch(_arm("A", conditions=COND), _arm("B")), "conditions": COND}],
        "steps[0].conditions",
        "Knock allows none on a branch step",
        "move the conditions onto the branches",
    ),
    (
        "branch-depth",
        [_nested(6)],
        "steps[0].branches[0].steps[0].branches[0].steps[0].branches[0].steps[0].branches[0]"
        ".steps[0].branches[0].steps[0]",
        "is nested 6 deep; Knock allows at most 5",
        "flatten the branches",
    ),
    (
        "batch-no-window",
        [_batch(batch_key="data.id")],
        "steps[0].settings",
        "needs `batch_window` or `batch_until_field_path`",
        "batch_window",
    ),
    (
        "batch-sliding",
        [_batch(batch_window="5m", batch_window_type="sliding")],
        "steps[0].settings.batch_window_type",
        "sliding batch window needs `batch_window_extension_limit`",
        "add `batch_window_extension_limit",
    ),
    (
        "batch-max-low",
        [_batch(batch_window="5m", batch_items_max_limit=1)],
        "steps[0].settings.batch_items_max_limit",
        "is 1, outside 2..1000",
        "between 2 and 1000",
    ),
    (
        "batch-max-high",
        [_batch(batch_window="5m", batch_items_max_limit=1001)],
        "steps[0].settings.batch_items_max_limit",
        "is 1001, outside 2..1000",
        "between 2 and 1000",
    ),
    (
        "batch-render-low",
        [_batch(batch_window="5m", batch_items_render_limit=0)],
        "steps[0].settings.batch_items_render_limit",
        "is 0, outside 1..100",
        "between 1 and 100",
    ),
    (
        "batch-render-high",
        [_batch(batch_window="5m", batch_items_render_limit=101)],
        "steps[0].settings.batch_items_render_limit",
        "outside 1..100",
        "between 1 and 100",
    ),
    (
        "batch-order",
        [_batch(batch_window="5m", batch_order="newest")],
        "steps[0].settings.batch_order",
        "'newest', which Knock does not accept",
        "asc, desc",
    ),
    (
        "batch-window-type",
        [_batch(batch_window="5m", batch_window_type="fixd")],
        "steps[0].settings.batch_window_type",
        "'fixd'",
        "did you mean `fixed`",
    ),
    (
        "batch-mode",
        [_batch(batch_window="5m", batch_execution_mode="flush_leadin")],
        "steps[0].settings.batch_execution_mode",
        "'flush_leadin'",
        "did you mean `flush_leading`",
    ),
    (
        "batch-typo",
        [_batch(batch_window="5m", batch_windw="5m")],
        "steps[0].settings.batch_windw",
        "unknown field `batch_windw`",
        "did you mean `batch_window`",
    ),
    (
        "channel-uninferable",
        [{"ref": "notify_1", "type": "channel", "channel_key": "acme", "template": {}}],
        "steps[0]",
        "cannot tell the channel type of step `notify_1`",
        "add `channel_type`",
    ),
    (
        "channel-webhook",
        [{"ref": "w", "type": "channel", "channel_type": "webhook", "template": {}}],
        "steps[0].channel_type",
        "unknown channel type 'webhook'",
        "use `http`",
    ),
    (
        "email-subject",
        [{**EMAIL, "template": {"html_body": "<p>x</p>"}}],
        "steps[0].template",
        "email step `email_1` has no `subject`",
        "add `template.subject`",
    ),
    (
        "email-body",
        [{**EMAIL, "template": {"subject": "x"}}],
        "steps[0].template",
        "has no `html_body` or `visual_blocks`",
        "add `template.html_body",
    ),
    (
        "email-both",
        [
            {
                **EMAIL,
                "template": {
                    "subject": "x",
                    "html_body": "b",
                    "visual_blocks": [{"type": "markdown", "content": "m"}],
                },
            }
        ],
        "steps[0].template",
        "has both `html_body` and `visual_blocks`",
        "keep exactly one",
    ),
    (
        "email-block-type",
        [
            {
                **EMAIL,
                "template": {
                    "subject": "x",
                    "visual_blocks": [{"type": "markdwn", "content": "m"}],
                },
            }
        ],
        "steps[0].template.visual_blocks[0].type",
        "unknown visual block type 'markdwn'",
        "did you mean `markdown`",
    ),
    (
        "feed-body",
        [{**FEED, "template": {"action_url": "/"}}],
        "steps[0].template",
        "in_app_feed step `in_app_feed_1` has no `markdown_body`",
        "add `template.markdown_body`",
    ),
    (
        "sms-body",
        [{"ref": "sms_1", "type": "channel", "channel_key": "twilio", "template": {}}],
        "steps[0].template",
        "sms step `sms_1` has no `text_body`",
        "add `template.text_body`",
    ),
    (
        "channel-both-keys",
        [{**FEED, "channel_key": "a", "channel_group_key": "b"}],
        "steps[0].channel_group_key",
        "both `channel_key` and `channel_group_key`",
        "keep exactly one",
    ),
    (
        "include-tag",
        [{**FEED, "template": {"markdown_body": "{% include 'x' %}"}}],
        "steps[0].template.markdown_body",
        "`{% include %}` is not supported by Knock",
        "{% render 'partial_key'",
    ),
    (
        "fetch-method",
        [{"ref": "f", "type": "http_fetch", "settings": {"method": "fetch", "url": "https://x"}}],
        "steps[0].settings.method",
        "`method` is 'fetch'",
        "set `method: get`",
    ),
    (
        "trigger-unknown",
        [{"ref": "t", "type": "trigger_workflow", "settings": {"workflow_key": "nope"}}],
        "steps[0].settings.workflow_key",
        "triggers workflow `nope`, which is not defined",
        "add the workflow `nope`",
    ),
    (
        "layout-unknown",
        [{**EMAIL, "template": {**EMAIL["template"], "settings": {"layout_key": "fancy"}}}],
        "steps[0].template.settings.layout_key",
        "uses layout `fancy`, which is not defined",
        "add layouts/fancy/layout.json",
    ),
    (
        "partial-unknown",
        [{**FEED, "template": {"markdown_body": "{% render 'card' %}"}}],
        "steps[0].template.markdown_body",
        "`{% render 'card' %}` names a partial that is not",
        "add partials/card/partial.json",
    ),
    (
        "send-window-day",
        [{**FEED, "send_windows": [{"day": "mondy", "type": "send"}]}],
        "steps[0].send_windows[0].day",
        "'mondy'",
        "did you mean `monday`",
    ),
    (
        "step-unknown-field",
        [{**FEED, "condtions": COND}],
        "steps[0].condtions",
        "unknown field `condtions`",
        "did you mean `conditions`",
    ),
]


@pytest.mark.parametrize(
    ("steps", "path", "message", "fix"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_rule(tmp_path: Path, steps: list[Any], path: str, message: str, fix: str) -> None:
    problems = _problems(tmp_path, copy.deepcopy(steps))
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, "\n".join(str(p) for p in problems)
    assert fix in matching[0].fix
    assert matching[0].file.endswith("workflows/broken/workflow.json")


@pytest.mark.parametrize("step_type", ["update_audience"])
def test_not_emulated_step_types_are_named(tmp_path: Path, step_type: str) -> None:
    (problem,) = _problems(tmp_path, [FEED, {"ref": "x_1", "type": step_type, "settings": {}}])
    assert problem.path == "steps[1].type"
    assert f"`{step_type}` step, which Doorstep does not emulate yet" in problem.message
    assert "step `x_1`" in problem.message


def test_in_app_guide_is_named_as_not_emulated(tmp_path: Path) -> None:
    guide = {
        "ref": "in_app_guide_1",
        "type": "channel",
        "channel_type": "in_app_guide",
        "guide_key": "tour",
    }
    (problem,) = _problems(tmp_path, [guide])
    assert problem.path == "steps[0]"
    assert "in_app_guide channel step, which is not emulated yet" in problem.message


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("AB", "workflow key 'AB' is not valid"),
        ("ab", "workflow key 'ab' is not valid"),
        ("Invoice_Created", "3-255 characters of lowercase"),
        ("x" * 256, "is not valid"),
    ],
)
def test_workflow_key_format(tmp_path: Path, key: str, message: str) -> None:
    workflow = {"key": key, "name": "Keyed", "steps": [FEED]}
    (tmp_path / "keyed.yaml").write_text(json.dumps(workflow))  # JSON is valid YAML
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    (problem,) = info.value.problems
    assert (problem.file.endswith("keyed.yaml"), problem.path) == (True, "")
    assert message in problem.message
    assert "set `key:` / rename the file (YAML)" in problem.fix


@pytest.mark.parametrize(
    ("top", "path", "message"),
    [
        ({"name": None}, "name", "`name` is required"),
        ({"trigger_frequency": "always"}, "trigger_frequency", "'always'"),
        ({"settings": {"is_comercial": True}}, "settings.is_comercial", "unknown field"),
        ({"categories": "billing"}, "categories", "must be a list"),
        (
            {"trigger_data_json_schema": {"type": "objekt"}},
            "trigger_data_json_schema",
            "not a valid JSON Schema",
        ),
    ],
)
def test_workflow_fields(tmp_path: Path, top: dict[str, Any], path: str, message: str) -> None:
    problems = _problems(tmp_path, [FEED], **top)
    assert any(p.path == path and message in p.message for p in problems), problems


@pytest.mark.parametrize(
    ("ref", "channel_key", "expected"),
    [
        ("notify", "postmark", "email"),
        ("notify", "knock-in-app-feed", "in_app_feed"),
        ("notify", "twilio", "sms"),
        ("notify", "apns", "push"),
        ("notify", "slack", "chat"),
        ("notify", "my-webhook", "http"),
        ("email_3", None, "email"),
        ("in_app_feed_2", "acme", "in_app_feed"),
        ("push_1", None, "push"),
        ("webhook_1", None, "http"),
    ],
)
def test_channel_type_inference(
    tmp_path: Path, ref: str, channel_key: str | None, expected: str
) -> None:
    template = {
        "email": {"subject": "s", "html_body": "b"},
        "in_app_feed": {"markdown_body": "b"},
        "sms": {"text_body": "b"},
        "push": {"text_body": "b"},
        "chat": {"markdown_body": "b"},
        "http": {"method": "post", "url": "https://example.com"},
    }[expected]
    step: dict[str, Any] = {"ref": ref, "type": "channel", "template": template}
    if channel_key is not None:
        step["channel_key"] = channel_key
    _write(tmp_path, "inferred", {"name": "Inferred", "steps": [step]})
    (workflow,) = load_definitions(tmp_path).workflows.values()
    assert getattr(workflow.steps[0], "channel_type", None) == expected


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    _write(tmp_path, "first", {"name": "A", "steps": [{"ref": "x", "type": "fetch"}]})
    (tmp_path / "second.yaml").write_text("name: B\nsteps:\n  - {ref: d, type: delay}\n")
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    files = sorted({Path(p.file).name for p in info.value.problems})
    assert files == ["second.yaml", "workflow.json"]
    assert "2 problems in definitions" in str(info.value)


def test_layout_without_content_slot(tmp_path: Path) -> None:
    (tmp_path / "layout.yaml").write_text(
        "kind: layout\nkey: plain\nname: Plain\nhtml_layout: <html>{{ body }}</html>\n"
    )
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("html_layout", 4)
    assert "has no `{{ content }}`" in problem.message
    assert "add `{{ content }}`" in problem.fix
