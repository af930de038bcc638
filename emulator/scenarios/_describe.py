"""Human lines for runs, messages and emails: shared by scenario reports and pytest assertions."""

from __future__ import annotations

from typing import Any

from emulator import Message, Run, StepRecord
from emulator.mail import CapturedEmail


def describe_step(step: StepRecord) -> str:
    """`batch_1 (batch) merged`, `email_1 (channel) skipped because ...`, `branch_1 → 'User'`."""
    text = f"{step.ref} ({step.type}) {step.outcome}"
    if step.branch is not None:
        text += f" → branch {step.branch!r}"
    passed_over = [
        f"{name}: {'; '.join(result.explain().splitlines())}"
        for name, result in step.detail.get("evaluated") or ()
        if not result.passed
    ]
    if passed_over:  # why the earlier branches were not taken: usually the answer to a failure
        text += " (not taken: " + " | ".join(passed_over) + ")"
    if step.skipped_because:
        text += f" because {step.skipped_because}"
    if step.batch is not None:
        batch = step.batch
        text += f" [batch key={batch.key!r} activities={batch.total_activities}]"
    if step.error:
        text += f" error: {step.error}"
    return text


def describe_run(run: Run, indent: str = "  ") -> str:
    """A run header and one line per step reached, with outcomes and skip reasons."""
    head = f"run {run.id} of {run.workflow!r} for {run.recipient_id!r}: {run.status}"
    if run.ended_because:
        head += f" ({run.ended_because})"
    lines = [head]
    lines += [f"{indent}{describe_step(s)}" for s in run.steps] or [f"{indent}(no steps reached)"]
    return "\n".join(lines)


def message_text(message: Message) -> str:
    """The field a person would read first: subject, else the body."""
    content = message.content
    for name in ("subject", "title", "markdown_body", "text", "text_body", "body"):
        value = content.get(name)
        if value:
            return str(value).strip()
    return ""


def describe_message(message: Message) -> str:
    text = message_text(message)
    if len(text) > 70:
        text = text[:67] + "..."
    return (
        f"{message.channel_type} to {message.recipient_id!r} from "
        f"{message.workflow}/{message.step_ref} [{message.status}] {text!r}"
    )


def describe_email(email: CapturedEmail) -> str:
    return f"to {', '.join(email.to) or '(no To)'} subject {email.subject!r} ({email.way_in})"


def email_mismatches(email: CapturedEmail, criteria: dict[str, Any]) -> list[str]:
    """Which of `to`, `subject`, `subject_contains`, `html_contains`, `text_contains`,
    `workflow`, `from_` this email fails, as short phrases (empty when it matches)."""
    wrong: list[str] = []
    for key, wanted in criteria.items():
        if wanted is None:
            continue
        if key == "to":
            if str(wanted).lower() not in email.recipients:
                wrong.append(f"to {email.recipients} not {wanted!r}")
        elif key == "from_":
            if str(wanted).lower() not in email.from_.lower():
                wrong.append(f"from {email.from_!r} not {wanted!r}")
        elif key == "subject":
            if email.subject != wanted:
                wrong.append(f"subject {email.subject!r} != {wanted!r}")
        elif key == "subject_contains":
            if str(wanted) not in email.subject:
                wrong.append(f"subject {email.subject!r} lacks {wanted!r}")
        elif key == "html_contains":
            if str(wanted) not in (email.html or ""):
                wrong.append(f"html lacks {wanted!r}")
        elif key == "text_contains":
            if str(wanted) not in (email.text or ""):
                wrong.append(f"text lacks {wanted!r}")
        elif key == "workflow":
            if email.workflow_key != wanted:
                wrong.append(f"workflow {email.workflow_key!r} != {wanted!r}")
        else:
            raise TypeError(
                f"unknown email criterion {key!r}; use to, from_, subject, subject_contains, "
                "html_contains, text_contains, workflow"
            )
    return wrong


def describe_outbox(emails: list[CapturedEmail], criteria: dict[str, Any]) -> str:
    """Every captured email, closest matches first, each with what did not match."""
    if not emails:
        return "  (no emails were captured)"
    ranked = sorted(
        ((email_mismatches(e, criteria), i, e) for i, e in enumerate(emails)),
        key=lambda row: (len(row[0]), row[1]),
    )
    lines = []
    for wrong, _, email in ranked:
        verdict = "matches" if not wrong else "; ".join(wrong)
        lines.append(f"  - {describe_email(email)}\n      {verdict}")
    return "\n".join(lines)
