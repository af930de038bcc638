"""`doorstep run --coverage` and `doorstep coverage combine|report`; the HTML, JSON and GitHub
reports they write."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from emulator.cli._main import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(str(p) for p in (ROOT / "fixtures" / "scenarios").glob("*.scenario.yaml"))
SEP = " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "


def doorstep(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(args), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOORSTEP_COVERAGE_REPORT", raising=False)


@pytest.mark.parametrize(
    ("fail_under", "code", "verdict"),
    [
        ("95", 2, "FAIL Required workflow coverage of 95% not reached. Total coverage: 84.21%"),
        ("84", 0, "Required workflow coverage of 84% reached. Total coverage: 84.21%"),
    ],
)
def test_run_coverage_reports_and_fails_under(fail_under: str, code: int, verdict: str) -> None:
    status, out, _ = doorstep(
        "run",
        *SCENARIOS,
        "--coverage",
        "--coverage-report=term-missing",
        "--fail-under",
        fail_under,
    )
    assert status == code
    assert f"{len(SCENARIOS)} of {len(SCENARIOS)} scenarios passed" in out
    assert re.search(r"^TOTAL\s+12\s+0\s+26\s+6\s+84%$", out, re.MULTILINE)
    assert re.search(
        rf"invoice-updated\s+email_1{SEP}skipped\s+\S+invoice-updated.yaml:63$", out, re.M
    )
    assert out.rstrip().endswith(verdict)


def test_run_without_coverage_prints_no_report() -> None:
    status, out, _ = doorstep("run", *SCENARIOS)
    assert status == 0
    assert "workflow coverage" not in out


def test_combine_then_report_equals_one_run(tmp_path: Path) -> None:
    half = len(SCENARIOS) // 2
    doorstep("run", *SCENARIOS[:half], "--coverage", "--coverage-report=json:a.json")
    doorstep("run", *SCENARIOS[half:], "--coverage", "--coverage-report=json:b.json")
    doorstep("run", *SCENARIOS, "--coverage", "--coverage-report=json:all.json")
    status, out, _ = doorstep("coverage", "combine", "a.json", "b.json", "-o", "both.json")
    assert status == 0
    assert "Combined 2 file(s) into both.json: 3 workflows, 32 of 38 items covered (84.21%)" in out
    both = json.loads((tmp_path / "both.json").read_text())
    assert both == json.loads((tmp_path / "all.json").read_text())
    status, out, _ = doorstep(
        "coverage", "report", "a.json", "b.json", "--report", "term", "--fail-under", "90"
    )
    assert status == 2
    assert re.search(r"^TOTAL\s+12\s+0\s+26\s+6\s+84%$", out, re.MULTILINE)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing.json: cannot read coverage data"),
        ("[]", "missing.json: not Doorstep coverage data"),
    ],
)
def test_report_names_a_bad_file(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "missing.json").write_text(content)
    status, _, err = doorstep("coverage", "report", "missing.json")
    assert status == 1
    assert message in err


def test_bad_report_types_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        doorstep("run", *SCENARIOS, "--coverage", "--coverage-report=xml")
    assert "unknown coverage report 'xml'" in capsys.readouterr().err
    monkeypatch.setenv("DOORSTEP_COVERAGE_REPORT", "term,pdf")
    with pytest.raises(SystemExit):
        doorstep("coverage", "report", "x.json")
    assert "DOORSTEP_COVERAGE_REPORT='term,pdf' is invalid" in capsys.readouterr().err


def test_environment_report_twin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOORSTEP_COVERAGE", "on")
    monkeypatch.setenv("DOORSTEP_COVERAGE_REPORT", "json:env.json")
    status, out, _ = doorstep("run", *SCENARIOS[:1])
    assert status == 0
    assert "Workflow coverage JSON written to env.json" in out
    assert json.loads((tmp_path / "env.json").read_text())["version"] == 1


def test_html_report_is_self_contained_and_sorted_by_coverage(tmp_path: Path) -> None:
    doorstep("run", *SCENARIOS, "--coverage", "--coverage-report=html:cov")
    index = (tmp_path / "cov" / "index.html").read_text()
    keys = re.findall(r'<a href="wf-[^"]+">([^<]+)</a>', index)
    assert keys == ["invoice-updated", "invoice-created", "unseen-fallback"]  # 81, 83, 90%
    pages = sorted((tmp_path / "cov").glob("wf-*.html"))
    assert len(pages) == 3
    for page in [tmp_path / "cov" / "index.html", *pages]:
        text = page.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        assert "<script" not in text
    [fallback] = [p for p in pages if "unseen-fallback" in p.name]
    text = fallback.read_text()
    assert re.search(r'class="item miss ">skipped</span> <span class="count">0 hits', text)
    assert re.search(r'class="item hit step">email_1</span> <span class="count">2 hits', text)
    assert "conditions are false &times;1" in text  # the skip reason, with its count


def test_github_annotations_point_at_missed_items() -> None:
    _, out, _ = doorstep("run", *SCENARIOS, "--coverage", "--coverage-report=github")
    lines = [line for line in out.splitlines() if line.startswith("::warning ")]
    assert len(lines) == 6
    assert re.fullmatch(
        r"::warning file=\S+/invoice-updated.yaml,line=63,title=doorstep coverage::"
        rf"invoice-updated: email_1{SEP}skipped never happened",
        lines[4],
    )
    assert "Doorstep workflow coverage: 84% (6 items missed)" in out
