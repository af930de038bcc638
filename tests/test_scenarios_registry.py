"""The registry of scenario actions: each action is declared once, with its schema, its checker
and its player, and the loader and the runner know no other list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulator.scenarios import ACTIONS, ScenarioError, load_scenario
from emulator.scenarios._registry import REGISTRY
from emulator.scenarios._spec import ActionSpec

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_has_a_schema_a_checker_and_a_player(name: str) -> None:
    spec = REGISTRY[name]
    assert isinstance(spec, ActionSpec)
    assert spec.name == name
    assert spec.doc
    assert callable(spec.check)
    assert callable(spec.play)
    names = [option.name for option in spec.options]
    assert len(names) == len(set(names)), f"{name} declares an option twice"
    assert name not in spec.option_names
    assert spec.required <= spec.option_names


def test_the_readme_lists_every_registered_action() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Scenario files", 1)[1].split("```", 1)[0]
    listed = set(re.findall(r"`([a-z_]+)`", section))
    assert set(ACTIONS) <= listed


@pytest.mark.parametrize("body", ["  - wait: 1m\n", "  - {}\n", "  - as: x\n"])
def test_an_unknown_action_lists_the_registered_ones(tmp_path: Path, body: str) -> None:
    path = tmp_path / "x.scenario.yaml"
    path.write_text("steps:\n" + body, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.path) == (2, "steps[0]")
    assert "a step needs exactly one action key (found none)" in problem.message
    assert problem.fix.startswith("use one of " + ", ".join(ACTIONS) + ";")


@pytest.mark.parametrize(
    ("name", "required"),
    [
        ("trigger", {"recipients"}),
        ("cancel", {"cancellation_key"}),
        ("schedule", {"recipients", "repeats"}),
        ("add_to_audience", {"users"}),
        ("send_event", {"recipient"}),
    ],
)
def test_a_missing_required_key_is_reported_at_the_action(
    tmp_path: Path, name: str, required: set[str]
) -> None:
    assert REGISTRY[name].required == required
    path = tmp_path / "x.scenario.yaml"
    path.write_text(f"steps:\n  - {name}: some-key\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problems = caught.value.problems
    assert {p.path for p in problems} == {f"steps[0].{name}"}
    assert len(problems) == len(required)
    assert all(any(f"`{key}:`" in p.message for p in problems) for key in required)
