"""Finished runs older than the newest `Engine.whole_runs` are kept as one tuple each
(`CompactRuns`): every public read of them gives what the whole `Run` gave."""

from __future__ import annotations

import gc
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import Emulator, Run
from emulator.stores import BatchInfo, CompactRuns, StepRecord, facts


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator.from_directory("fixtures/workflows", config="fixtures/doorstep.yaml")
    emu._engine.whole_runs = 2  # the test shrinks the engine's limit to reach compaction
    for user in ("u1", "u2", "u3"):
        emu.identify(user, email=f"{user}@example.com", name=user.upper())
    return emu


def _view(run: Run) -> dict[str, Any]:
    """What users read of a run (and assert on)."""
    return {
        "run": run,
        "path": run.path,
        "trace": run.trace,
        "status": run.status,
        "data": run.data,
        "recipient": run.recipient_id,
        "steps": [(s, s.message_ids, s.skipped_because, s.branch, s.detail) for s in run.steps],
    }


@pytest.mark.parametrize(
    ("workflow", "data"),
    [
        ("invoice-created", {"invoice_id": "i1", "amount": 5}),
        ("invoice-updated", {"invoice_id": "i1", "status": "open", "amount": 2}),
    ],
)
def test_a_compacted_run_reads_like_the_whole_run(
    emu: Emulator, workflow: str, data: dict[str, Any]
) -> None:
    held = [emu.trigger(workflow, [user], data=data).runs[0] for user in ("u1", "u2", "u3")]
    emu.advance(days=2)  # any delay or batch ends
    kept = emu._engine.runs
    assert isinstance(kept[held[0].id], tuple)
    assert all(r.finished for r in held)
    for run in held:
        assert _view(emu.run(run.id)) == _view(run)
    assert [_view(r) for r in emu.runs()] == [_view(r) for r in held]
    assert [r.id for r in emu.runs(recipient="u1")] == [held[0].id]


def test_compact_and_expand_keep_skips_details_and_several_messages(emu: Emulator) -> None:
    run = emu.trigger("invoice-created", ["u1"], data={"invoice_id": "i1", "amount": 1}).runs[0]
    first = run.steps[0]
    first.message_ids = ("m1", "m2")
    first.skipped_because, first.branch, first.error = "because", "b", "e"
    first.detail["conditions"] = "evaluated"
    rows = CompactRuns()
    assert rows.expand(rows.compact(run)) == run
    assert rows.expand(rows.compact(run)).steps[0].detail == {"conditions": "evaluated"}


def test_merging_users_moves_compacted_runs_too(emu: Emulator) -> None:
    held = [
        emu.trigger("invoice-created", [u], data={"invoice_id": "i", "amount": 1}).runs[0]
        for u in ("u1", "u2", "u3", "u3")
    ]
    assert isinstance(emu._engine.runs[held[0].id], tuple)
    emu.merge_users("u2", "u1")
    assert [r.recipient_id for r in emu.runs()] == ["u2", "u2", "u3", "u3"]
    emu.delete_user("u2")
    assert [r.id for r in emu.runs()] == [held[2].id, held[3].id]


def test_runs_merged_into_a_batch_are_compacted_once_it_closes(emu: Emulator) -> None:
    data = {"invoice_id": "i1", "status": "open", "amount": 2}
    held = [emu.trigger("invoice-updated", ["u1"], data=data).runs[0] for _ in range(5)]
    assert [r.status for r in held[1:]] == ["merged_into_batch"] * 4
    emu.advance(minutes=10)  # the batch closes; the carrier sends and finishes
    kept = emu._engine.runs
    assert [isinstance(kept[r.id], tuple) for r in held] == [False] + [True] * 3 + [False]
    assert [_view(emu.run(r.id)) for r in held] == [_view(r) for r in held]


_PLAIN = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_VALUES = st.recursive(
    _PLAIN,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_WHEN = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
)
_BATCH = BatchInfo("k", datetime(2025, 1, 1, tzinfo=UTC), None, None, 1, 0, (), (), ("r",), {})
_SHARED = ((("Paid", ("shared", "evaluation")),),)  # one object many runs' details name


