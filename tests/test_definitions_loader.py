"""What `load_definitions` accepts (files, directories, knock.json, mixes) and how it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.core._errors import DefinitionError
from emulator.definitions import load_definitions, parse_workflow
from emulator.definitions._model import DelayStep, Duration

DELAY_YAML = "name: Wait\nsteps:\n  - {ref: delay_1, type: delay, settings: {delay_for: 1h}}\n"
DELAY_JSON = {
    "name": "Wait",
    "steps": [
        {
            "ref": "delay_1",
            "type": "delay",
            "settings": {"delay_for": {"unit": "hours", "value": 1}},
        }
    ],
}


def _knock_workflow(root: Path, key: str) -> None:
    (root / "workflows" / key).mkdir(parents=True)
    (root / "workflows" / key / "workflow.json").write_text(json.dumps(DELAY_JSON))


def test_single_yaml_file_key_defaults_to_stem(tmp_path: Path) -> None:
    (tmp_path / "wait-a-bit.yaml").write_text(DELAY_YAML)
    defs = load_definitions(tmp_path / "wait-a-bit.yaml")
    assert list(defs.workflows) == ["wait-a-bit"]


def test_directory_is_searched_recursively_for_yaml_and_yml(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.yaml").write_text(DELAY_YAML)
    (tmp_path / "a" / "b" / "two.yml").write_text(DELAY_YAML)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "three.yaml").write_text("not: [valid")
    assert sorted(load_definitions(tmp_path).workflows) == ["one", "two"]


def test_mix_of_yaml_and_knock_layout(tmp_path: Path) -> None:
    (tmp_path / "yaml-one.yaml").write_text(DELAY_YAML)
    _knock_workflow(tmp_path / "knock", "knock-one")
    defs = load_definitions(tmp_path)
    assert sorted(defs.workflows) == ["knock-one", "yaml-one"]
    assert defs.workflows["knock-one"].steps == defs.workflows["yaml-one"].steps


def test_knock_json_points_at_knock_dir(tmp_path: Path) -> None:
    project, knock_dir = tmp_path / "app", tmp_path / "elsewhere" / "knock"
    project.mkdir()
    _knock_workflow(knock_dir, "from-knock-dir")
    (project / "knock.json").write_text(json.dumps({"knockDir": "../elsewhere/knock"}))
    assert list(load_definitions(project).workflows) == ["from-knock-dir"]
    assert list(load_definitions(project / "knock.json").workflows) == ["from-knock-dir"]


def test_knock_json_with_missing_dir(tmp_path: Path) -> None:
    (tmp_path / "knock.json").write_text(json.dumps({"knockDir": "./knock"}))
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    (problem,) = info.value.problems
    assert (Path(problem.file).name, problem.path) == ("knock.json", "knockDir")
    assert "not a directory" in problem.message


def test_workflow_json_path_directly(tmp_path: Path) -> None:
    _knock_workflow(tmp_path, "direct")
    defs = load_definitions(tmp_path / "workflows" / "direct" / "workflow.json")
    assert list(defs.workflows) == ["direct"]


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        ("bad.yaml", "name: x\nsteps: [\n", "invalid YAML", 3),
        ("list.yaml", "- 1\n- 2\n", "a YAML document must be a mapping", None),
        ("kind.yaml", "kind: channel\nname: x\n", "`kind` is 'channel'", 1),
        ("multi.yaml", DELAY_YAML + "---\n" + DELAY_YAML, "this workflow has no `key`", None),
        ("layout.yaml", "kind: layout\nname: L\nhtml_layout: '{{ content }}'\n", "no `key`", None),
    ],
)
def test_yaml_file_errors(
    tmp_path: Path, name: str, text: str, message: str, line: int | None
) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    problem = info.value.problems[0]
    assert problem.file.endswith(name)
    assert message in problem.message
    assert problem.line == line
    assert problem.fix


def test_invalid_workflow_json_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "workflows" / "broken").mkdir(parents=True)
    (tmp_path / "workflows" / "broken" / "workflow.json").write_text('{\n  "name": "x",\n}')
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    (problem,) = info.value.problems
    assert "invalid JSON" in problem.message
    assert problem.line == 3


def test_multi_document_yaml_with_keys(tmp_path: Path) -> None:
    text = "key: first\n" + DELAY_YAML + "---\nkey: second\n" + DELAY_YAML
    (tmp_path / "many.yaml").write_text(text)
    assert sorted(load_definitions(tmp_path).workflows) == ["first", "second"]


def test_duplicate_key_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "same.yaml").write_text(DELAY_YAML)
    _knock_workflow(tmp_path / "b", "same")
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    (problem,) = info.value.problems
    assert "workflow key `same` is defined twice" in problem.message
    assert "a/same.yaml" in problem.message
    assert "b/workflows/same/workflow.json" in problem.message


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no such file or directory"):
        load_definitions(tmp_path / "nope")


def test_yaml_problem_points_at_the_line(tmp_path: Path) -> None:
    (tmp_path / "wait.yaml").write_text(
        "name: Wf\nsteps:\n  - ref: delay_1\n    type: delay\n    settings:\n"
        "      delay_for: {unit: fortnights, value: 1}\n"
    )
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("steps[0].settings.delay_for.unit", 6)
    assert "wait.yaml:6: steps[0].settings.delay_for.unit" in str(info.value)


def test_parse_workflow_from_a_dict() -> None:
    raw = {
        "name": "Wait",
        "steps": [{"ref": "d", "type": "delay", "settings": {"delay_for": "2d"}}],
    }
    workflow = parse_workflow(raw, key="wait", file="<memory>")
    step = workflow.steps[0]
    assert isinstance(step, DelayStep)
    assert step.delay_for == Duration("days", 2)
    assert step.source.path == "steps[0]"
    with pytest.raises(DefinitionError) as info:
        parse_workflow({"name": "x", "steps": [{"ref": "d", "type": "dealy"}]}, key="x!", file="f")
    assert [(p.file, p.path) for p in info.value.problems] == [("f", ""), ("f", "steps[0].type")]
