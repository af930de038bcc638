"""`doorstep validate`: good fixture directories pass, broken ones fail with asserted output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from emulator.cli._main import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
LINT = "fixtures/broken/lint/welcome.yaml"
SCHEMA = "fixtures/broken/schema/order-shipped.yaml"


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["validate", *args], out=out)
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # findings name files relative to the directory given


@pytest.mark.parametrize("directory", ["fixtures/workflows", "fixtures/knock"])
@pytest.mark.parametrize("fmt", ["human", "json", "github"])
def test_good_fixtures_pass_in_every_format(directory: str, fmt: str) -> None:
    code, out = run(directory, "--format", fmt)
    assert code == 0
    if fmt == "json":
        body = json.loads(out)
        assert body["ok"] is True
        assert body["findings"] == []
        assert (body["workflows"], body["layouts"], body["partials"]) == (3, 1, 1)
    else:
        assert out == f"OK: {directory}: 3 workflows, 1 layouts, 1 partials; 0 errors, 0 warnings\n"


def test_lint_human_output() -> None:
    code, out = run("fixtures/broken/lint")
    assert code == 1
    lines = [ln for ln in out.splitlines() if not ln.startswith("    ")]
    assert lines == [
        f"{LINT}:15: warning: step `email_1` subject uses `data.trial_end`, but the workflow's "
        "trigger_data_json_schema defines only plan [undefined-variable]",
        f"{LINT}:19: error: workflow 'welcome', step 'email_1', field 'html_body': Liquid syntax "
        "error: syntax error: expected tag endif, found end of expression (template line 3) "
        "[liquid-syntax]",
        f"{LINT}:32: error: `sms_1` in workflow `welcome` can never run: every branch of "
        "`branch_1` terminates the workflow [unreachable-step]",
        f"{LINT}:32: error: step `sms_1` sends sms through channel `postmark`, which "
        "`welcome`/`email_1` uses as email [unknown-channel]",
        f"{LINT}:37: warning: step `sms_1` text_body uses `user.name`, but the workflow's "
        "trigger_data_json_schema defines only plan [undefined-variable]",
        "FAILED: fixtures/broken/lint: 1 workflows, 0 layouts, 0 partials; 3 errors, 2 warnings",
    ]
    assert "    fix: correct the Liquid syntax" in out


def test_lint_json_output() -> None:
    code, out = run("fixtures/broken/lint", "--format", "json")
    assert code == 1
    body = json.loads(out)
    assert (body["ok"], body["errors"], body["warnings"]) == (False, 3, 2)
    rules = [(f["rule"], f["severity"], f["line"], f["path"]) for f in body["findings"]]
    assert rules == [
        ("undefined-variable", "warning", 15, "steps[0].template.subject"),
        ("liquid-syntax", "error", 19, "steps[0].template.html_body"),
        ("unreachable-step", "error", 32, "steps[2]"),
        ("unknown-channel", "error", 32, "steps[2].channel_key"),
        ("undefined-variable", "warning", 37, "steps[2].template.text_body"),
    ]
    assert all(f["file"] == LINT and f["fix"] for f in body["findings"])


def test_lint_github_annotations() -> None:
    code, out = run("fixtures/broken/lint", "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith(
        f"::error file={LINT},line=19,title=doorstep liquid-syntax::steps[0].template.html_body: "
    )
    assert "{%25 if %25}" in lines[1]  # GitHub's escaping of % in messages
    assert lines[0].startswith(f"::warning file={LINT},line=15,title=doorstep undefined-variable::")
    assert sum(ln.startswith("::error ") for ln in lines) == 3
    assert lines[-1].startswith("FAILED: fixtures/broken/lint:")


def test_schema_errors_from_the_loader() -> None:
    code, out = run("fixtures/broken/schema", "--format", "github")
    assert code == 1
    assert out.splitlines()[:2] == [
        f"::error file={SCHEMA},line=6,title=doorstep schema::steps[0].branches: branch step "
        "`branch_1` has 1 branches; Knock needs 2 to 10 (fix: keep 2-10 branches: at least one "
        "with conditions and a last default branch without)",
        f"::error file={SCHEMA},line=6,title=doorstep schema::steps[0].branches: branch step "
        "`branch_1` has no default branch (fix: add a last branch without conditions (Knock's "
        "default branch))",
    ]


@pytest.mark.parametrize(
    ("top", "strict_code"),
    [
        ("trigger_data_json_schema: {properties: {plan: {type: string}}}\n", 1),  # a warning
        ("", 0),  # no schema: `user.name` is trigger data at the root, only a hint
    ],
)
def test_strict_turns_warnings_into_failure(tmp_path: Path, top: str, strict_code: int) -> None:
    (tmp_path / "w.yaml").write_text(
        "key: welcome\nname: W\n" + top + "steps:\n  - ref: email_1\n    type: channel\n"
        "    channel_key: pm\n    channel_type: email\n    template:\n"
        "      subject: 'Hi {{ user.name }}'\n      html_body: '<p>x</p>'\n"
    )
    assert run(str(tmp_path))[0] == 0
    assert run(str(tmp_path), "--strict")[0] == strict_code


def test_unprefixed_trigger_data_is_a_hint_once_per_workflow(tmp_path: Path) -> None:
    """Knock puts trigger data keys at the root (its own template library writes `{{ page_name
    }}`), and so does the engine: validate hints at `data.` and never says "renders empty"."""
    (tmp_path / "w.yaml").write_text(
        "key: welcome\nname: W\nsteps:\n  - ref: email_1\n    type: channel\n"
        "    channel_key: pm\n    channel_type: email\n    template:\n"
        "      subject: 'Hi {{ page_name }}'\n      html_body: '<p>{{ page_name }}</p>'\n"
    )
    code, out = run(str(tmp_path), "--strict", "--format", "json")
    assert code == 0
    [finding] = json.loads(out)["findings"]
    assert (finding["severity"], finding["rule"]) == ("hint", "unprefixed-data")
    assert "data.page_name" in finding["fix"]
    assert "renders empty" not in out
    assert run(str(tmp_path), "--format", "github")[1].startswith("::notice ")


def test_missing_directory() -> None:
    code, out = run("no/such/dir")
    assert code == 1
    assert "no/such/dir: error: no/such/dir is not a directory" in out


FALLBACK = """name: Fallback
steps:
  - ref: in_app_feed_1
    type: channel
    channel_key: in-app-feed
    channel_type: in_app_feed
    template: {{markdown_body: "hi"}}
  - ref: wait_1
    type: wait_for_event
    settings:
      event: {{event_type: recipient, event_key: updated}}
      expires_after: 10m
  - ref: email_1
    type: channel
    channel_key: postmark
    channel_type: email
    conditions:
      all:
        - variable: {variable}
          operator: not_contains
          argument: $message.seen
    template:
      subject: "{subject}"
      html_body: "<p>hi</p>"
