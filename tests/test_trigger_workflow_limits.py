"""trigger_workflow cycles end (depth and run-count limits) and Knock's defaults render as Knock
renders them, even in strict mode; `doorstep validate` reports static cycles."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from wfbuild import in_app, make_emulator, workflow

# Imported up front: pytester's in-process runs drop modules first imported inside them, and
# libyaml's C parser cannot be imported twice (see test_plugin_fixtures).
import emulator.scenarios  # noqa: F401
from emulator import DoorstepError
from emulator.cli._main import main
from emulator.http import knock_app
from emulator.http._server import ServerThread
from emulator.http.knock._run_events import run_detail_json
from emulator.lint import validate

pytest_plugins = ["pytester"]

DEPTH = 10  # README "Where Knock's documentation is silent"
NESTED_RUNS = 5000


def trigger(target: str, **settings: Any) -> dict[str, Any]:
    settings["workflow_key"] = target
    return {"ref": f"to_{target}", "type": "trigger_workflow", "settings": settings}


CYCLES = {
    "A -> A": [workflow("loop", trigger("loop"))],
    "A -> B -> A": [
        workflow("ping", in_app(), trigger("pong")),
        workflow("pong", trigger("ping")),
    ],
}


@pytest.mark.parametrize("name", list(CYCLES))
def test_a_cycle_ends_with_a_failed_run_that_says_why(name: str) -> None:
    emu = make_emulator(*CYCLES[name])
    started = time.monotonic()
    first = emu.trigger(CYCLES[name][0].key, ["u1"]).runs[0]
    assert time.monotonic() - started < 5
    runs = emu.runs()
    assert len(runs) == DEPTH + 1
    assert first.status == "completed"
    [failed] = [r for r in runs if r.status == "failed"]
    assert "trigger_depth_exceeded" in (failed.ended_because or "")
    assert "nested more than 10 deep" in (failed.ended_because or "")
    detail = run_detail_json(failed, lambda i: emu.message(i).channel_type)
    errors = [e for e in detail["events"] if e["event"] == "step_failed"]
    assert "A -> B -> A" in errors[0]["data"]["error"]


@pytest.mark.parametrize("name", list(CYCLES))
def test_a_cycle_in_strict_mode_raises_instead_of_hanging(name: str) -> None:
    emu = make_emulator(*CYCLES[name], strict=True)
    with pytest.raises(DoorstepError, match="trigger_depth_exceeded"):
        emu.trigger(CYCLES[name][0].key, ["u1"])


def test_a_cycle_that_fans_out_stops_at_the_run_cap() -> None:
    recipients = '["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]'
    emu = make_emulator(workflow("fan", trigger("fan", recipients=recipients)))
    emu.trigger("fan", ["u1"])
    runs = emu.runs()
    assert len(runs) <= 1 + NESTED_RUNS
    assert any("trigger_runs_exceeded" in (r.ended_because or "") for r in runs)


def test_runs_of_one_trigger_for_several_recipients_share_the_run_cap() -> None:
    # Their descendants are one family: each root counting alone would let 2x the cap run.
    recipients = '["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]'
    emu = make_emulator(workflow("fan", trigger("fan", recipients=recipients)))
    emu.trigger("fan", ["u1", "u2"])
    runs = emu.runs()
    assert NESTED_RUNS - 10 <= len(runs) - 2 <= NESTED_RUNS
    assert any("trigger_runs_exceeded" in (r.ended_because or "") for r in runs)


def test_a_chain_within_the_limit_runs_to_the_end() -> None:
    chain = [workflow(f"wf-{i}", trigger(f"wf-{i + 1}")) for i in range(DEPTH)]
    emu = make_emulator(*chain, workflow(f"wf-{DEPTH}", in_app()))
    emu.trigger("wf-0", ["u1"])
    assert {r.status for r in emu.runs()} == {"completed"}
    assert len(emu.messages()) == 1


# Knock's defaults ({{ actor.id }}, {{ tenant.id }}, {{ workflow.cancellation_key }}) render
# empty when the parent run has none, also in strict mode (the default of `doorstep run`).
DEFAULTS = [
    # trigger kwargs, the child's (actor, tenant, cancellation_key)
    ({}, (None, None, None)),
    ({"actor": "u0"}, ("u0", None, None)),
    ({"tenant": "acme"}, (None, "acme", None)),
    ({"actor": "u0", "tenant": "acme", "cancellation_key": "k1"}, ("u0", "acme", "k1")),
]


@pytest.mark.parametrize(("kwargs", "expected"), DEFAULTS)
def test_default_settings_render_as_knock_does_in_strict_mode(
    kwargs: dict[str, Any], expected: tuple[str | None, ...]
) -> None:
    parent = workflow("parent", trigger("child"))
    emu = make_emulator(parent, workflow("child", in_app(body="hi")), strict=True)
    if "actor" in kwargs:
        emu.identify("u0")
    run = emu.trigger("parent", ["u1"], **kwargs).runs[0]
    [child] = emu.runs(workflow="child")
    assert run.status == child.status == "completed"
    assert (child.actor, child.tenant, child.cancellation_key) == expected


def test_a_setting_the_user_wrote_still_fails_strict_mode() -> None:
    parent = workflow("parent", trigger("child", actor="{{ data.who }}"))
    emu = make_emulator(parent, workflow("child", in_app(body="hi")), strict=True)
    with pytest.raises(DoorstepError, match=r"data\.who"):
        emu.trigger("parent", ["u1"])


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


STEP = (
    "name: {name}\nsteps:\n  - ref: {ref}\n    type: trigger_workflow\n{cond}"
    "    settings:\n      workflow_key: {to}\n"
)
GUARD = "    conditions:\n      all: [{variable: data.n, operator: less_than, argument: 3}]\n"


def wf(ref: str, to: str, cond: str = "") -> str:
    return STEP.format(name=ref, ref=ref, to=to, cond=cond)


LINT = [
    # files, expected (severity, file, line) of each trigger-cycle finding
    ({"loop.yaml": wf("again", "loop")}, [("error", "loop.yaml", 6)]),
    (
        {"wf-a.yaml": wf("go_b", "wf-b"), "wf-b.yaml": wf("back", "wf-a")},
        [("error", "wf-a.yaml", 6)],
    ),
    ({"loop.yaml": wf("again", "loop", GUARD)}, [("warning", "loop.yaml", 8)]),
    ({"wf-a.yaml": wf("go_b", "wf-b"), "wf-b.yaml": "name: B\nsteps: []\n"}, []),
    ({"loop.yaml": wf("again", '"{{ data.next }}"')}, []),
]


@pytest.mark.parametrize(("files", "expected"), LINT)
def test_validate_reports_static_cycles_with_file_and_line(
    tmp_path: Path, files: dict[str, str], expected: list[tuple[str, str, int]]
) -> None:
    report = validate(write(tmp_path, files))
    found = [
        (f.severity, Path(f.file).name, f.line)
        for f in report.findings
        if f.rule == "trigger-cycle"
    ]
    assert found == expected


SCENARIO = """\
name: A workflow that triggers itself
workflows: {workflows}
users:
  - {{id: u1, name: Ada, email: ada@example.com}}
