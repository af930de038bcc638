"""Batch steps: windows, keys, limits, order, flush_leading and cancellation, minute by minute."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from wfbuild import batch, in_app, make_emulator, workflow

from emulator import Emulator


def digest(**settings: Any) -> Emulator:
    emu = make_emulator(workflow("digest", batch(**settings), in_app()))
    emu.identify("u1", name="Ada", email="ada@example.com")
    return emu


def fire(emu: Emulator, actor: str = "a1", **data: object) -> str:
    return emu.trigger("digest", ["u1"], actor={"id": actor}, data=data).runs[0].id


def test_fixed_window_merges_later_triggers_into_the_opener() -> None:
    emu = digest()
    first = fire(emu, n=1)
    emu.clock.advance(minutes=2)
    second = fire(emu, n=2)
    assert emu.run(first).status == "waiting"
    assert emu.run(second).status == "merged_into_batch"
    assert emu.run(second).step("batch_1").outcome == "merged"
    emu.clock.advance(minutes=2, seconds=59)
    assert emu.messages() == []
    emu.clock.advance(seconds=1)
    run = emu.run(first)
    assert run.status == "completed"
    assert run.path == ["batch_1", "in_app_feed_1"]
    info = run.step("batch_1").batch
    assert info is not None
    assert info.total_activities == 2
    assert info.activity_data == [{"n": 1}, {"n": 2}]
    assert info.run_ids == (first, second)
    assert emu.run(second).step("batch_1").batch == info
    assert [m.content["markdown_body"].strip() for m in emu.messages()] == ["2 updates"]


def test_batch_key_separates_batches_per_value() -> None:
    emu = digest(batch_key="invoice_id")
    fire(emu, invoice_id="a")
    fire(emu, invoice_id="b")
    fire(emu, invoice_id="a")
    emu.run_until_idle()
    totals = sorted(m.content["markdown_body"].strip() for m in emu.messages())
    assert totals == ["1 updates", "2 updates"]


def test_trigger_after_close_opens_a_new_batch() -> None:
    emu = digest()
    fire(emu)
    emu.clock.advance(minutes=5)
    fire(emu)
    emu.run_until_idle()
    assert len(emu.messages()) == 2


# Knock's docs: a 1-minute sliding window, a second trigger at +30 s closes at +1 min 30 s.
def test_sliding_window_docs_example() -> None:
    emu = digest(
        batch_window={"unit": "minutes", "value": 1},
        batch_window_type="sliding",
        batch_window_extension_limit={"unit": "minutes", "value": 10},
    )
    fire(emu)
    emu.clock.advance(seconds=30)
    fire(emu)
    emu.clock.advance(seconds=59)  # +1:29
    assert emu.messages() == []
    emu.clock.advance(seconds=1)  # +1:30
    assert len(emu.messages()) == 1


@pytest.mark.parametrize(
    ("trigger_minutes", "closes_at_minute"),
    [
        ([0], 5),
        ([0, 3], 8),
        ([0, 3, 6, 9], 10),  # capped at open + 10 minute extension limit
        ([0, 4, 8, 9.5], 10),
    ],
)
def test_sliding_window_with_max_extension_minute_by_minute(
    trigger_minutes: list[float], closes_at_minute: int
) -> None:
    emu = digest(
        batch_window_type="sliding", batch_window_extension_limit={"unit": "minutes", "value": 10}
    )
    start = emu.clock.now
    for at in trigger_minutes:
        emu.clock.advance_to(start + timedelta(minutes=at))
        fire(emu)
    for minute in range(int(trigger_minutes[-1]) + 1, 15):
        emu.clock.advance_to(start + timedelta(minutes=minute))
        assert len(emu.messages()) == (1 if minute >= closes_at_minute else 0), minute
    total = emu.messages()[0].content["markdown_body"].strip()
    assert total == f"{len(trigger_minutes)} updates"


def test_sliding_window_past_its_cap_closes_on_the_next_activity() -> None:
    emu = digest(
        batch_window={"unit": "minutes", "value": 5},
        batch_window_type="sliding",
        batch_window_extension_limit={"unit": "minutes", "value": 5},
    )
    fire(emu)
    emu.clock.advance(minutes=4)
    fire(emu)
    emu.clock.advance(minutes=1)  # cap reached exactly: closes here
    assert len(emu.messages()) == 1


def test_max_items_closes_the_batch_immediately() -> None:
    emu = digest(batch_items_max_limit=3)
    for n in range(3):
        fire(emu, n=n)
    assert len(emu.messages()) == 1
    assert emu.clock.now == emu.runs()[0].inserted_at


@pytest.mark.parametrize(
    ("order", "shown"),
    [("asc", [0, 1, 2]), ("desc", [9, 10, 11])],
)
def test_render_limit_and_order_keep_chronological_activities(order: str, shown: list[int]) -> None:
    emu = digest(batch_items_render_limit=3, batch_order=order)
    for n in range(12):
        fire(emu, actor=f"a{n}", n=n)
    emu.run_until_idle()
    info = emu.runs()[0].step("batch_1").batch
    assert info is not None
    assert info.total_activities == 12
    assert info.total_actors == 12
    assert [a["n"] for a in info.activity_data] == shown
    assert [a["id"] for a in info.actors] == [f"a{n}" for n in shown]
    assert [a.data["n"] for a in info.all_activities] == list(range(12))  # for the API


def test_default_render_limit_is_ten_and_actors_are_unique() -> None:
    emu = digest()
    for n in range(15):
        fire(emu, actor="same", n=n)
    emu.run_until_idle()
    info = emu.runs()[0].step("batch_1").batch
    assert info is not None
    assert (len(info.activities), info.total_activities, info.total_actors) == (10, 15, 1)


# Doc: knocklabs/docs content/designing-workflows/batch-function.mdx, "The `data` payload":
# combined in arrival order (latest wins), nested objects and arrays removed, strings cut to 256,
# only the rendered (first or last 10) activities' data; the activities keep theirs whole.
@pytest.mark.parametrize(
    ("triggers", "settings", "combined"),
    [
        ([{"a": 1, "n": {"x": 1}}, {"b": 2, "n": {"y": 2}}], {}, {"a": 1, "b": 2}),
        (
            [{"k": "old", "f": 1.5}, {"k": "new", "t": True, "z": None}],
            {},
            {"k": "new", "f": 1.5, "t": True, "z": None},
        ),
        ([{"k": "scalar"}, {"k": ["now", "a", "list"]}], {}, {}),
        ([{"s": "x" * 300}], {}, {"s": "x" * 256}),
        (
            [{"n": i, f"k{i}": i} for i in range(4)],
            {"batch_items_render_limit": 2},
            {"n": 1, "k0": 0, "k1": 1},
        ),
        (
            [{"n": i, f"k{i}": i} for i in range(4)],
            {"batch_items_render_limit": 2, "batch_order": "desc"},
            {"n": 3, "k2": 2, "k3": 3},
        ),
    ],
)
def test_data_after_the_window_is_combined_and_truncated(
    triggers: list[dict[str, Any]], settings: dict[str, Any], combined: dict[str, Any]
) -> None:
    emu = digest(**settings)
    for data in triggers:
        fire(emu, **data)
    emu.run_until_idle()
    info = emu.runs()[0].step("batch_1").batch
    assert info is not None
    assert info.merged_data == combined
    assert emu.messages()[0].data == combined
    assert [a.data for a in info.all_activities] == triggers  # activities keep their data whole


def test_alert_digest_reads_nested_data_through_activities() -> None:
    """Knock's alert-digest template reads `data.digest.period`, which the rule above removes:
    it renders empty (the docs win over the library example); `activities` still carry it."""
    emu = make_emulator(
        workflow(
            "alert-digest",
            batch(),
            in_app(body="[{{ data.digest.period }}|{{ activities[0].data.digest.period }}]"),
        )
    )
    emu.identify("u1")
    emu.trigger("alert-digest", ["u1"], data={"digest": {"period": "weekly"}})
    emu.run_until_idle()
    assert emu.messages()[0].content["markdown_body"].strip() == "[|weekly]"


def test_flush_leading_sends_the_first_at_once_and_batches_the_rest() -> None:
    emu = digest(batch_execution_mode="flush_leading")
    lead = fire(emu, n=1)
    assert emu.run(lead).status == "completed"
    assert [m.content["markdown_body"].strip() for m in emu.messages()] == ["1 updates"]
    second = fire(emu, n=2)
    third = fire(emu, n=3)
    assert emu.run(second).status == "waiting"
    assert emu.run(third).status == "merged_into_batch"
    emu.run_until_idle()
    assert emu.run(second).status == "completed"
    assert [m.content["markdown_body"].strip() for m in emu.messages()] == [
        "1 updates",
        "2 updates",
    ]


def test_flush_leading_without_a_second_item_noops_on_close() -> None:
    emu = digest(batch_execution_mode="flush_leading")
    fire(emu)
    emu.run_until_idle()
    assert len(emu.messages()) == 1


def test_cancelling_an_activity_removes_it_and_keeps_the_window_open() -> None:
    emu = digest()
    emu.trigger("digest", ["u1"], data={"n": 1}, cancellation_key="k1")
    emu.trigger("digest", ["u1"], data={"n": 2}, cancellation_key="k2")
    cancelled = emu.cancel("digest", "k2")
    assert [r.status for r in cancelled] == ["cancelled"]
    assert emu.clock.next_due() == emu.clock.now + timedelta(minutes=5)
    emu.run_until_idle()
    info = emu.runs()[0].step("batch_1").batch
    assert info is not None
    assert info.activity_data == [{"n": 1}]


def test_cancelling_the_opener_hands_the_batch_to_the_next_activity() -> None:
    emu = digest()
    opener = emu.trigger("digest", ["u1"], data={"n": 1}, cancellation_key="k1").runs[0]
    second = emu.trigger("digest", ["u1"], data={"n": 2}, cancellation_key="k2").runs[0]
    emu.cancel("digest", "k1")
    assert opener.status == "cancelled"
    assert opener.step("batch_1").outcome == "cancelled"
    emu.run_until_idle()
    assert second.status == "completed"
    assert [m.content["markdown_body"].strip() for m in emu.messages()] == ["1 updates"]


def test_batch_with_every_activity_cancelled_sends_nothing() -> None:
    emu = digest()
    emu.trigger("digest", ["u1"], cancellation_key="k")
    emu.trigger("digest", ["u1"], cancellation_key="k")
    assert len(emu.cancel("digest", "k")) == 2
    emu.run_until_idle()
    assert emu.messages() == []
    assert emu.clock.pending == 0


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"batch_window": None, "batch_until_field_path": "data.until"}, "data.until is not set"),
        ({"batch_window": None, "batch_until_field_path": "data.bad"}, "not an ISO-8601"),
        ({"batch_window": None, "batch_until_field_path": "data.past"}, "not in the future"),
    ],
)
def test_invalid_dynamic_window_skips_the_batch(settings: dict[str, object], reason: str) -> None:
    settings = {k: v for k, v in settings.items() if v is not None}
    emu = make_emulator(
        workflow("digest", {"ref": "batch_1", "type": "batch", "settings": settings}, in_app())
    )
    run = emu.trigger("digest", ["u1"], data={"bad": "soon", "past": "2000-01-01T00:00:00Z"}).runs[
        0
    ]
    record = run.step("batch_1")
    assert record.outcome == "skipped"
    assert reason in (record.skipped_because or "")
    assert run.status == "completed"
    assert len(emu.messages()) == 1


@pytest.mark.parametrize(
    "value",
    [
        "2025-01-01T09:30:00Z",
        {"unit": "minutes", "value": 30},
        {"frequency": "daily", "hours": 9, "minutes": 30},
    ],
)
def test_dynamic_window_forms_close_at_the_named_instant(value: object) -> None:
    emu = make_emulator(
        workflow(
            "digest",
            {
                "ref": "batch_1",
                "type": "batch",
                "settings": {"batch_until_field_path": "data.until"},
            },
            in_app(),
        )
    )
    emu.trigger("digest", ["u1"], data={"until": value})
    emu.clock.advance(minutes=29, seconds=59)
    assert emu.messages() == []
    emu.clock.advance(seconds=1)
    assert len(emu.messages()) == 1
