"""`doorstep validate`: load and lint definitions the way CI needs, with file and line.

Loading already reports schema errors, unknown layouts/partials and branches without a default.
On top of that this lints what only shows up at send time in Knock: Liquid syntax errors in any
template field, variables the trigger data schema does not define, unknown variable roots,
a channel key used with two channel types, and steps no run can reach.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from emulator.core._errors import DefinitionError
from emulator.definitions import load_definitions
from emulator.definitions._model import (
    BranchStep,
    ChannelStep,
    Definitions,
    FetchStep,
    Step,
    UpdateStep,
    Workflow,
)
from emulator.lint._refs import RefUse, bad_refs, refs_before
from emulator.templates import TemplateError, TemplateRenderer
from emulator.templates._context import RESERVED_NAMES
from emulator.templates._diagnostics import TemplateLocation

# What Knock puts in a workflow template's scope (batch variables included: any step may follow
# a batch). Locals from `assign`, `capture` and loops are not globals, so they never show here.
KNOWN_ROOTS = frozenset(RESERVED_NAMES) | {"refs", "message", "sender", "channel", "now"}
_TEMPLATE_REF = re.compile(r"\brefs\.([A-Za-z0-9_-]+)")


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint result; `line` is 1-based in `file` when it could be found."""

    severity: str  # error | warning
    rule: str
    file: str
    line: int | None
    path: str
    message: str
    fix: str = ""


@dataclass(slots=True)
class Report:
    directory: str
    findings: list[Finding] = field(default_factory=list)
    workflows: int = 0
    layouts: int = 0
    partials: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def exit_code(self, *, strict: bool = False) -> int:
        return 1 if self.errors or (strict and self.warnings) else 0


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
    renderer = TemplateRenderer(layouts=defs.layouts, partials=defs.partials)
    lines = _LineFinder()
    for workflow in defs.workflows.values():
        report.findings.extend(_lint_workflow(workflow, renderer, lines))
    report.findings.extend(_lint_channels(defs, lines))
    for layout in defs.layouts.values():
        for name in ("html_layout", "text_layout"):
            src = getattr(layout, name)
            where = TemplateLocation(f"layout:{layout.key}", "-", name)
            found = _syntax(renderer, src, where, layout.source.file, f"{name}", lines)
            if found:
                report.findings.append(found)
    for partial in defs.partials.values():
        where = TemplateLocation(f"partial:{partial.key}", "-", "content")
        found = _syntax(renderer, partial.content, where, partial.source.file, "content", lines)
        if found:
            report.findings.append(found)
    report.findings.sort(key=lambda f: (f.file, f.line or 0, f.severity != "error"))
    return report


# -- workflow lints -----------------------------------------------------------------------------
def _lint_workflow(wf: Workflow, renderer: TemplateRenderer, lines: _LineFinder) -> list[Finding]:
    out: list[Finding] = []
    properties, closed = _schema_properties(wf.trigger_data_json_schema)
    # Fetch and update_data steps merge new keys into `data`, so the schema is not the whole story.
    data_grows = any(isinstance(s, FetchStep | UpdateStep) for s in wf.iter_steps())
    for step in wf.iter_steps():
        if not isinstance(step, ChannelStep):
            continue
        for path, text in _template_strings(step.template):
            if "{{" not in text and "{%" not in text:
                continue
            file = step.source.file
            json_path = f"{step.source.path}.template.{path}"
            where = TemplateLocation(wf.key, step.ref, path)
            problem = _syntax(renderer, text, where, file, json_path, lines)
            if problem is not None:
                out.append(problem)
                continue
            template = renderer.env.from_string(text)
            for segments in template.global_variable_segments():
                names = [str(s) for s in segments]
                dotted = ".".join(names)
                line = lines.find(file, text, dotted.split(".")[-1])
                if names[0] not in KNOWN_ROOTS:
                    out.append(
                        Finding(
                            "warning",
                            "unknown-variable",
                            file,
                            line,
                            json_path,
                            f"step `{step.ref}` {path} uses `{dotted}`, but `{names[0]}` is not a "
                            "variable Knock provides (it renders empty)",
                            f"use one of {', '.join(sorted(KNOWN_ROOTS))}, or `assign` it first",
                        )
                    )
                elif (
                    names[0] == "data"
                    and len(names) > 1
                    and properties is not None
                    and names[1] not in properties
                    and not data_grows
                ):
                    severity = "error" if closed else "warning"
                    out.append(
                        Finding(
                            severity,
                            "undefined-variable",
                            file,
                            line,
                            json_path,
                            f"step `{step.ref}` {path} uses `{dotted}`, but the workflow's "
                            f"trigger_data_json_schema defines only "
                            f"{', '.join(sorted(properties)) or 'no properties'}",
                            f"add `{names[1]}` to trigger_data_json_schema.properties, or fix "
                            "the variable name",
                        )
                    )
    out.extend(_unreachable(wf, wf.steps, "steps", lines))
    out.extend(_lint_refs(wf, lines))
    return out