steps:
  - trigger: loop
    recipients: [u1]
"""


def test_doorstep_run_with_a_cycle_ends_and_reports_it(tmp_path: Path) -> None:
    workflows = tmp_path / "wf"
    workflows.mkdir()
    write(workflows, {"loop.yaml": wf("again", "loop")})
    scenario = tmp_path / "loop.scenario.yaml"
    scenario.write_text(SCENARIO.format(workflows=workflows), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = main(["run", str(scenario)], out=out, err=err)
    assert time.monotonic() - started < 10
    assert code == 1
    assert "trigger_depth_exceeded" in out.getvalue() + err.getvalue()


PLUGIN_TEST = """
import pytest
from emulator import DoorstepError

def test_cycle(emulator):
    with pytest.raises(DoorstepError, match="trigger_depth_exceeded"):
        emulator.trigger("loop", ["u1"])
    assert len(emulator.runs()) == 11
"""


def test_pytest_plugin_with_a_cycle_ends(pytester: pytest.Pytester) -> None:
    workflows = pytester.path / "fixtures" / "workflows"
    workflows.mkdir(parents=True)
    write(workflows, {"loop.yaml": wf("again", "loop")})
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:benchmark\n"
    )
    pytester.makepyfile(PLUGIN_TEST)
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("name", list(CYCLES))
def test_the_knock_api_answers_a_cycle_and_its_run_says_why(name: str) -> None:
    emu = make_emulator(*CYCLES[name])
    headers = {"Authorization": "Bearer sk_test"}
    with ServerThread(knock_app(emu)) as server, httpx.Client(timeout=10) as client:
        base = server.base_url
        key = CYCLES[name][0].key
        started = time.monotonic()
        answer = client.post(
            f"{base}/v1/workflows/{key}/trigger", json={"recipients": ["u1"]}, headers=headers
        )
        assert time.monotonic() - started < 5
        assert answer.status_code == 200
        [failed] = [r for r in emu.runs() if r.status == "failed"]
        run = client.get(f"{base}/v1/workflow_recipient_runs/{failed.id}", headers=headers).json()
        errors = [e["data"]["error"] for e in run["events"] if e["event"] == "step_failed"]
        assert errors
        assert all("trigger_depth_exceeded" in error for error in errors)
