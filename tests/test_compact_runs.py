"""Finished runs older than the newest `Engine.whole_runs` are kept as one tuple each
(`CompactRun`): every public read of them gives what the whole `Run` gave."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Emulator, Run
from emulator.stores import CompactRun, compact_run


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
    assert isinstance(kept[held[0].id], CompactRun)
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
    assert compact_run(run).expand() == run
    assert compact_run(run).expand().steps[0].detail == {"conditions": "evaluated"}


def test_merging_users_moves_compacted_runs_too(emu: Emulator) -> None:
    held = [
        emu.trigger("invoice-created", [u], data={"invoice_id": "i", "amount": 1}).runs[0]
        for u in ("u1", "u2", "u3", "u3")
    ]
    assert isinstance(emu._engine.runs[held[0].id], CompactRun)
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
    assert [isinstance(kept[r.id], CompactRun) for r in held] == [False] + [True] * 3 + [False]
    assert [_view(emu.run(r.id)) for r in held] == [_view(r) for r in held]
