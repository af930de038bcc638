"""Triggers per second through the Knock-compatible HTTP API, as a ratio to in-process triggers.

    python bench/bench_knock_api.py [--seconds 4] [--threads 4]

Baseline: `Emulator.trigger()` called directly in this process. Then the same workflow through
the HTTP API (uvicorn on 127.0.0.1, port 0) with the official `knockapi` SDK and with raw httpx,
from several client threads. Each phase starts from a fresh emulator so store sizes match.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from knockapi import Knock

from emulator import Emulator
from emulator.http._server import ServerThread
from emulator.http.knock._app import knock_app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
WORKFLOW = "invoice-created"  # one email (layout + partial + CSS inlining) and one in-app message
DATA: dict[str, object] = {"invoice_id": "inv_1", "amount": "$5"}


def fresh() -> Emulator:
    emulator = Emulator.from_directory(FIXTURES, vars={"app_url": "https://app.test"})
    emulator.identify("u1", email="ada@example.com", name="Ada")
    return emulator


def in_process(seconds: float) -> float:
    emulator = fresh()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        emulator.trigger(WORKFLOW, ["u1"], data=DATA)
        count += 1
    return count / (time.perf_counter() - start)


def over_http(
    seconds: float, threads: int, make_caller: Callable[[str], Callable[[], None]]
) -> float:
    emulator = fresh()
    with ServerThread(knock_app(emulator)) as server:
        callers = [make_caller(server.base_url) for _ in range(threads)]
        for call in callers:
            call()  # warm up the connection outside the timing
        counts = [0] * threads
        stop = threading.Event()

        def work(index: int) -> None:
            call = callers[index]
            while not stop.is_set():
                call()
                counts[index] += 1

        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        stop.wait(seconds)
        stop.set()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
    triggered = len({r.workflow_run_id for r in emulator.runs()})
    assert triggered == sum(counts) + threads, (triggered, sum(counts))
    return sum(counts) / elapsed


def sdk_caller(base_url: str) -> Callable[[], None]:
    knock = Knock(api_key="sk_bench", base_url=base_url, max_retries=0)

    def call() -> None:
        knock.workflows.trigger(WORKFLOW, recipients=["u1"], data=DATA)

    return call


def raw_caller(base_url: str) -> Callable[[], None]:
    client = httpx.Client(base_url=base_url, headers={"Authorization": "Bearer sk_bench"})
    body = {"recipients": ["u1"], "data": DATA}

    def call() -> None:
        response = client.post(f"/v1/workflows/{WORKFLOW}/trigger", json=body)
        response.raise_for_status()

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each phase")
    parser.add_argument("--threads", type=int, default=4, help="client threads over HTTP")
    args = parser.parse_args()
    base = in_process(args.seconds)
    print(f"in-process trigger():          {base:9.1f} triggers/s (baseline)")
    for label, caller in (("knockapi SDK", sdk_caller), ("raw httpx", raw_caller)):
        for threads in sorted({1, args.threads}):
            rate = over_http(args.seconds, threads, caller)
            name = f"{label}, {threads} thread{'s' if threads > 1 else ''}:"
            print(f"{name:30} {rate:9.1f} triggers/s  ratio {rate / base:.2f}x of in-process")


if __name__ == "__main__":
    main()
