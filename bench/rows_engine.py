"""Rows about the engine: its cost against producing the same messages by hand, the garbage
collector's share of it, setting timers, long virtual periods and memory per finished run."""

from __future__ import annotations

import gc
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import css_inline
from _measure import Result, Row, Thunk, cpu, interleaved, ratio, times
from bench_engine import play_load, setup_load
from liquid import Environment
from markdown_it import MarkdownIt

from emulator import Emulator, load_definitions, parse_workflow
from emulator.definitions._model import Definitions
from emulator.templates._blocks import BASE_BLOCK_CSS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "fixtures" / "workflows"
VARS = {"app_url": "https://app.example.com"}
_TAGS = re.compile(r"<[^>]+>")
# Knock's row around each visual block (no padding set)
_ROW = (
    '<table role="presentation" class="block-row block-row--{kind}-v1" width="100%" '
    'cellpadding="0" cellspacing="0" border="0"><tr><td style="padding:0px 0px 0px 0px">'
    "{inner}</td></tr></table>"
)


def _engine_case(definitions: Definitions, triggers: int, recipients: int) -> Thunk:
    emu, plan = setup_load(definitions, triggers, recipients)
    return lambda: play_load(emu, plan)


def _recorded(
    definitions: Definitions, triggers: int, recipients: int, outputs: list[Any] | None = None
) -> list[Any]:
    """What the engine renders (template, context), from a separate unmeasured run: the engine
    is deterministic, so the measured run renders exactly this. `outputs` collects what each
    render produced (to check the floor makes the same messages)."""
    emu, plan = setup_load(definitions, triggers, recipients)
    calls: list[tuple[str, Any, Any]] = []
    templates = emu._engine.templates  # the bench instruments the engine's renderer
    render_channel = templates.render_channel

    def recording(kind: str, template: Any, overrides: Any, context: Any, **where: Any) -> Any:
        calls.append((kind, template, context))
        rendered = render_channel(kind, template, overrides, context, **where)
        if outputs is not None:
            outputs.append(rendered.fields)
        return rendered

    templates.render_channel = recording  # type: ignore[method-assign]
    play_load(emu, plan)
    return calls


def _floor_case(
    definitions: Definitions, calls: list[Any], outputs: list[Any] | None = None
) -> Callable[[], Thunk]:
    """The same messages made by hand: python-liquid on the same templates and variables (the
    layout with its footer links; visual blocks with the base CSS Knock puts in <head>),
    markdown-it for markdown, css-inline on the email document, a regex html-to-text.
    `outputs` collects each email's HTML and in-app body (to check they are the engine's)."""
    env = Environment()
    env.filters["pluralize"] = lambda value, one, many: one if value == 1 else many
    layout = definitions.layouts["default"]
    compiled: dict[str, Any] = {}

    def parse(source: str) -> Any:
        if source not in compiled:
            compiled[source] = env.from_string(source)
        return compiled[source]

    md = MarkdownIt("commonmark")
    inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)
    html_layout, text_layout = parse(layout.html_layout), parse(layout.text_layout)
    links = [{"text": link.text, "url": link.url} for link in layout.footer_links]
    head_css = f"<head><style>{BASE_BLOCK_CSS}</style>"
    keep = outputs.append if outputs is not None else lambda _: None

    def email(template: Any, ctx: dict[str, Any]) -> None:
        parse(template["subject"]).render(ctx)
        blocks = "visual_blocks" in template
        if blocks:
            parts = []
            for block in template["visual_blocks"]:
                text = parse(block["content"]).render(ctx)
                if block["type"] == "markdown":
                    text = f'<div class="block-markdown">{md.render(text)}</div>'
                parts.append(_ROW.format(kind=block["type"], inner=text))
            body = "\n".join(parts)
        else:
            body = parse(template["html_body"]).render(ctx)
        scope = {**ctx, "content": body, "footer_links": links}
        html = html_layout.render(scope)
        keep(inliner.inline(html.replace("<head>", head_css, 1) if blocks else html))
        text_layout.render({**scope, "content": _TAGS.sub("", body)})

    def in_app(template: Any, ctx: dict[str, Any]) -> None:
        keep(md.render(parse(template["markdown_body"]).render(ctx)))
        parse(template["action_url"]).render(ctx)

    jobs = [(email if kind == "email" else in_app, t, dict(c)) for kind, t, c in calls]

    def run() -> None:
        for make, template, ctx in jobs:
            make(template, ctx)

    return lambda: run


def _check_floor(definitions: Definitions) -> None:
    """The floor must make the engine's messages: the same email HTML and in-app body."""
    engine: list[Any] = []
    floor: list[Any] = []
    _floor_case(definitions, _recorded(definitions, 400, 50, engine), floor)()()
    made = [fields.get("html_body", fields.get("body")) for fields in engine]
    if made != floor:
        raise AssertionError("the floor no longer makes the engine's messages; fix the floor")


def engine_vs_floor(scale: float) -> Result:
    definitions = load_definitions(WORKFLOWS)
    _check_floor(definitions)
    triggers, recipients = max(1_000, int(10_000 * scale)), max(100, int(1_000 * scale))
    floor = _floor_case(definitions, _recorded(definitions, triggers, recipients))
    found = ratio(lambda: _engine_case(definitions, triggers, recipients), floor, repeats=3)
    return Result(times(found), found <= 2.0)


