"""Inspector and `/api/v1/messages` latency with 10,000 captured emails vs a 10-email baseline.

Both pages are paginated (50 rows), so the ratio shows how much the total mailbox size still
costs per request. Run: `python bench/bench_inspector.py`.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

import httpx

from emulator import Emulator, Mailbox, OutgoingEmail
from emulator.http import ServerThread
from emulator.http._app import create_app

ROUNDS = 30
SIZES = (10, 10_000)
PATHS = (
    "/ui/",
    "/api/v1/messages",
    "/api/v1/messages?start=5000&limit=50",
    "/api/v1/search?query=subject:%22mail 9999%22",
    "/ui/?q=to:user7@",
)


def build(count: int) -> Emulator:
    emu = Emulator(mailbox=Mailbox(retention=0))
    html = (
        "<html><body><h1>Hello</h1><p>" + "Lorem ipsum dolor sit amet. " * 20 + "</p></body></html>"
    )
    # Build the MIME once; `Mailbox.add` stores copies with their own id, subject and recipient
    # (capturing 10,000 through MIME would take most of the bench's time budget).
    first = emu.outbox.capture_outgoing(
        OutgoingEmail(
            from_="App <app@example.com>",
            to=["user0@example.com"],
            subject="mail 0",
            html=html,
            text="Hello " * 30,
        )
    )
    for i in range(1, count):
        emu.outbox.add(
            dataclasses.replace(
                first,
                id=f"{first.id}-{i}",
                subject=f"mail {i}",
                to=[f"user{i % 100}@example.com"],
            )
        )
    return emu


def measure(base: str, path: str) -> float:
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get(path).raise_for_status()  # warm up (templates, imports)
        times = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - began)
            response.raise_for_status()
    return statistics.median(times)


def main() -> None:
    results: dict[int, dict[str, float]] = {}
    for size in SIZES:
        began = time.perf_counter()
        emu = build(size)
        print(f"captured {size} emails in {time.perf_counter() - began:.2f}s")
        with ServerThread(create_app(emu)) as server:
            results[size] = {path: measure(server.base_url, path) for path in PATHS}
    small, large = SIZES
    print(f"\nmedian of {ROUNDS} requests (ms); ratio = {large} emails / {small} emails")
    print(f"{'path':44} {small:>10} {large:>10} {'ratio':>8}")
    for path in PATHS:
        a, b = results[small][path] * 1000, results[large][path] * 1000
        print(f"{path:44} {a:10.2f} {b:10.2f} {b / a:8.1f}x")


if __name__ == "__main__":
    main()
