"""Run retention (`Emulator.retain_runs`, `doorstep serve --max-runs N --full-traces M`): finished
runs beyond the limit are forgotten with their messages, parked runs stay, older finished runs
keep a compact record."""

from __future__ import annotations

import pytest

from emulator import DoorstepError, Emulator, UnknownRunError


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator.from_directory("fixtures/workflows", config="fixtures/doorstep.yaml")
    emu.identify("u1", email="ada@example.com")
    emu.identify("u2", name="Bo")
    return emu


def _created(emu: Emulator, n: int) -> list[str]:
    return [
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": f"i{i}", "amount": 1}).runs[0].id
        for i in range(n)
    ]


@pytest.mark.parametrize(("max_runs", "triggers"), [(10, 100), (50, 120), (1, 30)])
def test_finished_runs_beyond_the_limit_are_forgotten_with_their_messages(
    emu: Emulator, max_runs: int, triggers: int
) -> None:
    emu.retain_runs(max_runs)
    ids = _created(emu, triggers)
    kept = [r.id for r in emu.runs()]
    assert max_runs <= len(kept) <= max_runs + max(1, max_runs // 10)
    assert kept == ids[-len(kept) :]  # the newest ones
    with pytest.raises(UnknownRunError):
        emu.run(ids[0])
    assert {m.run_id for m in emu.messages()} == set(kept)


def test_parked_runs_and_open_batches_are_kept(emu: Emulator) -> None:
    emu.retain_runs(5)
    parked = emu.trigger(
        "invoice-updated", ["u1"], actor="u2", data={"invoice_id": "b", "status": "open"}
    ).runs[0]
    merged = emu.trigger(
        "invoice-updated", ["u1"], actor="u2", data={"invoice_id": "b", "status": "sent"}
    ).runs[0]
    _created(emu, 40)
    assert emu.run(parked.id).status == "waiting"
    assert emu.run(merged.id).status == "merged_into_batch"  # its batch is still open
    emu.advance(minutes=5)
    assert parked.status == "completed"
    assert parked.step("batch_1").batch.total_activities == 2
    _created(emu, 40)
    with pytest.raises(UnknownRunError):
        emu.run(parked.id)


def test_older_finished_runs_keep_a_compact_record(emu: Emulator) -> None:
    emu.retain_runs(full_traces=3)
    ids = []
    for i in range(20):
        ids.append(emu.trigger("unseen-fallback", ["u1"], data={"invoice_id": f"d{i}"}).runs[0].id)
        emu.run_until_idle()
    old, new = emu.run(ids[0]), emu.run(ids[-1])
    assert old.status == new.status == "completed"
    assert old.path == new.path  # status, path and step outcomes stay
    assert [s.outcome for s in old.steps] == [s.outcome for s in new.steps]
    assert all(s.detail == {} for s in old.steps)
    assert any(s.detail for s in new.steps)  # the newest keep their full trace


def test_timers_sweep_too_and_limits_are_counts(emu: Emulator) -> None:
    emu.retain_runs(2)
    for i in range(30):  # runs that finish when the clock moves, not when triggered
        emu.trigger("unseen-fallback", ["u1"], data={"invoice_id": f"d{i}"})
        emu.advance(minutes=1)
    emu.run_until_idle()
    assert len(emu.runs()) <= 3
    with pytest.raises(DoorstepError, match="counts"):
        emu.retain_runs(-1)
