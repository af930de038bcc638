"""Template lints: what only shows up at send time in Knock.

Liquid syntax errors in any template field (steps, layouts, partials) and variables the trigger
data schema does not define. A root that is not one of Knock's variables (`{{ page_name }}`) is
trigger data: Knock puts `data`'s keys at the root too (its own template library relies on it),
so it gets a hint to prefer `data.page_name` (once per workflow), not a warning; with a
trigger_data_json_schema it is checked against the schema exactly as `data.page_name` is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from emulator.definitions import (
    ChannelStep,
    Definitions,
    FetchStep,
    Source,
    UpdateStep,
    Workflow,
    iter_strings,
)
from emulator.lint._lines import LineFinder
from emulator.lint._report import Finding
from emulator.templates import RESERVED_NAMES, TemplateError, TemplateLocation, TemplateRenderer

# What Knock puts in a workflow template's scope (batch variables included: any step may follow
# a batch). Locals from `assign`, `capture` and loops are not globals, so they never show here.
KNOWN_ROOTS = frozenset(RESERVED_NAMES) | {"refs", "message", "sender", "channel", "now"}


def template_strings(template: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path inside the template, text) for every string in a step's template, depth first."""
    for at, text in iter_strings(template, Source()):
        yield at.path, text


def lint_step_templates(
    wf: Workflow, renderer: TemplateRenderer, lines: LineFinder
) -> Iterator[Finding]:
    """Syntax errors and unknown or undefined variables in the templates of `wf`'s steps."""
    variables = _Variables(wf)
    for step in wf.iter_steps():
        if not isinstance(step, ChannelStep):
            continue
        for path, text in template_strings(step.template):
            if "{{" not in text and "{%" not in text:
                continue
            file = step.source.file
            json_path = f"{step.source.path}.template.{path}"
            where = TemplateLocation(wf.key, step.ref, path)
            problem = syntax_finding(renderer, text, where, file, json_path, lines)
            if problem is not None:
                yield problem
                continue
            for segments in renderer.env.from_string(text).global_variable_segments():
                names = [str(s) for s in segments]
                line = lines.find(file, text, ".".join(names).split(".")[-1])
                where_used = f"step `{step.ref}` {path}"
                found = variables.check(names, where_used, file, line, json_path)
                if found is not None:
                    yield found


class _Variables:
    """Which variables a workflow's templates may read: Knock's roots and the trigger schema."""

    def __init__(self, wf: Workflow) -> None:
        schema = wf.trigger_data_json_schema
        self.properties: set[str] | None = None
        self.closed = False
        if schema and isinstance(schema.get("properties"), Mapping):
            self.properties = set(schema["properties"])
            self.closed = schema.get("additionalProperties") is False
        # Fetch and update_data steps merge new keys into `data`, so the schema is not the
        # whole story.
        self.data_grows = any(isinstance(s, FetchStep | UpdateStep) for s in wf.iter_steps())
        self.hinted: set[str] = set()

    def check(
        self, names: list[str], where: str, file: str, line: int | None, json_path: str
    ) -> Finding | None:
        """A finding for the variable `names` (`data.user.id` split), or None when it is fine."""
        dotted = ".".join(names)
        if names[0] not in KNOWN_ROOTS:  # trigger data at the root: checked as `data.<name>`
            if self.properties is None:
                return self._hint(names[0], dotted, where, file, line, json_path)
            names = ["data", *names]
        props = self.properties
        if names[0] != "data" or len(names) < 2 or props is None or names[1] in props:
            return None
        if self.data_grows:
            return None
        return Finding(
            "error" if self.closed else "warning",
            "undefined-variable",
            file,
            line,
            json_path,
            f"{where} uses `{dotted}`, but the workflow's trigger_data_json_schema defines only "
            f"{', '.join(sorted(props)) or 'no properties'}",
            f"add `{names[1]}` to trigger_data_json_schema.properties, or fix the variable name",
        )

    def _hint(
        self, root: str, dotted: str, where: str, file: str, line: int | None, json_path: str
    ) -> Finding | None:
        """Prefer `data.<root>` (once per workflow and root)."""
        if root in self.hinted:
            return None
        self.hinted.add(root)
        return Finding(
            "hint",
            "unprefixed-data",
            file,
            line,
            json_path,
            f"{where} uses `{dotted}`: Knock reads `{root}` from the trigger data at the root "
            f"(the same value as `data.{dotted}`)",
            f"write `data.{dotted}` to make clear it is trigger data",
        )


def lint_layouts_and_partials(
    defs: Definitions, renderer: TemplateRenderer, lines: LineFinder
) -> Iterator[Finding]:
    """Liquid syntax errors in every layout's html/text and every partial's content."""
    for layout in defs.layouts.values():
        for name in ("html_layout", "text_layout"):
            where = TemplateLocation(f"layout:{layout.key}", "-", name)
            text = getattr(layout, name)
            found = syntax_finding(renderer, text, where, layout.source.file, name, lines)
            if found:
                yield found
    for partial in defs.partials.values():
        where = TemplateLocation(f"partial:{partial.key}", "-", "content")
        file = partial.source.file
        found = syntax_finding(renderer, partial.content, where, file, "content", lines)
        if found:
            yield found


def syntax_finding(
    renderer: TemplateRenderer,
    text: str,
    where: TemplateLocation,
    file: str,
    path: str,
    lines: LineFinder,
) -> Finding | None:
    """A `liquid-syntax` error for `text`, on the file line of the template line at fault."""
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