@st.composite
def _steps(draw: st.DrawFn) -> StepRecord:
    text = st.none() | st.text(max_size=4)
    record = StepRecord(
        draw(st.text(min_size=1, max_size=4)),
        draw(st.sampled_from(["branch", "batch", "channel", "delay"])),
        draw(st.sampled_from(["executed", "skipped", "merged"])),
        draw(_WHEN),
        draw(st.none() | _WHEN),
        draw(text),
        draw(text),
        draw(st.sampled_from([None, _BATCH])),
        tuple(draw(st.lists(st.text(min_size=1, max_size=4), max_size=3))),
        draw(text),
    )
    detail = draw(st.dictionaries(st.text(max_size=3), _VALUES | st.sampled_from(_SHARED)))
    if detail:
        record.detail = detail
    return record


@st.composite
def _runs(draw: st.DrawFn) -> Run:
    ref = st.text(min_size=1, max_size=4) | st.builds(
        lambda i, c: {"id": i, "collection": c}, st.text(max_size=3), st.text(max_size=3)
    )
    return Run(
        *draw(st.tuples(*[st.text(min_size=1, max_size=6)] * 3)),
        draw(ref),
        draw(st.none() | ref),
        draw(st.none() | st.text(max_size=3)),
        draw(st.dictionaries(st.text(max_size=4), _VALUES, max_size=4)),
        draw(st.none() | st.text(max_size=3)),
        draw(_WHEN),
        draw(st.sampled_from(["completed", "cancelled", "merged_into_batch", "failed"])),
        draw(st.none() | _WHEN),
        draw(st.lists(_steps(), max_size=4)),
        draw(st.none() | st.text(max_size=5)),
        draw(st.sampled_from(["api", "schedule"])),
        draw(st.none() | st.text(max_size=3)),
    )


def _read(run: Run) -> Any:
    """Everything a reader sees of a run, detail and batch included."""
    steps = run.steps
    return (
        run,
        facts(run),
        [(s.message_ids, s.skipped_because, s.branch, s.batch, s.error, s.detail) for s in steps],
    )


@given(st.lists(_runs(), min_size=1, max_size=4))
def test_a_compacted_run_expands_to_the_run_it_was(runs: list[Run]) -> None:
    store = CompactRuns()
    rows = [store.compact(run) for run in runs]
    for run, row in zip(runs, rows, strict=True):
        expanded = store.expand(row)
        assert _read(expanded) == _read(run)
        assert facts(row) == facts(run)
        expanded.steps and expanded.steps[0].detail.update(changed=True)  # a copy: kept as was
        assert _read(store.expand(row)) == _read(run)
    again = pickle.loads(pickle.dumps((store, rows)))  # a `serve --data-dir` snapshot
    assert [_read(again[0].expand(row)) for row in again[1]] == [_read(run) for run in runs]
    for row in rows:
        store.release(row)
    assert store._shelf == [None] * len(store._shelf)  # what only released rows named went


def test_rows_of_plain_runs_leave_the_collectors_view(emu: Emulator) -> None:
    data = {"invoice_id": "i1", "status": "open", "amount": 2}
    for user in ("u1", "u2", "u3", "u1", "u2", "u3"):
        emu.trigger("invoice-updated", [user], data=data)
    emu.advance(minutes=10)
    rows = [r for r in emu._engine.runs.values() if isinstance(r, tuple)]
    gc.collect()  # one pass: each row is flat, so it is seen at once
    assert len(rows) == 4
    assert not any(gc.is_tracked(row) for row in rows)
    assert [facts(r).workflow for r in rows] == ["invoice-updated"] * 4


def test_forgetting_compacted_runs_releases_what_they_shelved(emu: Emulator) -> None:
    data = {"invoice_id": "i1", "status": "open", "amount": 2}
    for _ in range(4):
        emu.trigger("invoice-updated", ["u1"], data=data)
    emu.advance(minutes=10)
    shelf = emu._engine.compact_runs._shelf
    assert any(x is not None for x in shelf)  # the batch and the steps' details
    emu.delete_user("u1")
    assert shelf == [None] * len(shelf)


def test_messages_of_one_instant_share_their_event_entries(emu: Emulator) -> None:
    data = {"invoice_id": "i1", "amount": 5}
    emu.trigger("invoice-created", ["u1", "u2"], data=data)
    first, second = emu.messages(channel_type="email")
    assert first.events == second.events
    assert [e[0] for e in first.events][:2] == ["message.created", "message.queued"]
    assert all(a is b for a, b in zip(first.events, second.events, strict=True))
    emu.advance(minutes=1)
    first.set_engagement("seen", True, emu.clock.now)
    assert first.events[-1] == ("message.seen", emu.clock.now) != second.events[-1]