def _lint_refs(wf: Workflow, lines: _LineFinder) -> Iterator[Finding]:
    """`refs.<ref>` in conditions and templates must name a step that can have run by then."""
    before = refs_before(wf)
    uses = list(bad_refs(wf))
    for step in wf.iter_steps():
        if isinstance(step, ChannelStep):
            for path, text in _template_strings(step.template):
                for ref in sorted(set(_TEMPLATE_REF.findall(text)) - before[step.ref]):
                    source = step.source.at(f"template.{path}")
                    uses.append(RefUse(ref, source, f"step `{step.ref}` {path}", ref in before))
    for use in uses:
        file = use.source.file
        line = lines.find(file, "", f"refs.{use.ref}")
        if use.known:
            yield Finding(
                "warning",
                "ref-not-run-yet",
                file,
                line,
                use.source.path,
                f"{use.where} read `refs.{use.ref}`, but `{use.ref}` cannot have run at that "
                "point (it comes later, or sits in another branch), so it always reads as "
                "skipped (empty in a template)",
                f"point the condition at a step before it, or move `{use.ref}` earlier",
            )
        else:
            known = ", ".join(sorted(before)) or "none"
            yield Finding(
                "error",
                "unknown-ref",
                file,
                line,
                use.source.path,
                f"{use.where} read `refs.{use.ref}`, but workflow `{wf.key}` has no step "
                f"`{use.ref}`, so it always reads as skipped (empty in a template): silently "
                "wrong rather than an error in Knock",
                f"use one of the workflow's step refs ({known})",
            )


def _schema_properties(schema: Mapping[str, Any] | None) -> tuple[set[str] | None, bool]:
    if not schema or not isinstance(schema.get("properties"), Mapping):
        return None, False
    return set(schema["properties"]), schema.get("additionalProperties") is False


def _unreachable(
    wf: Workflow, steps: Sequence[Step], path: str, lines: _LineFinder
) -> Iterator[Finding]:
    for index, step in enumerate(steps):
        if not isinstance(step, BranchStep):
            continue
        for b_index, branch in enumerate(step.branches):
            yield from _unreachable(
                wf, branch.steps, f"{path}[{index}].branches[{b_index}].steps", lines
            )
        rest = steps[index + 1 :]
        if rest and all(b.terminates for b in step.branches):
            first = rest[0]
            refs = ", ".join(f"`{s.ref}`" for s in rest)
            yield Finding(
                "error",
                "unreachable-step",
                first.source.file,
                lines.step_line(first),
                f"{path}[{index + 1}]",
                f"{refs} in workflow `{wf.key}` can never run: every branch of `{step.ref}` "
                "terminates the workflow",
                f"remove `terminates: true` from a branch of `{step.ref}`, or move the steps into "
                "a branch",
            )


def _lint_channels(defs: Definitions, lines: _LineFinder) -> Iterator[Finding]:
    """A channel key is one channel; using it with two channel types cannot both work."""
    seen: dict[str, tuple[str, str, str]] = {}
    for wf in defs.workflows.values():
        for step in wf.iter_steps():
            if not isinstance(step, ChannelStep) or step.channel_key is None:
                continue
            first = seen.setdefault(step.channel_key, (step.channel_type, wf.key, step.ref))
            if first[0] != step.channel_type:
                yield Finding(
                    "error",
                    "unknown-channel",
                    step.source.file,
                    lines.step_line(step),
                    f"{step.source.path}.channel_key",
                    f"step `{step.ref}` sends {step.channel_type} through channel "
                    f"`{step.channel_key}`, which `{first[1]}`/`{first[2]}` uses as {first[0]}",
                    f"use a {step.channel_type} channel key for `{step.ref}`",
                )