"""


@pytest.mark.parametrize(
    ("variable", "subject", "expected"),
    [
        ("refs.in_app_feed_1.engagement_status", "{{ refs.wait_1.matched }}", []),
        (
            "refs.in_app_feed.engagement_status",  # a typo: the step is in_app_feed_1
            "x",
            [("error", "unknown-ref", 19, "steps[2].conditions.all[0]")],
        ),
        (
            "refs.email_1.engagement_status",  # itself: it has not run when its conditions run
            "x",
            [("warning", "ref-not-run-yet", 19, "steps[2].conditions.all[0]")],
        ),
        (
            "refs.in_app_feed_1.engagement_status",
            "{{ refs.wait_2.signal_variables.x }}",
            [("error", "unknown-ref", 23, "steps[2].template.subject")],
        ),
    ],
)
def test_refs_must_name_a_step_that_can_have_run(
    tmp_path: Path, variable: str, subject: str, expected: list[tuple[str, str, int, str]]
) -> None:
    from emulator.lint._validate import validate

    (tmp_path / "fallback.yaml").write_text(FALLBACK.format(variable=variable, subject=subject))
    report = validate(tmp_path)
    found = [(f.severity, f.rule, f.line, f.path) for f in report.findings]
    assert found == expected
    for finding in report.findings:
        assert "reads as skipped" in finding.message
        assert finding.fix


def test_a_ref_inside_another_branch_has_not_run(tmp_path: Path) -> None:
    from emulator.lint._validate import validate

    flow = {
        "name": "Branches",
        "steps": [
            {
                "ref": "branch_1",
                "type": "branch",
                "branches": [
                    {
                        "name": "A",
                        "conditions": {"all": [{"variable": "data.a", "operator": "exists"}]},
                        "steps": [
                            {
                                "ref": "in_app_a",
                                "type": "channel",
                                "channel_key": "in-app-feed",
                                "channel_type": "in_app_feed",
                                "template": {"markdown_body": "a"},
                            }
                        ],
                    },
                    {
                        "name": "Default",
                        "steps": [
                            {
                                "ref": "in_app_b",
                                "type": "channel",
                                "channel_key": "in-app-feed",
                                "channel_type": "in_app_feed",
                                "conditions": {
                                    "all": [
                                        {
                                            "variable": "refs.in_app_a.status",
                                            "operator": "equal_to",
                                            "argument": "seen",
                                        }
                                    ]
                                },
                                "template": {"markdown_body": "b"},
                            }
                        ],
                    },
                ],
            },
            {
                "ref": "in_app_after",
                "type": "channel",
                "channel_key": "in-app-feed",
                "channel_type": "in_app_feed",
                "conditions": {"all": [{"variable": "refs.in_app_a.status", "operator": "exists"}]},
                "template": {"markdown_body": "after"},
            },
        ],
    }
    (tmp_path / "branches.yaml").write_text(json.dumps(flow))
    report = validate(tmp_path)
    # The sibling branch's step never ran for this run; the step after the branch may have.
    assert [(f.rule, f.path) for f in report.findings] == [
        ("ref-not-run-yet", "steps[0].branches[1].steps[0].conditions.all[0]")
    ]
