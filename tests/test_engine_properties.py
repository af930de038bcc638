"""Invariants over random interleavings: nothing lost, nothing counted twice, time in order."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from wfbuild import batch, in_app, make_emulator, workflow

from emulator import Clock

Action = tuple[str, int]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("trigger"), st.integers(0, 5)),  # recipient-and-key selector
        st.tuples(st.just("advance"), st.integers(0, 400)),  # seconds
        st.tuples(st.just("cancel"), st.integers(0, 5)),
    ),
    max_size=40,
)
windows = st.fixed_dictionaries(
    {
        "batch_window_type": st.sampled_from(["fixed", "sliding"]),
        "batch_execution_mode": st.sampled_from(["accumulate", "flush_leading"]),
        "batch_items_max_limit": st.one_of(st.none(), st.integers(2, 6)),
        "batch_window": st.builds(lambda s: {"unit": "seconds", "value": s}, st.integers(1, 600)),
        "batch_window_extension_limit": st.builds(
            lambda s: {"unit": "seconds", "value": s}, st.integers(1, 1200)
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(actions=actions, window=windows)
def test_every_trigger_ends_in_exactly_one_batch_or_is_cancelled(
    actions: list[Action], window: dict[str, object]
) -> None:
    config = {k: v for k, v in window.items() if v is not None}
    emu = make_emulator(workflow("digest", batch(batch_key="topic", **config), in_app(body="x")))
    triggered = []
    for kind, value in actions:
        if kind == "trigger":
            run = emu.trigger(
                "digest", [f"u{value % 2}"], data={"topic": value % 3}, cancellation_key=f"c{value}"
            ).runs[0]
            triggered.append(run)
        elif kind == "advance":
            emu.clock.advance(seconds=value)
        else:
            emu.cancel("digest", f"c{value}")
    emu.run_until_idle()
    assert emu.clock.pending == 0
    assert all(run.finished for run in triggered)
    leading = config["batch_execution_mode"] == "flush_leading"
    counted: Counter[str] = Counter()
    for run in triggered:
        record = run.step("batch_1")
        if run.status == "completed" and record.batch is not None:
            if (
                leading
                and record.batch.run_ids == (run.id,)
                and record.batch.closed_at == (record.batch.opened_at)
            ):
                counted[run.id] += 1  # the leading run went on by itself
            else:
                counted.update(record.batch.run_ids)
    for run in triggered:
        expected = 0 if run.status == "cancelled" else 1
        assert counted[run.id] == expected, (run, run.step("batch_1"))
    assert len(emu.messages()) == sum(1 for r in triggered if r.status == "completed")


@settings(max_examples=200, deadline=None)
@given(
    delays=st.lists(st.integers(0, 10_000), max_size=30),
    chained=st.lists(st.integers(0, 5_000), max_size=10),
    steps=st.lists(st.integers(0, 3_000), max_size=10),
)
def test_timers_fire_in_due_order_at_their_due_time(
    delays: list[int], chained: list[int], steps: list[int]
) -> None:
    clock = Clock()
    fired: list[tuple[object, object]] = []

    def timer(delay: int, chain: list[int]) -> None:
        due = clock.now + timedelta(seconds=delay)

        def callback() -> None:
            fired.append((due, clock.now))
            if chain:
                timer(chain[0], chain[1:])

        clock.call_at(due, callback)

    for delay in delays:
        timer(delay, chained)
    for step in steps:
        clock.advance(seconds=step)
    clock.run_until_idle()
    assert all(due == at for due, at in fired)
    assert [at for _, at in fired] == sorted(at for _, at in fired)  # type: ignore[type-var]
    assert clock.pending == 0
    assert clock.next_due() is None