def gc_share(scale: float) -> Result:
    definitions = load_definitions(WORKFLOWS)
    triggers, recipients = max(1_000, int(10_000 * scale)), max(100, int(1_000 * scale))

    def paused() -> Thunk:
        play = _engine_case(definitions, triggers, recipients)

        def run() -> None:
            gc.disable()
            try:
                play()
            finally:
                gc.enable()

        return run

    # Seven pairs: the share is a few percent of a ~0.8 s load, and three pairs on a loaded
    # two-core machine read anywhere from 1% to 7% for the same code.
    on, off = interleaved([lambda: _engine_case(definitions, triggers, recipients), paused], 7)
    share = statistics.median(1 - b / a for a, b in zip(on, off, strict=True))
    return Result(f"{share:.0%}", share <= 0.05)


def _delay_definitions() -> Definitions:
    delay = {
        "ref": "delay_1",
        "type": "delay",
        "settings": {"delay_for": {"unit": "minutes", "value": 1}},
    }
    workflow = parse_workflow({"name": "wait", "steps": [delay]}, key="wait", file="wait.json")
    return Definitions(workflows={"wait": workflow})


def _timer_cost(parked: int, measured: int) -> float:
    """CPU us per delay step (which sets the timer) with `parked` timers already set."""
    emu = Emulator(_delay_definitions())
    spent = [0.0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return delay(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - start

    for n in range(parked):
        emu.trigger("wait", [f"u{n}"])
    # the step handlers load with a run's first step; the bench times the delay one in place
    handlers = emu._engine.step_handlers
    delay = handlers["delay"]
    handlers["delay"] = timed
    gc.collect()
    for n in range(parked, parked + measured):
        emu.trigger("wait", [f"u{n}"])
    return spent[0] / measured * 1e6


def timer_cost(scale: float) -> Result:
    small, large = max(2_000, int(10_000 * scale)), max(20_000, int(100_000 * scale))
    pairs = [(_timer_cost(small, 2_000), _timer_cost(large, 2_000)) for _ in range(3)]
    at_small = statistics.median(a for a, _ in pairs)
    growth = statistics.median(b / a for a, b in pairs)
    return Result(f"{at_small:.1f} us, {times(growth)}", at_small <= 10 and growth <= 1.2)


def _days(definitions: Definitions, users: int) -> list[float]:
    """CPU seconds of each of 30 virtual days: a trigger of each workflow per user, then a day
    passes (digests close, messages pile up)."""
    emu = Emulator(definitions, vars=VARS)
    for n in range(users):
        emu.identify(f"user_{n}", name=f"U{n}", email=f"u{n}@example.com")

    def one_day(day: int) -> None:
        for n in range(users):
            data = {"invoice_id": f"inv_{day}_{n % 5}", "status": "open", "amount": n}
            emu.trigger("invoice-updated", [f"user_{n}"], actor="user_1", data=data)
            emu.trigger("invoice-created", [f"user_{n}"], data=data)
        emu.clock.advance(days=1)

    return [cpu(lambda day=day: one_day(day)) for day in range(30)]


def late_day(scale: float) -> Result:
    definitions = load_definitions(WORKFLOWS)
    users = max(20, int(100 * scale))
    ratios = []
    for _ in range(3):
        days = _days(definitions, users)
        ratios.append(statistics.median(days[-5:]) / statistics.median(days[1:6]))
    found = statistics.median(ratios)
    return Result(times(found), found <= 1.1)


def run_memory(scale: float) -> Result:
    definitions = load_definitions(WORKFLOWS)
    count = max(1_000, int(10_000 * scale))
    emu = Emulator(definitions, vars=VARS)

    def runs(first: int) -> None:
        for n in range(first, first + count):
            emu.identify(f"u{n}", name=f"U{n}", email=f"u{n}@example.com")
            emu.trigger("invoice-created", [f"u{n}"], data={"invoice_id": f"i{n}", "amount": n})

    def without_messages() -> int:
        emu._engine.messages_store.clear()  # messages excluded: the bench clears them directly
        emu.outbox.clear()
        emu._engine.entities.clear()  # and the users identified for the runs
        gc.collect()
        return int(tracemalloc.get_traced_memory()[0])

    # Traced from the first run on: bounded caches (rendered markdown, ...) are full after the
    # first `count` runs, and entries the second batch evicts must count as freed.
    tracemalloc.start()
    try:
        runs(0)
        before = without_messages()
        runs(count)
        kept = without_messages() - before
    finally:
        tracemalloc.stop()
    per_run = kept / count / 1024
    return Result(f"{per_run:.2f} KB", per_run <= 1.0)


ROWS = [
    Row(
        "engine",
        "engine vs the message-production floor (Liquid + markdown + css-inline + html-to-text, "
        "same messages; 10k triggers, 1k recipients)",
        "≤ 2.0x",
        engine_vs_floor,
    ),
    Row("gc", "garbage collection share of engine time (same load)", "≤ 5%", gc_share),
    Row(
        "timers",
        "setting a timer (delay step): CPU per step at 10k parked, and 100k vs 10k",
        "≤ 10 us, ≤ 1.2x",
        timer_cost,
    ),
    Row(
        "days",
        "30 virtual days x 100 users: a late day vs an early day",
        "≤ 1.1x",
        late_day,
    ),
    Row(
        "memory",
        "memory kept per finished run (runs 10,001-20,000, messages excluded)",
        "≤ 1 KB",
        run_memory,
    ),
]
