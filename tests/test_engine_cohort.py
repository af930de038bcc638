"""Experiment (`random_cohort`) steps: cohorts by hashed key, percentages, terminates."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from wfbuild import in_app, make_emulator, workflow

from emulator import DefinitionError, parse_workflow


def experiment(percentages: list[Any], key: str | None = None, **extra: Any) -> dict[str, Any]:
    step: dict[str, Any] = {
        "ref": "experiment_1",
        "type": "random_cohort",
        "cohort_branches": [
            {
                "name": f"C{i}",
                "percentage": p,
                "steps": [in_app(f"in_app_{i}", f"cohort {i}")],
                **extra,
            }
            for i, p in enumerate(percentages)
        ],
    }
    if key is not None:
        step["cohort_key"] = key
    return step


def cohorts_of(emu: Any, users: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    for n in range(users):
        run = emu.trigger("abtest", [f"user_{n}"]).runs[0]
        seen[run.step("experiment_1").branch] += 1
    return seen


def test_the_same_recipient_always_lands_in_the_same_cohort() -> None:
    emu = make_emulator(workflow("abtest", experiment(["50", "50"])))
    first = [
        emu.trigger("abtest", [f"u{n}"]).runs[0].step("experiment_1").branch for n in range(20)
    ]
    again = [
        emu.trigger("abtest", [f"u{n}"]).runs[0].step("experiment_1").branch for n in range(20)
    ]
    assert first == again
    assert set(first) == {"C0", "C1"}


@pytest.mark.parametrize(
    ("percentages", "expected"),
    [
        ([50, 50], {"C0": 0.5, "C1": 0.5}),
        ([10, 90], {"C0": 0.1, "C1": 0.9}),
        ([0, 100], {"C1": 1.0}),
        (["33.3", "33.3", "33.4"], {"C0": 0.333, "C1": 0.333, "C2": 0.334}),
    ],
)
def test_cohorts_follow_the_percentages(percentages: list[Any], expected: dict[str, float]) -> None:
    emu = make_emulator(workflow("abtest", experiment(percentages)))
    seen = cohorts_of(emu, 2000)
    assert set(seen) == set(expected)
    for name, share in expected.items():
        assert abs(seen[name] / 2000 - share) < 0.05, seen


def test_cohort_key_from_data_groups_recipients() -> None:
    emu = make_emulator(workflow("abtest", experiment([50, 50], key="data.team")))
    branches = {
        emu.trigger("abtest", [f"u{n}"], data={"team": "red"}).runs[0].step("experiment_1").branch
        for n in range(30)
    }
    assert len(branches) == 1


def test_terminating_cohort_ends_the_run_after_its_steps() -> None:
    emu = make_emulator(
        workflow("abtest", experiment([100, 0], terminates=True), in_app("after_1", "after"))
    )
    run = emu.trigger("abtest", ["u1"]).runs[0]
    assert run.path == ["experiment_1", "in_app_0"]
    assert run.status == "terminated"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (experiment([60, 50]), "add up to 110%, not 100%"),
        (experiment([100]), "has 1 cohorts; Knock needs 2 to 10"),
        (experiment(["12.34", "87.66"]), "at most one decimal"),
        (experiment([50, "half"]), "percentage 'half' is not a number"),
        ({**experiment([50, 50]), "cohort_key": 5}, "`cohort_key` must be a string"),
    ],
)
def test_malformed_experiments_name_the_path_and_fix(step: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=message) as info:
        parse_workflow({"name": "x", "steps": [step]}, key="abtest", file="abtest.json")
    assert "steps[0]" in str(info.value)
