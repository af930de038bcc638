"""Human lines for runs, messages and emails: shared by scenario reports and pytest assertions."""

from __future__ import annotations

from collections.abc import Callable
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
    """One line for a Knock message in a failure report: channel, recipient, status, content."""
    text = message_text(message)
    if len(text) > 70:
        text = text[:67] + "..."
    return (
        f"{message.channel_type} to {message.recipient_id!r} from "
        f"{message.workflow}/{message.step_ref} [{message.status}] {text!r}"
    )


def describe_email(email: CapturedEmail) -> str:
    """One line for a captured email in a failure report: to, subject."""
    return f"to {', '.join(email.to) or '(no To)'} subject {email.subject!r} ({email.way_in})"


def _to(email: CapturedEmail, wanted: Any) -> str | None:
    ok = str(wanted).lower() in email.recipients
    return None if ok else f"to {email.recipients} not {wanted!r}"


def _from(email: CapturedEmail, wanted: Any) -> str | None:
    ok = str(wanted).lower() in email.from_.lower()
    return None if ok else f"from {email.from_!r} not {wanted!r}"


def _subject(email: CapturedEmail, wanted: Any) -> str | None:
    return None if email.subject == wanted else f"subject {email.subject!r} != {wanted!r}"


def _subject_contains(email: CapturedEmail, wanted: Any) -> str | None:
    ok = str(wanted) in email.subject
    return None if ok else f"subject {email.subject!r} lacks {wanted!r}"


def _html_contains(email: CapturedEmail, wanted: Any) -> str | None:
    return None if str(wanted) in (email.html or "") else f"html lacks {wanted!r}"


def _text_contains(email: CapturedEmail, wanted: Any) -> str | None:
    return None if str(wanted) in (email.text or "") else f"text lacks {wanted!r}"


def _workflow(email: CapturedEmail, wanted: Any) -> str | None:
    ok = email.workflow_key == wanted
    return None if ok else f"workflow {email.workflow_key!r} != {wanted!r}"


_EMAIL_CRITERIA: dict[str, Callable[[CapturedEmail, Any], str | None]] = {
    "to": _to,
    "from_": _from,
    "subject": _subject,
    "subject_contains": _subject_contains,
    "html_contains": _html_contains,
    "text_contains": _text_contains,
    "workflow": _workflow,
}
"""Each email criterion and its check: None when the email matches, else a short phrase."""


def email_mismatches(email: CapturedEmail, criteria: dict[str, Any]) -> list[str]:
    """Which of `to`, `subject`, `subject_contains`, `html_contains`, `text_contains`,
    `workflow`, `from_` this email fails, as short phrases (empty when it matches)."""
    wrong: list[str] = []
    for key, wanted in criteria.items():
        if wanted is None:
            continue
        check = _EMAIL_CRITERIA.get(key)
        if check is None:
            raise TypeError(f"unknown email criterion {key!r}; use {', '.join(_EMAIL_CRITERIA)}")
        phrase = check(email, wanted)
        if phrase is not None:
            wrong.append(phrase)
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