def _template_strings(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield prefix, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _template_strings(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _template_strings(item, f"{prefix}[{i}]")


def _syntax(
    renderer: TemplateRenderer,
    text: str,
    where: TemplateLocation,
    file: str,
    path: str,
    lines: _LineFinder,
) -> Finding | None:
    try:
        renderer.check_syntax(text, where)
    except TemplateError as exc:
        base = lines.find(file, text, "")
        line = None if base is None else base + (exc.line or 1) - 1
        return Finding(
            "error",
            "liquid-syntax",
            file,
            line,
            path,
            f"{where}: Liquid syntax error: {exc.reason}"
            + (f" (template line {exc.line})" if exc.line else ""),
            "correct the Liquid syntax (check unclosed tags such as {% if %} ... {% endif %})",
        )
    return None


class _LineFinder:
    """Finds where a template (or a token inside it) sits in its file, for annotations.

    Knock CLI templates often live in `@` files next to workflow.json, so the file's own
    directory is searched too; the first match wins. Returns None rather than guess wrong.
    """

    def __init__(self) -> None:
        self._cache: dict[str, list[str]] = {}

    def _lines(self, file: str) -> list[str]:
        if file not in self._cache:
            try:
                self._cache[file] = Path(file).read_text(encoding="utf-8").splitlines()
            except OSError:
                self._cache[file] = []
        return self._cache[file]

    def step_line(self, step: Step) -> int | None:
        """The line that declares `step`: `ref: x` in YAML, `"x"` in workflow.json."""
        file = step.source.file
        return self.find(file, "", f"ref: {step.ref}") or self.find(file, "", f'"{step.ref}"')

    def find(self, file: str, text: str, token: str) -> int | None:
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        lines = self._lines(file)
        start = 0
        if first:
            start_at = next((i for i, ln in enumerate(lines) if first in ln), None)
            if start_at is None:
                return None
            start = start_at
        if not token:
            return start + 1
        hit = next((i for i in range(start, len(lines)) if token in lines[i]), None)
        return None if hit is None else hit + 1


# -- output -------------------------------------------------------------------------------------
def format_report(report: Report, fmt: str) -> str:
    if fmt == "json":
        return (
            json.dumps(
                {
                    "directory": report.directory,
                    "ok": not report.errors,
                    "errors": len(report.errors),
                    "warnings": len(report.warnings),
                    "workflows": report.workflows,
                    "layouts": report.layouts,
                    "partials": report.partials,
                    "findings": [asdict(f) for f in report.findings],
                },
                indent=2,
            )
            + "\n"
        )
    if fmt == "github":
        out = []
        for f in report.findings:
            level = "error" if f.severity == "error" else "warning"
            props = f"file={_gh_prop(f.file)}" + (f",line={f.line}" if f.line else "")
            props += f",title={_gh_prop('doorstep ' + f.rule)}"
            text = f"{f.path}: {f.message}" if f.path else f.message
            if f.fix:
                text += f" (fix: {f.fix})"
            out.append(f"::{level} {props}::{_gh_data(text)}")
        out.append(_summary(report))
        return "\n".join(out) + "\n"
    out = []
    for f in report.findings:
        where = f.file + (f":{f.line}" if f.line else "")
        out.append(f"{where}: {f.severity}: {f.message} [{f.rule}]")
        if f.path:
            out.append(f"    at {f.path}")
        if f.fix:
            out.append(f"    fix: {f.fix}")
    out.append(_summary(report))
    return "\n".join(out) + "\n"


def _summary(report: Report) -> str:
    head = "OK" if not report.errors else "FAILED"
    return (
        f"{head}: {report.directory}: {report.workflows} workflows, {report.layouts} layouts, "
        f"{report.partials} partials; {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings"
    )


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")
