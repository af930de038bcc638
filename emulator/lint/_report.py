"""What `doorstep validate` reports: findings, the report that holds them, and its three formats
(`text` for people, `json` for tools, `github` for workflow-command annotations in CI)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint result; `line` is 1-based in `file` when it could be found."""

    severity: str  # error | warning | hint (hints never fail validate, not even --strict)
    rule: str
    file: str
    line: int | None
    path: str
    message: str
    fix: str = ""


@dataclass(slots=True)
class Report:
    """Every finding for one directory, and how many definitions it holds."""

    directory: str
    findings: list[Finding] = field(default_factory=list)
    workflows: int = 0
    layouts: int = 0
    partials: int = 0

    @property
    def errors(self) -> list[Finding]:
        """The findings that fail `doorstep validate`."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that fail it only with `--strict`."""
        return [f for f in self.findings if f.severity == "warning"]

    def exit_code(self, *, strict: bool = False) -> int:
        """1 when there are errors (or, with `strict`, warnings): what CI should fail on."""
        return 1 if self.errors or (strict and self.warnings) else 0


def format_report(report: Report, fmt: str) -> str:
    """The report as `json`, `github` annotations, or text (any other `fmt`)."""
    if fmt == "json":
        return _as_json(report)
    if fmt == "github":
        return _as_github(report)
    return _as_text(report)


def _as_json(report: Report) -> str:
    body = {
        "directory": report.directory,
        "ok": not report.errors,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "workflows": report.workflows,
        "layouts": report.layouts,
        "partials": report.partials,
        "findings": [asdict(f) for f in report.findings],
    }
    return json.dumps(body, indent=2) + "\n"


def _as_github(report: Report) -> str:
    out = []
    for f in report.findings:
        level = {"error": "error", "warning": "warning"}.get(f.severity, "notice")
        props = f"file={_gh_prop(f.file)}" + (f",line={f.line}" if f.line else "")
        props += f",title={_gh_prop('doorstep ' + f.rule)}"
        text = f"{f.path}: {f.message}" if f.path else f.message
        if f.fix:
            text += f" (fix: {f.fix})"
        out.append(f"::{level} {props}::{_gh_data(text)}")
    out.append(_summary(report))
    return "\n".join(out) + "\n"


def _as_text(report: Report) -> str:
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
