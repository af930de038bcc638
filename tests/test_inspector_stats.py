"""The inspector's live stats (`GET /api/stats`, the events socket's `stats` every second) count
runs without reading them: a compacted finished run is never expanded for it."""

from __future__ import annotations

import pytest

from emulator import Emulator
from emulator.http.inspect._events import stats_payload
from emulator.stores import CompactRow, CompactRuns


def test_stats_count_runs_without_expanding_compacted_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    emu = Emulator.from_directory("fixtures/workflows", config="fixtures/doorstep.yaml")
    emu._engine.whole_runs = 2  # the test shrinks the engine's limit to reach compaction
    users = [f"u{n}" for n in range(5)]
    for user in users:
        emu.identify(user, email=f"{user}@example.com")
    emu.trigger("invoice-created", users, data={"invoice_id": "i1", "amount": 5})
    emu.advance(days=2)  # every run ends; all but the newest two are compacted
    assert emu.run_count() == len(emu.runs()) == 5
    assert sum(isinstance(r, tuple) for r in emu._engine.runs.values()) == 3

    def expanded(self: CompactRuns, row: CompactRow) -> None:
        raise AssertionError(f"stats expanded the compacted run {row[0]}")

    monkeypatch.setattr(CompactRuns, "expand", expanded)
    assert stats_payload(emu)["runs"] == emu.run_count() == 5
