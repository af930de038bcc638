"""Reports, in coverage.py's conventions: `term`, `term-missing`, `json:PATH`, `html:DIR`, and
`github` (workflow-command annotations for missed items, like `doorstep validate --format
github`). `write_reports` takes the specs as the pytest option and `doorstep` flags spell them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from emulator.coverage._files import write_data
from emulator.coverage._html import write_html
from emulator.coverage._model import Counts, CoverageData, Item, WorkflowCoverage

DEFAULT_JSON = "doorstep-coverage.json"
DEFAULT_HTML = "doorstep-htmlcov"
KINDS = ("term", "term-missing", "json", "html", "github")


class Writer(Protocol):
    """Where terminal reports go: a text stream, pytest's terminal reporter, ..."""

    def write(self, text: str, /) -> object:
        """Write `text` as it is."""


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """One requested report: its kind and, for `json` and `html`, where to write it."""

    kind: str
    target: str = ""


def parse_report_spec(text: str) -> ReportSpec:
    """`term`, `term-missing`, `github`, `json[:PATH]`, `html[:DIR]`; ValueError says what is
    allowed."""
    kind, _, target = text.strip().partition(":")
    if kind not in KINDS or (target and kind not in ("json", "html")):
        raise ValueError(
            f"unknown coverage report {text!r}: use term, term-missing, github, json:PATH or "
            "html:DIR"
        )
    default = {"json": DEFAULT_JSON, "html": DEFAULT_HTML}.get(kind, "")
    return ReportSpec(kind, target or default)


def write_reports(data: CoverageData, specs: Iterable[ReportSpec], out: Writer) -> None:
    """Write every requested report: terminal ones to `out`, files where their spec says."""
    for spec in specs:
        if spec.kind in ("term", "term-missing"):
            out.write(term_report(data, missing=spec.kind == "term-missing"))
        elif spec.kind == "github":
            out.write(github_report(data))
        elif spec.kind == "json":
            path = write_data(data, spec.target)
            out.write(f"Workflow coverage JSON written to {path}\n")
        elif spec.kind == "html":
            index = write_html(data, Path(spec.target))
            out.write(f"Workflow coverage HTML written to {index}\n")


def percent_text(counts: Counts) -> str:
    """Rounded down, so 100% means everything was covered."""
    return f"{int(counts.percent)}%"


def term_report(data: CoverageData, *, missing: bool = False) -> str:
    """The table: per workflow, steps and outcomes with their misses, and the total cover."""
    rows: list[tuple[str, ...]] = [
        ("Workflow", "File", "Steps", "Miss", "Outcomes", "Miss", "Cover")
    ]
    for w in data.sorted():
        rows.append(_row(w.key, w.file, w.steps, w.outcomes))
    steps, outcomes, _ = data.counts()
    total = (*_row("TOTAL", "", steps, outcomes)[:1], "", *_row("TOTAL", "", steps, outcomes)[2:])
    widths = [max(len(r[i]) for r in [*rows, total]) for i in range(7)]

    def line(row: tuple[str, ...]) -> str:
        left = [row[i].ljust(widths[i]) for i in (0, 1)]
        right = [row[i].rjust(widths[i]) for i in range(2, 7)]
        return "  ".join(left + right).rstrip()

    rule = "-" * len(line(rows[0]))
    text = [line(rows[0]), rule]
    text += [line(r) for r in rows[1:]]
    text += [rule, line(total)]
    if missing:
        text += _missing_lines(data)
    return "\n".join(text) + "\n"


def _row(key: str, file: str, steps: Counts, outcomes: Counts) -> tuple[str, ...]:
    return (
        key,
        file or "(in code)",
        str(steps.total),
        str(steps.missed),
        str(outcomes.total),
        str(outcomes.missed),
        percent_text(steps + outcomes),
    )


def _missing_lines(data: CoverageData) -> list[str]:
    missed = [(w, i) for w in data.sorted() for i in w.missed()]
    if not missed:
        return ["Missed: nothing"]
    key_width = max(len(w.key) for w, _ in missed)
    label_width = max(len(i.label) for _, i in missed)
    out = ["Missed:"]
    for w, item in missed:
        out.append(f"  {w.key.ljust(key_width)}  {item.label.ljust(label_width)}  {item.location}")
    return out


def missed_text(workflow: WorkflowCoverage, item: Item) -> str:
    """One sentence for a missed item: what never happened."""
    what = {
        "step": "was never reached",
        "branch": "was never taken",
        "condition": "was never seen",
        "outcome": "never happened",
    }.get(item.kind, "was never seen")
    return f"{workflow.key}: {item.label} {what}"


def github_report(data: CoverageData) -> str:
    """`::warning file=...,line=...::` per missed item, then a summary line."""
    out = []
    for workflow in data.sorted():
        for item in workflow.missed():
            file, _, where = item.location.partition(":")
            props = f"file={_gh_prop(file or workflow.key)}"
            if where.isdigit():
                props += f",line={where}"
            text = missed_text(workflow, item) + ("" if where.isdigit() else f" ({where})")
            props += f",title={_gh_prop('doorstep coverage')}"
            out.append(f"::warning {props}::{_gh_data(text)}")
    total = data.counts()[2]
    out.append(f"Doorstep workflow coverage: {percent_text(total)} ({total.missed} items missed)")
    return "\n".join(out) + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")
