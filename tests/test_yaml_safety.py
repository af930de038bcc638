"""One safe YAML loader for workflow and scenario files: binary files, alias bombs, self-referencing
aliases and duplicated keys give a located message, empty files a warning; `doorstep serve`
refuses Liquid syntax errors the way `doorstep validate` reports them."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from emulator import (
    DefinitionError,
    DefinitionWarning,
    Emulator,
    compose_yaml,
    load_definitions,
    validate,
)
from emulator.cli._main import main
from emulator.cli._serve import ServeOptions, Service
from emulator.scenarios import ScenarioError, load_scenario

# The alias bomb: 9 lines that stand for 9**7 (4.8 million) strings once expanded.
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
z: [*g]
"""
WORKFLOW = "name: A workflow\nsteps: []\n"

# name, file bytes, (line, words of the message)
BAD = [
    ("binary", b"name: x\nsteps: []\n\xff\xfe\x00\x01binary", (3, "not UTF-8 text")),
    # the bomb is refused at `f:` (line 7), the first value past 100,000 (9**6)
    ("alias bomb", ("name: Bomb\n" + BOMB).encode(), (7, "expands to more than 100,000")),
    ("self alias", b"name: x\nsteps: &s [*s]\n", (2, "refers to the value that contains it")),
    ("duplicate key", b"name: A\nsteps: []\nname: B\n", (3, "duplicate key `name`")),
    ("flow duplicate", b"{name: A, name: B, steps: []}\n", (1, "duplicate key `name`")),
]


@pytest.mark.parametrize(("name", "data", "expected"), BAD, ids=[b[0] for b in BAD])
def test_workflow_files_fail_with_file_and_line(
    tmp_path: Path, name: str, data: bytes, expected: tuple[int, str]
) -> None:
    (tmp_path / "wf-one.yaml").write_bytes(data)
    started = time.monotonic()
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path)
    assert time.monotonic() - started < 2
    [problem] = caught.value.problems
    assert (Path(problem.file).name, problem.line) == ("wf-one.yaml", expected[0])
    assert expected[1] in problem.message


@pytest.mark.parametrize(("name", "data", "expected"), BAD, ids=[b[0] for b in BAD])
def test_scenario_files_fail_with_file_and_line(
    tmp_path: Path, name: str, data: bytes, expected: tuple[int, str]
) -> None:
    path = tmp_path / "one.scenario.yaml"
    path.write_bytes(data)
    started = time.monotonic()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert time.monotonic() - started < 2
    [problem] = caught.value.problems
    assert problem.line == expected[0]
    assert expected[1] in problem.message


@pytest.mark.parametrize(("name", "data", "expected"), BAD, ids=[b[0] for b in BAD])
def test_doorstep_run_reports_them_without_a_traceback(
    tmp_path: Path, name: str, data: bytes, expected: tuple[int, str]
) -> None:
    path = tmp_path / "one.scenario.yaml"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(path)], out=out, err=err) == 1
    assert f"{path}:{expected[0]}: " in err.getvalue()
    assert "Traceback" not in err.getvalue()


MERGES = [
    # merge keys may repeat what they merge: that is not a duplicate
    "base: &b {x: 1}\nuse: {<<: *b, x: 2}\n",
    "list: &l [1, 2]\nagain: *l\n",
]


@pytest.mark.parametrize("text", MERGES)
def test_aliases_and_merges_within_bounds_still_load(text: str) -> None:
    assert len(compose_yaml(text)) == 1


EMPTY = ["", "# only a comment\n", "---\n"]


@pytest.mark.parametrize("text", EMPTY)
def test_an_empty_workflow_file_is_a_warning(tmp_path: Path, text: str) -> None:
    (tmp_path / "wf-empty.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "wf-ok.yaml").write_text(WORKFLOW, encoding="utf-8")
    assert [Path(w.file).name for w in load_definitions(tmp_path).warnings] == ["wf-empty.yaml"]
    report = validate(tmp_path)
    assert [(f.severity, f.rule, Path(f.file).name) for f in report.findings] == [
        ("warning", "empty-file", "wf-empty.yaml")
    ]
    assert report.exit_code() == 0


BROKEN_LIQUID = """\
name: Broken
steps:
  - ref: in_app_feed_1
    type: channel
    channel_type: in_app_feed
    template: {markdown_body: "{% if data.x %}open"}
"""


def test_serve_refuses_liquid_syntax_errors_as_validate_reports_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wf-broken.yaml").write_text(BROKEN_LIQUID, encoding="utf-8")
    [finding] = validate(tmp_path).errors
    args = ["serve", "--workflows", str(tmp_path), "--http-port", "0", "--smtp-port", "0"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "cannot load workflows" in err
    assert f"wf-broken.yaml:{finding.line}" in err
    assert finding.message in err


def test_serve_warns_about_an_empty_workflow_file(tmp_path: Path) -> None:
    (tmp_path / "wf-empty.yaml").write_text("", encoding="utf-8")
    (tmp_path / "wf-ok.yaml").write_text(WORKFLOW, encoding="utf-8")
    out = io.StringIO()
    Service(ServeOptions(workflows=tmp_path, http_port=0, smtp_port=0), out)
    assert "Warning: " in out.getvalue()
    assert "wf-empty.yaml: the file holds no workflow" in out.getvalue()


def test_from_directory_reports_an_empty_workflow_file_as_a_python_warning(
    tmp_path: Path,
) -> None:
    (tmp_path / "wf-empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    (tmp_path / "wf-ok.yaml").write_text(WORKFLOW, encoding="utf-8")
    with pytest.warns(DefinitionWarning, match=r"wf-empty\.yaml.*holds no workflow") as caught:
        emu = Emulator.from_directory(tmp_path)
    assert len(caught) == 1
    assert list(emu.definitions.workflows) == ["wf-ok"]


def test_doorstep_run_prints_the_empty_file_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "wf-empty.yaml").write_text("", encoding="utf-8")
    (workflows / "wf-ok.yaml").write_text(WORKFLOW, encoding="utf-8")
    scenario = tmp_path / "s.scenario.yaml"
    scenario.write_text("name: S\nworkflows: workflows\nsteps: [{advance: 1m}]\n", encoding="utf-8")
    assert main(["run", str(scenario)]) == 0
    err = capsys.readouterr().err
    assert err.count("Warning: ") == 1
    assert "wf-empty.yaml" in err
    assert "holds no workflow" in err
