"""Server threads trigger while the test thread moves the clock: the engine lock keeps it whole."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from emulator import Emulator
from emulator.http import ServerThread, knock_app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_http_triggers_and_clock_advances_interleave_without_losing_runs() -> None:
    emu = Emulator.from_directory(FIXTURES / "workflows", config=FIXTURES / "doorstep.yaml")
    for n in range(8):
        emu.identify(f"u{n}", name=f"User {n}", email=f"u{n}@example.com")
    errors: list[BaseException] = []
    per_thread, threads_count = 25, 4
    with ServerThread(knock_app(emu)) as server:

        def client(offset: int) -> None:
            try:
                with httpx.Client(
                    base_url=server.base_url, headers={"Authorization": "Bearer sk_test"}
                ) as http:
                    for i in range(per_thread):
                        body = {
                            "recipients": [f"u{(offset + i) % 8}"],
                            "actor": "u0",
                            "data": {"invoice_id": f"inv_{i % 3}", "status": "open"},
                        }
                        answer = http.post("/v1/workflows/invoice-updated/trigger", json=body)
                        assert answer.status_code == 200, answer.text
            except BaseException as exc:  # surfaced below: a thread's failure fails the test
                errors.append(exc)

        threads = [threading.Thread(target=client, args=(t,)) for t in range(threads_count)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            emu.clock.advance(seconds=30)
            emu.messages()  # reads race with writes from the server threads
        for thread in threads:
            thread.join()
    assert errors == []
    emu.run_until_idle()
    runs = emu.runs()
    assert len(runs) == per_thread * threads_count
    assert all(run.finished for run in runs)
    assert emu.clock.pending == 0
    merged = {
        rid
        for run in runs
        if run.status == "completed"
        for rid in (run.step("batch_1").batch.run_ids if run.step("batch_1").batch else ())
    }
    user_runs = {run.id for run in runs if run.step("branch_1").branch == "User"}
    assert merged == user_runs  # every user-branch trigger landed in exactly one closed batch
