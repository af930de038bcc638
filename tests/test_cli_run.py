"""`doorstep run`: scenario files, timelines on stdout, exit 1 when an expectation fails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from emulator.cli._main import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "fixtures" / "scenarios"
FAILING = """\
name: Digest expected too early
workflows: {workflows}
users:
  - {{id: u1, name: Ada, email: ada@example.com}}
steps:
  - trigger: invoice-updated
    recipients: [u1]
    data: {{invoice_id: inv_1, status: open}}
  - expect:
      emails:
        - to: ada@example.com
          subject: "1 update to invoice inv_1"
"""


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(["run", *args], out=out, err=err), out.getvalue(), err.getvalue()


def test_passing_scenarios_print_timelines() -> None:
    paths = sorted(str(p) for p in SCENARIOS.glob("*.scenario.yaml"))
    code, out, _ = run(*paths)
    assert code == 0, out
    assert f"{len(paths)} of {len(paths)} scenarios passed" in out
    assert "== Invoice updates to a user are batched into one digest" in out
    assert "message email to 'u1' from invoice-updated/email_1 [delivered]" in out


def test_failing_scenario_exits_1_with_failure_lines(tmp_path: Path) -> None:
    scenario = tmp_path / "early.scenario.yaml"
    scenario.write_text(FAILING.format(workflows=ROOT / "fixtures" / "workflows"))
    code, out, _ = run(str(scenario))
    assert code == 1
    assert f"== Digest expected too early ({scenario}) FAILED" in out
    assert "  FAILURE: " in out
    assert "0 of 1 scenarios passed" in out


def test_workflows_option_fills_in_for_scenarios_without_one(tmp_path: Path) -> None:
    scenario = tmp_path / "no-dir.scenario.yaml"
    scenario.write_text(FAILING.format(workflows="DIR").replace("workflows: DIR\n", ""))
    code, out, _ = run(str(scenario), "--workflows", str(ROOT / "fixtures" / "workflows"))
    assert code == 1  # it ran (and failed on the expectation), so the workflows were found
    assert "FAILURE: " in out


@pytest.mark.parametrize("content", ["name: [unclosed\n", "steps: 3\n"])
def test_unloadable_scenario(tmp_path: Path, content: str) -> None:
    scenario = tmp_path / "bad.scenario.yaml"
    scenario.write_text(content)
    code, out, err = run(str(scenario))
    assert code == 1
    assert f"{scenario}: cannot load scenario" in err
    assert "0 of 1 scenarios passed" in out
