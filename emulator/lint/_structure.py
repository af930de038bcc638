"""Structure lints: steps no run can reach, and a channel key used with two channel types."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from emulator.definitions import BranchStep, ChannelStep, Definitions, Step, Workflow
from emulator.lint._lines import LineFinder
from emulator.lint._report import Finding


def lint_unreachable(
    wf: Workflow, steps: Sequence[Step], path: str, lines: LineFinder
) -> Iterator[Finding]:
    """Steps after a branch step whose every branch terminates the workflow."""
    for index, step in enumerate(steps):
        if not isinstance(step, BranchStep):
            continue
        for b_index, branch in enumerate(step.branches):
            yield from lint_unreachable(
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


def lint_channels(defs: Definitions, lines: LineFinder) -> Iterator[Finding]:
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
