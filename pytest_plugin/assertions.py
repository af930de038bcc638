"""Assertion helpers whose failures show what did happen: the trace, the batch, the mail.

pytest rewrites this module's `assert` statements (registered in `pytest_plugin/__init__.py`),
so a failing comparison prints pytest's own diff under our explanation. Each helper hides its
own frame from the traceback so the failure points at the test line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from emulator import DoorstepError, Mailbox
from emulator.scenarios import (
    describe_message,
    describe_outbox,
    describe_run,
    email_mismatches,
    message_text,
)

if TYPE_CHECKING:
    from emulator import BatchInfo, CapturedEmail, Emulator, Run, StepRecord


def assert_path(run: Run, expected: Sequence[str]) -> None:
    """The refs of the executed steps, in order; write `ref:outcome` to compare the full trace
    (`["branch_1", "batch_1:merged"]`)."""
    __tracebackhide__ = True
    wanted = [ref.removesuffix(":executed") for ref in expected]
    actual = run.trace if any(":" in ref for ref in wanted) else run.path
    assert actual == wanted, f"unexpected path; what the run did:\n{describe_run(run)}"


def assert_branch(run: Run, ref: str, name: str) -> None:
    """Branch step `ref` took the branch called `name`."""
    __tracebackhide__ = True
    step = _reached(run, ref)
    taken = step.branch
    assert taken == name, (
        f"branch step {ref!r} took {taken!r}, not {name!r}; what the run did:\n{describe_run(run)}"
    )


def assert_skipped(run: Run, ref: str, *, because: str | None = None) -> None:
    """Step `ref` was skipped; `because` must appear in the skip reason when given."""
    __tracebackhide__ = True
    step = _reached(run, ref)
    outcome = step.outcome
    assert outcome == "skipped", (
        f"step {ref!r} was {outcome}, not skipped; what the run did:\n{describe_run(run)}"
    )
    if because is not None:
        reason = step.skipped_because or ""
        assert because in reason, (
            f"step {ref!r} was skipped for another reason; what the run did:\n{describe_run(run)}"
        )


def assert_batch(
    run: Run,
    *,
    ref: str | None = None,
    total_activities: int | None = None,
    activity_data: Sequence[Any] | None = None,
    actors: Sequence[Any] | None = None,
    total_actors: int | None = None,
    key: str | None = None,
    merged_runs: int | Sequence[Run | str] | None = None,
) -> BatchInfo:
    """The batch the run went through (step `ref`, or its last batch step) has these contents.

    `actors` compares actor ids when given strings; `merged_runs` is a count or the runs (or run
    ids) whose triggers the batch holds, in arrival order. Returns the `BatchInfo`."""
    __tracebackhide__ = True
    batch = _batch_of(run, ref)
    actual: dict[str, Any] = {}
    wanted: dict[str, Any] = {}
    if total_activities is not None:
        actual["total_activities"], wanted["total_activities"] = (
            batch.total_activities,
            total_activities,
        )
    if activity_data is not None:
        actual["activity_data"], wanted["activity_data"] = batch.activity_data, list(activity_data)
    if actors is not None:
        as_ids = all(isinstance(a, str) for a in actors)
        got = [a.get("id") for a in batch.actors] if as_ids else list(batch.actors)
        actual["actors"], wanted["actors"] = got, list(actors)
    if total_actors is not None:
        actual["total_actors"], wanted["total_actors"] = batch.total_actors, total_actors
    if key is not None:
        actual["key"], wanted["key"] = batch.key, key
    if merged_runs is not None:
        if isinstance(merged_runs, int):
            actual["merged_runs"], wanted["merged_runs"] = len(batch.run_ids), merged_runs
        else:
            ids = [r if isinstance(r, str) else r.id for r in merged_runs]
            actual["merged_runs"], wanted["merged_runs"] = list(batch.run_ids), ids
    assert actual == wanted, (
        f"the batch differs; what it holds:\n{_describe_batch(batch)}\n"
        f"what the run did:\n{describe_run(run)}"
    )
    return batch


def assert_one_email(
    source: Emulator | Mailbox,
    *,
    to: str | None = None,
    subject: str | None = None,
    subject_contains: str | None = None,
    html_contains: str | None = None,
    text_contains: str | None = None,
    from_: str | None = None,
    workflow: str | None = None,
) -> CapturedEmail:
    """Exactly one captured email matches every given criterion; returns it. On failure the
    message lists every email that did arrive, closest first, with what did not match."""
    __tracebackhide__ = True
    box: Mailbox = source if isinstance(source, Mailbox) else source.outbox
    criteria = {
        "to": to,
        "subject": subject,
        "subject_contains": subject_contains,
        "html_contains": html_contains,
        "text_contains": text_contains,
        "from_": from_,
        "workflow": workflow,
    }
    criteria = {k: v for k, v in criteria.items() if v is not None}
    emails = box.all()
    matches = [e for e in emails if not email_mismatches(e, criteria)]
    count = len(matches)
    wanted = ", ".join(f"{k}={v!r}" for k, v in criteria.items()) or "any email"
    assert count == 1, (
        f"expected exactly one email matching {wanted}; {count} matched out of "
        f"{len(emails)} captured:\n{describe_outbox(emails, criteria)}"
    )
    return matches[0]


def assert_no_message(
    emulator: Emulator,
    *,
    channel_type: str | None = None,
    recipient: str | None = None,
    workflow: str | None = None,
    step_ref: str | None = None,
) -> None:
    """No message matches the filters; on failure, each message found and the run behind it."""
    __tracebackhide__ = True
    found = emulator.messages(
        channel_type=channel_type, recipient=recipient, workflow=workflow, step_ref=step_ref
    )
    count = len(found)
    filters = {"channel_type": channel_type, "recipient": recipient}
    filters |= {"workflow": workflow, "step_ref": step_ref}
    wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items() if v is not None) or "any"
    lines = []
    for message in found:
        lines.append(f"  - {describe_message(message)}")
        lines.append("    " + describe_run(emulator.run(message.run_id), "      "))
    report = "\n".join(lines)
    assert count == 0, f"expected no message matching {wanted}; found {count}:\n{report}"


def assert_feed(
    emulator: Emulator, user: str, expected: Sequence[str], *, channel_key: str | None = None
) -> None:
    """The user's in-app feed, newest first: each item's text equals or contains `expected[i]`."""
    __tracebackhide__ = True
    items = emulator.feed(user, channel_key).items()
    texts = [message_text(m) for m in items]
    wanted = list(expected)
    shown = []
    for i, text in enumerate(texts):
        want = wanted[i] if i < len(wanted) else None
        shown.append(want if want is not None and want in text else text)
    lines = [
        f"  {i + 1}. {text!r} [{m.status}; engagement {m.engagement_statuses or 'none'}] "
        f"from {m.workflow}/{m.step_ref}"
        for i, (m, text) in enumerate(zip(items, texts, strict=True))
    ]
    report = "\n".join(lines) or "  (the feed is empty)"
    assert shown == wanted, f"feed of {user!r} differs; newest first it holds:\n{report}"


def _reached(run: Run, ref: str) -> StepRecord:
    __tracebackhide__ = True
    try:
        return run.step(ref)
    except DoorstepError:
        raise AssertionError(
            f"the run never reached step {ref!r}; what it did:\n{describe_run(run)}"
        ) from None


def _batch_of(run: Run, ref: str | None) -> BatchInfo:
    __tracebackhide__ = True
    if ref is not None:
        step = _reached(run, ref)
        if step.batch is None:
            raise AssertionError(
                f"step {ref!r} holds no batch (is it a batch step, and has its window closed? "
                f"advance the clock past it); what the run did:\n{describe_run(run)}"
            )
        return step.batch
    for step in reversed(run.steps):
        if step.batch is not None:
            return step.batch
    raise AssertionError(
        "the run has no closed batch (advance the clock past the batch window, or pass "
        f"ref=); what it did:\n{describe_run(run)}"
    )


def _describe_batch(batch: BatchInfo) -> str:
    lines = [
        f"  key={batch.key!r} total_activities={batch.total_activities} "
        f"total_actors={batch.total_actors}",
        f"  actors={[a.get('id') for a in batch.actors]}",
        f"  runs={list(batch.run_ids)}",
    ]
    lines += [f"  activity {i + 1}: {a.data}" for i, a in enumerate(batch.activities)]
    return "\n".join(lines)
