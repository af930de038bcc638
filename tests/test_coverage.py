"""Workflow coverage: run observers, the collector's items per step type, locations, data files
and the terminal report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wfbuild import batch, cond, delay, email, in_app, make_emulator, workflow

from emulator import Emulator, FetchRequest, FetchResponse, RunObserver, Workflow
from emulator.coverage import (
    Collector,
    CoverageData,
    DataFormatError,
    combine_files,
    read_data,
    term_report,
    write_data,
)

SEP = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def covered(collector: Collector, key: str) -> tuple[set[str], set[str]]:
    """(covered item ids, missed item ids) of workflow `key`."""
    [wf] = [w for w in collector.data().workflows.values() if w.key == key]
    return {i.id for i in wf.items.values() if i.covered}, {i.id for i in wf.missed()}


def fetch_step() -> dict[str, Any]:
    settings = {"method": "get", "url": "https://api.example.com/{{ recipient.id }}"}
    return {"ref": "fetch_1", "type": "http_fetch", "settings": settings}


def throttle_step() -> dict[str, Any]:
    settings = {"throttle_window": {"unit": "hours", "value": 1}, "throttle_limit": 1}
    return {"ref": "throttle_1", "type": "throttle", "settings": settings}


def branch_step() -> dict[str, Any]:
    return {
        "ref": "branch_1",
        "type": "branch",
        "branches": [
            {"name": "Pro", "conditions": cond("data.plan", "equal_to", "pro"), "steps": []},
            {"name": "Big", "conditions": cond("data.size", "equal_to", "big"), "steps": []},
            {"name": "Default", "steps": []},
        ],
    }


def answers(*codes: int) -> Callable[[FetchRequest], FetchResponse]:
    queue = list(codes)
    return lambda request: FetchResponse(queue.pop(0), "{}")


def run_twice(emu: Emulator, first: dict[str, Any], second: dict[str, Any]) -> None:
    emu.trigger("wf1", ["u1"], data=first)
    emu.trigger("wf1", ["u1"], data=second)
    emu.advance(hours=2)


Case = tuple[str, list[dict[str, Any]], dict[str, Any], dict[str, Any], set[str], set[str]]
CASES: list[Case] = [
    (
        "channel delivered, then skipped for its conditions",
        [email(conditions=cond("data.send", "equal_to", "yes"))],
        {"send": "yes"},
        {"send": "no"},
        {
            "step:email_1",
            "condition:email_1:step:true",
            "condition:email_1:step:false",
            "outcome:email_1:delivered",
            "outcome:email_1:skipped",
        },
        set(),
    ),
    (
        "branch: one branch and the default taken, one branch missed",
        [branch_step()],
        {"plan": "pro"},
        {"plan": "free"},
        {"step:branch_1", "branch:branch_1:Pro", "branch:branch_1:Default"},
        {"branch:branch_1:Big"},
    ),
    (
        "batch opened, merged into and closed",
        [batch(), in_app()],
        {},
        {},
        {"outcome:batch_1:opened", "outcome:batch_1:merged", "outcome:batch_1:closed"},
        {"outcome:in_app_feed_1:skipped"},
    ),
    (
        "delay elapsed",
        [delay(delay_for={"unit": "minutes", "value": 5})],
        {},
        {},
        {"step:delay_1", "outcome:delay_1:elapsed"},
        set(),
    ),
    (
        "a delay timed from data: elapsed, then skipped (no such field)",
        [delay(delay_until_field_path="data.at")],
        {"at": "2025-01-01T10:00:00Z"},
        {},
        {"outcome:delay_1:elapsed", "outcome:delay_1:skipped"},
        set(),
    ),
    (
        "an experiment's cohorts are its branches",
        [
            {
                "ref": "experiment_1",
                "type": "random_cohort",
                "cohort_key": "data.k",
                "cohort_branches": [
                    {"name": "A", "percentage": 50, "steps": []},
                    {"name": "B", "percentage": 50, "steps": []},
                ],
            }
        ],
        {"k": "same"},
        {"k": "same"},
        {"step:experiment_1"},
        {"branch:experiment_1:A", "branch:experiment_1:B"},  # one of the two: see below
    ),
    (
        "throttle passed, then throttled",
        [throttle_step()],
        {},
        {},
        {"outcome:throttle_1:passed", "outcome:throttle_1:throttled"},
        set(),
    ),
    (
        "fetch succeeded, then failed",
        [fetch_step()],
        {},
        {},
        {"outcome:fetch_1:succeeded", "outcome:fetch_1:failed"},
        set(),
    ),
]


@pytest.mark.parametrize(("name", "steps", "first", "second", "seen", "missed"), CASES)
def test_each_step_type_reports_its_outcomes(
    name: str,
    steps: list[dict[str, Any]],
    first: dict[str, Any],
    second: dict[str, Any],
    seen: set[str],
    missed: set[str],
) -> None:
    emu = make_emulator(workflow("wf1", *steps), http_responder=answers(200, 404))
    emu.identify("u1", email="ada@example.com")
    collector = Collector()
    collector.attach(emu)
    run_twice(emu, first, second)
    hit, not_hit = covered(collector, "wf1")
    assert seen <= hit, name
    if name.startswith("an experiment"):  # one key, one cohort: the other is missed
        assert len(not_hit) == 1
        assert not_hit < missed
    else:
        assert not_hit == missed, name


def test_trigger_conditions_and_skip_reasons_are_counted() -> None:
    wf = workflow("wf1", email(), conditions=cond("data.go", "equal_to", "yes"))
    emu = make_emulator(wf)
    emu.identify("u1")  # no email: the channel step is skipped
    collector = Collector()
    collector.attach(emu)
    run_twice(emu, {"go": "yes"}, {"go": "no"})
    hit, not_hit = covered(collector, "wf1")
    assert {"condition::trigger:true", "condition::trigger:false"} <= hit
    assert not_hit == {"outcome:email_1:delivered"}
    [wf_cov] = collector.data().workflows.values()
    reasons = wf_cov.items["outcome:email_1:skipped"].reasons
    assert reasons == {
        "the recipient has no email (identify them with an email, or set to_address)": 1
    }


def test_preference_conditions_become_items_once_they_decide_a_message() -> None:
    emu = make_emulator(workflow("wf1", email()))
    emu.identify("u1", email="ada@example.com")
    collector = Collector()
    collector.attach(emu)
    emu.trigger("wf1", ["u1"], data={})
    items = collector.data().workflows["wf1.json::wf1"].items
    assert "condition:email_1:preferences:true" not in items
    rule = {"conditions": [{"variable": "data.ok", "operator": "equal_to", "argument": "y"}]}
    emu.set_preferences("u1", {"workflows": {"wf1": rule}})
    run_twice(emu, {"ok": "y"}, {"ok": "n"})
    hit, not_hit = covered(collector, "wf1")
    assert {"condition:email_1:preferences:true", "condition:email_1:preferences:false"} <= hit
    assert not_hit == set()


def test_start_counts_every_emulator_built_until_stop() -> None:
    collector = Collector()
    collector.start()
    try:
        counted = Emulator.from_directory(FIXTURES / "workflows")
    finally:
        collector.stop()
    uncounted = Emulator.from_directory(FIXTURES / "workflows")
    for emu in (counted, uncounted):
        emu.identify("u1", email="ada@example.com")
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": "i1", "amount": 1})
    hit, not_hit = covered(collector, "invoice-created")
    wf = collector.data().workflows
    assert {w.key for w in wf.values()} == {"invoice-created", "invoice-updated", "unseen-fallback"}
    item = next(w for w in wf.values() if w.key == "invoice-created").items
    assert item["step:email_1"].hits == 1  # the emulator built after stop() is not counted
    assert "step:email_1" in hit
    assert "outcome:email_1:skipped" in not_hit


def test_an_emulator_without_observers_has_none() -> None:
    assert not make_emulator(workflow("wf1", email()))._engine.observers


@pytest.mark.parametrize(
    ("directory", "key", "item", "location"),
    [
        (
            "workflows",
            "invoice-updated",
            "branch:branch_1:Payee",
            "fixtures/workflows/invoice-updated.yaml:9",
        ),
        (
            "knock",
            "invoice-updated",
            "branch:branch_1:User",
            "workflow.json:$.steps[0].branches[1]",
        ),
    ],
)
def test_items_point_at_the_yaml_line_or_the_json_path(
    directory: str, key: str, item: str, location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES.parent)
    collector = Collector()
    collector.attach(Emulator.from_directory(f"fixtures/{directory}"))
    [wf] = [w for w in collector.data().workflows.values() if w.key == key]
    assert wf.items[item].location.endswith(location)


class Recorder(RunObserver):
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def step_reached(self, workflow: Workflow, ref: str) -> None:
        self.calls.append(("reached", ref))

    def branch_taken(self, workflow: Workflow, ref: str, branch: str) -> None:
        self.calls.append(("branch", ref, branch))


def test_a_run_observer_sees_steps_and_branches_in_order() -> None:
    emu = make_emulator(workflow("wf1", branch_step(), email()))
    recorder = Recorder()
    emu.add_run_observer(recorder)
    emu.trigger("wf1", ["u1"], data={"size": "big"})
    assert recorder.calls == [
        ("reached", "branch_1"),
        ("branch", "branch_1", "Big"),
        ("reached", "email_1"),
    ]


def test_data_files_round_trip_and_combine_by_summing(tmp_path: Path) -> None:
    emu = make_emulator(workflow("wf1", email()))
    emu.identify("u1", email="ada@example.com")
    collector = Collector()
    collector.attach(emu)
    emu.trigger("wf1", ["u1"])
    first = write_data(collector.data(), tmp_path / "a.json")
    second = write_data(collector.data(), tmp_path / "b.json")
    assert read_data(first).to_json() == collector.data().to_json()
    combined = combine_files([first, second])
    assert combined.workflows["wf1.json::wf1"].items["step:email_1"].hits == 2
    assert combined.counts()[2] == collector.data().counts()[2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON coverage data"),
        ('{"format": "other"}', "not Doorstep coverage data"),
        ('{"format": "doorstep-coverage", "version": 9}', "coverage data version 9"),
    ],
)
def test_bad_data_files_name_the_file_and_the_fix(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "cov.json"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=message) as info:
        read_data(path)
    assert str(path) in str(info.value)


def test_term_missing_names_each_missed_item_with_its_location() -> None:
    emu = make_emulator(workflow("wf1", branch_step()))
    collector = Collector()
    collector.attach(emu)
    emu.trigger("wf1", ["u1"], data={"plan": "pro"})
    text = term_report(collector.data(), missing=True)
    lines = text.splitlines()
    assert lines[0].split() == ["Workflow", "File", "Steps", "Miss", "Outcomes", "Miss", "Cover"]
    assert lines[2].split() == ["wf1", "wf1.json", "1", "0", "3", "2", "50%"]
    assert lines[-2:] == [
        f"  wf1  branch_1{SEP}Big      wf1.json:$.steps[0].branches[1]",
        f"  wf1  branch_1{SEP}Default  wf1.json:$.steps[0].branches[2]",
    ]
    assert "Missed:" not in term_report(collector.data())


def test_json_schema_v1_summary() -> None:
    data = CoverageData()
    raw = data.to_json()
    assert raw == {
        "format": "doorstep-coverage",
        "version": 1,
        "summary": {
            "steps": {"covered": 0, "total": 0},
            "outcomes": {"covered": 0, "total": 0},
            "total": {"covered": 0, "total": 0},
            "percent": 100.0,
        },
        "workflows": [],
    }
    assert json.loads(json.dumps(raw)) == raw


def test_outcomes_that_are_no_items_are_listed_as_other_outcomes() -> None:
    emu = make_emulator(workflow("wf1", fetch_step()), http_responder=answers(503, 200))
    collector = Collector()
    collector.attach(emu)
    emu.trigger("wf1", ["u1"])
    emu.advance(minutes=1)
    [wf] = collector.data().workflows.values()
    assert wf.extra == {f"fetch_1{SEP}retried": 1}
    assert wf.items["outcome:fetch_1:succeeded"].hits == 1
