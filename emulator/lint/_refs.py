"""Reference lints: `refs.<ref>` in a condition or a template must name a step that can have run.

Knock reads a ref that never ran as `skipped`, so a typo in `refs.in_app_feed_1` or a condition
on a later step does not fail: the condition quietly evaluates against "skipped" and the
workflow sends (or does not send) the wrong thing. These are found here, before promotion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from emulator.definitions import (
    BranchStep,
    ChannelStep,
    Condition,
    ConditionGroup,
    Source,
    Step,
    WaitForEventStep,
    Workflow,
)
from emulator.lint._lines import LineFinder
from emulator.lint._report import Finding
from emulator.lint._templates import template_strings

_TEMPLATE_REF = re.compile(r"\brefs\.([A-Za-z0-9_-]+)")


@dataclass(frozen=True, slots=True)
class RefUse:
    """A `refs.<ref>` read the engine would evaluate as `skipped` (or that names no step)."""

    ref: str
    source: Source  # the condition leaf, or the step whose template reads it
    where: str  # "step `email_1` conditions", ...
    known: bool  # the ref names a step of the workflow (just not an earlier one)


def refs_before(workflow: Workflow) -> dict[str, frozenset[str]]:
    """Step ref -> the refs of steps that may have run before it (on some path)."""
    out: dict[str, frozenset[str]] = {}
    _walk(workflow.steps, frozenset(), out)
    return out


def _walk(
    steps: Sequence[Step], seen: frozenset[str], out: dict[str, frozenset[str]]
) -> frozenset[str]:
    for step in steps:
        out[step.ref] = seen
        inner: frozenset[str] = frozenset()
        if isinstance(step, BranchStep):
            for branch in step.branches:
                inner |= _walk(branch.steps, seen | {step.ref}, out)
        seen = seen | {step.ref} | inner
    return seen


def bad_refs(workflow: Workflow) -> Iterator[RefUse]:
    """Every condition leaf reading `refs.<ref>` where that step cannot have run yet."""
    before = refs_before(workflow)
    every = frozenset(before)
    if workflow.conditions is not None:
        yield from _check(
            workflow.conditions, frozenset(), every, "the workflow's trigger conditions"
        )
    for step in workflow.iter_steps():
        seen = before[step.ref]
        if step.conditions is not None:
            yield from _check(step.conditions, seen, every, f"step `{step.ref}` conditions")
        if isinstance(step, BranchStep):
            for branch in step.branches:
                if branch.conditions is not None:
                    where = f"branch `{branch.name}` of `{step.ref}`"
                    yield from _check(branch.conditions, seen, every, where)
        if isinstance(step, WaitForEventStep):
            for group in step.match_conditions:
                where = f"step `{step.ref}` match_conditions"
                yield from _check(group, seen, every, where)


def _check(
    group: ConditionGroup, seen: frozenset[str], every: frozenset[str], where: str
) -> Iterator[RefUse]:
    for leaf in _leaves(group):
        for text in (leaf.variable, leaf.argument):
            ref = ref_of(text)
            if ref is not None and ref not in seen:
                yield RefUse(ref, leaf.source, where, ref in every)


def ref_of(text: object) -> str | None:
    """`refs.email_1.delivery_status` -> `email_1`; None for anything else."""
    if not isinstance(text, str) or not text.startswith("refs."):
        return None
    ref = text.removeprefix("refs.").partition(".")[0]
    return ref or None


def _leaves(group: ConditionGroup) -> Iterator[Condition]:
    for item in group.items:
        if isinstance(item, ConditionGroup):
            yield from _leaves(item)
        else:
            yield item


def lint_refs(wf: Workflow, lines: LineFinder) -> Iterator[Finding]:
    """`refs.<ref>` in conditions and templates must name a step that can have run by then."""
    before = refs_before(wf)
    uses = list(bad_refs(wf))
    for step in wf.iter_steps():
        if isinstance(step, ChannelStep):
            for path, text in template_strings(step.template):
                for ref in sorted(set(_TEMPLATE_REF.findall(text)) - before[step.ref]):
                    source = step.source.at(f"template.{path}")
                    uses.append(RefUse(ref, source, f"step `{step.ref}` {path}", ref in before))
    for use in uses:
        yield _ref_finding(use, wf, before, lines)


def _ref_finding(
    use: RefUse, wf: Workflow, before: dict[str, frozenset[str]], lines: LineFinder
) -> Finding:
    file = use.source.file
    line = lines.find(file, "", f"refs.{use.ref}")
    if use.known:
        return Finding(
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
    known = ", ".join(sorted(before)) or "none"
    return Finding(
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
