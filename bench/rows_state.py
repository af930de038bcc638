"""Rows about stored state: message queries as the store grows, the outbox's first read, and a
second `Emulator` built from the same definitions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from _measure import Case, Result, Row, Thunk, ratio, times

from emulator import Emulator, Message, load_definitions

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "fixtures" / "workflows"
CONFIG = ROOT / "fixtures" / "doorstep.yaml"
AT = datetime(2025, 1, 1, 9, tzinfo=UTC)
OWN = 20  # the queried user's messages, the same in both stores


def _filled(stored: int) -> Emulator:
    """An emulator whose store holds `stored` in-app messages, OWN of them to `u_target`."""
    emu = Emulator()
    store = emu._engine.messages_store  # the bench fills the store directly: it times queries
    for n in range(stored):
        user = "u_target" if n % (stored // OWN) == 0 and n // (stored // OWN) < OWN else f"u{n}"
        store.add(
            Message(
                id=f"m{n}",
                channel_type="in_app_feed" if n % 2 else "email",
                channel_key="in-app-feed",
                recipient=user,
                workflow="w",
                step_ref="s",
                run_id=f"r{n}",
                workflow_run_id=f"r{n}",
                content={"markdown_body": f"note {n}"},
                inserted_at=AT,
            )
        )
    return emu


def _queries(emu: Emulator, calls: int) -> Thunk:
    def run() -> None:
        for _ in range(calls):
            emu.feed("u_target").items()
            emu.messages(recipient="u_target")

    return run


def message_queries(scale: float) -> Result:
    small, large = _filled(1_000), _filled(max(2_000, int(30_000 * scale)))
    calls = 200
    found = ratio(lambda: _queries(large, calls), lambda: _queries(small, calls))
    return Result(times(found), found <= 1.5)


def _emails(count: int) -> Emulator:
    emu = Emulator.from_directory(WORKFLOWS, config=CONFIG)
    for n in range(count):
        emu.identify(f"u{n}", name=f"User {n}", email=f"u{n}@example.com")
        emu.trigger("invoice-created", [f"u{n}"], data={"invoice_id": f"i{n}", "amount": n})
    return emu


def outbox_first_read(scale: float) -> Result:
    count = max(50, int(731 * scale))

    def first_read() -> Thunk:
        emu = _emails(count)
        return lambda: [(e.subject, e.html, e.text) for e in emu.outbox]

    def records() -> Thunk:
        emu = _emails(count)
        return lambda: [
            (m.content.get("subject"), m.content.get("html_body"), m.content.get("text_body"))
            for m in emu.messages(channel_type="email")
        ]

    found = ratio(first_read, records, repeats=5)
    return Result(times(found), found <= 1.2)


def second_emulator(scale: float) -> Result:
    definitions = load_definitions(WORKFLOWS)
    warm = Emulator(definitions, vars={"app_url": "x"})
    warm.identify("u1", name="Ada", email="ada@example.com")
    warm.trigger("invoice-created", ["u1"], data={"invoice_id": "i0", "amount": 1})
    fresh: list[Emulator] = []

    def trigger(n: int) -> None:
        fresh[-1].trigger("invoice-created", ["u1"], data={"invoice_id": f"i{n}", "amount": n})

    def first() -> Thunk:
        emu = Emulator(definitions, vars={"app_url": "x"})
        emu.identify("u1", name="Ada", email="ada@example.com")
        fresh.append(emu)
        return lambda: trigger(1)

    def second() -> Thunk:
        return lambda: trigger(2)

    cases: list[Case] = [first, second]
    found = ratio(*cases, repeats=15, rotate=False)
    return Result(times(found), found <= 1.3)


ROWS = [
    Row(
        "queries",
        "`feed(user).items()` + `messages(recipient=...)`, 30k vs 1k stored",
        "≤ 1.5x",
        message_queries,
    ),
    Row(
        "outbox",
        "first read of `emu.outbox` vs reading the message records (731 emails)",
        "≤ 1.2x",
        outbox_first_read,
    ),
    Row(
        "second",
        "a second `Emulator` from the same definitions: first trigger vs second",
        "≤ 1.3x",
        second_emulator,
    ),
]
