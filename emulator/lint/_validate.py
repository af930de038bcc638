"""`doorstep validate`: load and lint definitions the way CI needs, with file and line.

Loading already reports schema errors, unknown layouts/partials and branches without a default
(rule `schema`). On top of that this lints what only shows up at send time in Knock: template
problems (`_templates`), `refs.<ref>` that cannot have run (`_refs`), and structure (`_structure`:
a channel key used with two channel types, steps no run can reach), and trigger_workflow
cycles (`_cycles`).
"""

from __future__ import annotations

from pathlib import Path

from emulator.core import DefinitionError, Problem
from emulator.definitions import Workflow, load_definitions
from emulator.lint._cycles import lint_cycles
from emulator.lint._lines import LineFinder
from emulator.lint._refs import lint_refs
from emulator.lint._report import Finding, Report
from emulator.lint._structure import lint_channels, lint_unreachable
from emulator.lint._templates import lint_layouts_and_partials, lint_step_templates
from emulator.templates import TemplateRenderer


def validate(directory: str | Path) -> Report:
    """Every finding for the definitions under `directory`, errors first within each file."""
    root = Path(directory)
    report = Report(str(root))
    if not root.is_dir():
        report.findings.append(
            Finding(
                "error",
                "missing",
                str(root),
                None,
                "",
                f"{root} is not a directory",
                "pass the directory that holds your workflows",
            )
        )
        return report
    try:
        defs = load_definitions(root)
    except DefinitionError as exc:
        for p in exc.problems:
            report.findings.append(
                Finding("error", "schema", p.file, p.line, p.path, p.message, p.fix)
            )
        return report
    report.workflows, report.layouts, report.partials = (
        len(defs.workflows),
        len(defs.layouts),
        len(defs.partials),
    )
    report.findings.extend(
        Finding("warning", "empty-file", p.file, p.line, p.path, p.message, p.fix)
        for p in defs.warnings
    )
    renderer = TemplateRenderer(layouts=defs.layouts, partials=defs.partials)
    lines = LineFinder()
    for workflow in defs.workflows.values():
        report.findings.extend(_lint_workflow(workflow, renderer, lines))
    report.findings.extend(lint_channels(defs, lines))
    report.findings.extend(lint_cycles(defs.workflows, lines))
    report.findings.extend(lint_layouts_and_partials(defs, renderer, lines))
    report.findings.sort(key=lambda f: (f.file, f.line or 0, f.severity != "error"))
    return report


def _lint_workflow(wf: Workflow, renderer: TemplateRenderer, lines: LineFinder) -> list[Finding]:
    out = list(lint_step_templates(wf, renderer, lines))
    out.extend(lint_unreachable(wf, wf.steps, "steps", lines))
    out.extend(lint_refs(wf, lines))
    return out


SERVE_REFUSES = frozenset({"liquid-syntax"})
"""Findings `doorstep serve` will not start with: templates that could never render."""


def check_before_serving(directory: str | Path) -> list[Finding]:
    """Raise DefinitionError for what `doorstep serve` refuses (Liquid syntax errors, reported
    as `validate` reports them); return the warnings it should print (empty files)."""
    report = validate(directory)
    refused = [f for f in report.errors if f.rule in SERVE_REFUSES]
    if refused:
        raise DefinitionError([Problem(f.file, f.path, f.message, f.fix, f.line) for f in refused])
    return [f for f in report.warnings if f.rule == "empty-file"]
