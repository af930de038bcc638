"""Read a `*.scenario.yaml` file into a `Scenario`, reporting every problem with file and line."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from emulator import Problem
from emulator.scenarios._model import ACTIONS, ENGAGEMENTS, Action, Scenario, ScenarioError
from emulator.scenarios._yaml import LineDict, YamlSyntaxError, line_of, load_marked

TOP_KEYS = frozenset(
    {"name", "description", "workflows", "config", "start", "strict", "vars", "channels", "users"}
    | {"tenants", "steps", "tags"}
)
OPTIONS: dict[str, frozenset[str]] = {
    "trigger": frozenset({"recipients", "actor", "data", "tenant", "cancellation_key", "as"}),
    "cancel": frozenset({"cancellation_key", "recipients"}),
    "schedule": frozenset(
        {"recipients", "repeats", "data", "actor", "tenant", "scheduled_at", "ending_at"}
    ),
    "add_to_audience": frozenset({"users", "tenant"}),
    "remove_from_audience": frozenset({"users", "tenant"}),
    "send_event": frozenset({"recipient", "data", "source_key"}),
}
EXPECT_KEYS = frozenset(
    {"run", "status", "path", "branch", "skipped", "batch", "messages", "no_message"}
    | {"emails", "feed"}
)
_DURATION = re.compile(r"(\d+)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": "milliseconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_UNITS["w"] = "weeks"
DURATION_FIX = "write e.g. 30s, 5m, 1h30m, 2d, or a mapping such as {minutes: 5}"


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[Problem] = []

    def add(self, line: int, path: str, message: str, fix: str = "") -> None:
        self.found.append(Problem(self.file, path, message, fix, line or None))


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Parse and validate one scenario file; raise ScenarioError listing every problem."""
    file = Path(path)
    shown = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            [Problem(shown, "", f"cannot read the file ({exc.strerror})", "check the path")]
        ) from None
    try:
        doc = load_marked(text)
    except YamlSyntaxError as exc:
        fix = "fix the YAML syntax (indentation, quotes, colons)"
        raise ScenarioError([Problem(shown, "", f"invalid YAML: {exc}", fix, exc.line)]) from None
    problems = _Problems(shown)
    if not isinstance(doc, LineDict):
        problems.add(1, "", "a scenario file must be a mapping", "start with `name:` and `steps:`")
        raise ScenarioError(problems.found)
    scenario = _scenario(doc, file, problems)
    if problems.found or scenario is None:
        raise ScenarioError(problems.found)
    return scenario


def _scenario(doc: LineDict, file: Path, problems: _Problems) -> Scenario | None:
    for key in doc:
        if key not in TOP_KEYS:
            problems.add(
                line_of(doc, key), key, "unknown key", f"use one of {', '.join(sorted(TOP_KEYS))}"
            )
    name = doc.get("name", file.name.split(".scenario.")[0])
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.add(
            line_of(doc, "steps"),
            "steps",
            "missing or empty: a scenario needs a list of steps",
            "add `steps:` with trigger, advance and expect entries",
        )
        return None
    actions = [
        a
        for i, raw in enumerate(steps)
        if (a := _action(raw, i, line_of(steps, i), str(file), problems)) is not None
    ]
    workflows = doc.get("workflows")
    config = doc.get("config")
    if config is not None and not (file.parent / str(config)).is_file():
        problems.add(
            line_of(doc, "config"),
            "config",
            f"no config file {config!r} next to the scenario",
            "give a doorstep.yaml path relative to the scenario file",
        )
    start = doc.get("start")
    return Scenario(
        name=str(name),
        file=file,
        line=doc.line,
        actions=tuple(actions),
        users=tuple(_entities(doc, "users", problems)),
        tenants=tuple(_entities(doc, "tenants", problems)),
        description=str(doc.get("description", "")),
        workflows=None if workflows is None else (file.parent / str(workflows)).resolve(),
        config=None if config is None else (file.parent / str(config)).resolve(),
        start=None if start is None else _datetime(start, line_of(doc, "start"), "start", problems),
        strict=_bool(doc, "strict", problems),
        vars=_mapping(doc, "vars", problems),
        channels=_mapping(doc, "channels", problems),
        tags=tuple(str(t) for t in doc.get("tags") or ()),
    )


def _entities(doc: LineDict, key: str, problems: _Problems) -> list[Mapping[str, Any]]:
    raw = doc.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(line_of(doc, key), key, "must be a list", f"write `- id: ...` under {key}")
        return []
    found: list[Mapping[str, Any]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            problems.add(line_of(raw, i), f"{key}[{i}]", "needs an `id` string", "write `- id: u1`")
            continue
        found.append(dict(item))
    return found


def _action(raw: Any, index: int, line: int, file: str, problems: _Problems) -> Action | None:
    where = f"steps[{index}]"
    if not isinstance(raw, Mapping):
        problems.add(line, where, "each step must be a mapping", f"start it with one of {ACTIONS}")
        return None
    kinds = [k for k in raw if k in ACTIONS]
    if len(kinds) != 1:
        found = "none" if not kinds else ", ".join(kinds)
        problems.add(
            line,
            where,
            f"a step needs exactly one action key (found {found})",
            f"use one of {', '.join(ACTIONS)}; split several actions into separate steps",
        )
        return None
    kind = kinds[0]
    allowed = OPTIONS.get(kind, frozenset())
    for key in raw:
        if key != kind and key not in allowed:
            hint = f"{kind} accepts {', '.join(sorted(allowed))}" if allowed else "remove it"
            problems.add(line_of(raw, key), f"{where}.{key}", f"unknown option for {kind}", hint)
    value = raw[kind]
    before = len(problems.found)
    _check(kind, raw, value, f"{where}.{kind}", line_of(raw, kind), problems)
    if len(problems.found) != before:
        return None
    return Action(kind, raw, file, line, index)


def _check(
    kind: str, raw: Mapping[str, Any], value: Any, path: str, line: int, p: _Problems
) -> None:
    if kind in ("trigger", "cancel"):
        if not isinstance(value, str):
            p.add(line, path, "must be a workflow key", f"write `{kind}: invoice-updated`")
        if kind == "trigger" and not isinstance(raw.get("recipients"), list):
            p.add(line, path, "needs `recipients:` (a list)", "add `recipients: [u1]`")
        if kind == "cancel" and not isinstance(raw.get("cancellation_key"), str):
            p.add(line, path, "needs `cancellation_key:`", "add `cancellation_key: inv_1`")
        if "data" in raw and not isinstance(raw["data"], Mapping):
            p.add(line_of(raw, "data"), path, "`data` must be a mapping", "write `data: {k: v}`")
    elif kind == "schedule":
        _check_schedule(raw, value, path, line, p)
    elif kind in ("add_to_audience", "remove_from_audience"):
        users = raw.get("users")
        if not isinstance(value, str) or not value:
            p.add(line, path, "must be an audience key", f"write `{kind}: vip`")
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            p.add(line, path, "needs `users:` (a list of user ids)", "add `users: [u1]`")
    elif kind == "send_event":
        if not isinstance(value, str) or not value:
            p.add(line, path, "must be the event's key", "write `send_event: shipped`")
        if not isinstance(raw.get("recipient"), str | Mapping):
            p.add(line, path, "needs `recipient:`", "add `recipient: u1`")
        if "data" in raw and not isinstance(raw["data"], Mapping):
            p.add(line_of(raw, "data"), path, "`data` must be a mapping", "write `data: {k: v}`")
    elif kind == "advance":
        if parse_duration(value) is None:
            p.add(line, path, f"{value!r} is not a duration", DURATION_FIX)
    elif kind == "advance_to":
        _datetime(value, line, path, p)
    elif kind == "run_until_idle":
        if value is not True:
            p.add(line, path, "must be `true`", "write `run_until_idle: true`")
    elif kind == "identify":
        if not isinstance(value, Mapping) or not isinstance(value.get("id"), str):
            p.add(line, path, "needs a mapping with `id`", "write `identify: {id: u1, name: Ada}`")
    elif kind == "set_preferences":
        ok = isinstance(value, Mapping) and isinstance(value.get("user"), str)
        if not ok or not isinstance(value.get("preferences"), Mapping):
            fix = (
                "write `set_preferences: {user: u1, preferences: {channel_types: {email: false}}}`"
            )
            p.add(line, path, "needs `user` and a `preferences` mapping", fix)
    elif kind in ENGAGEMENTS:
        if not isinstance(value, Mapping) or not {"user", "step"} <= set(value):
            fix = f"write `{kind}: {{user: u1, step: in_app_feed_1}}` (optionally `workflow:`)"
            p.add(line, path, "needs `user` and `step` (whose in-app message to engage)", fix)
    elif kind == "expect":
        if not isinstance(value, Mapping) or not value:
            p.add(
                line, path, "must be a non-empty mapping", f"use {', '.join(sorted(EXPECT_KEYS))}"
            )
            return
        for key in value:
            if key not in EXPECT_KEYS:
                p.add(
                    line_of(value, key),
                    f"{path}.{key}",
                    "unknown expectation",
                    f"use one of {', '.join(sorted(EXPECT_KEYS))}",
                )


def _check_schedule(raw: Mapping[str, Any], value: Any, path: str, line: int, p: _Problems) -> None:
    if not isinstance(value, str) or not value:
        p.add(line, path, "must be a workflow key", "write `schedule: weekly-digest`")
    if not isinstance(raw.get("recipients"), list):
        p.add(line, path, "needs `recipients:` (a list)", "add `recipients: [u1]`")
    if not isinstance(raw.get("repeats"), list) and "scheduled_at" not in raw:
        fix = "add `repeats: [{frequency: daily, hours: 9}]` or `scheduled_at: 2025-01-02T09:00Z`"
        p.add(line, path, "needs `repeats:` (recurring) or `scheduled_at:` (once)", fix)
    for key in ("scheduled_at", "ending_at"):
        if key in raw:
            _datetime(raw[key], line_of(raw, key), f"{path}.{key}", p)
    if "data" in raw and not isinstance(raw["data"], Mapping):
        p.add(line_of(raw, "data"), path, "`data` must be a mapping", "write `data: {k: v}`")


def parse_duration(value: Any) -> timedelta | None:
    """`30s`, `5m`, `1h30m`, `2d`, `1w`, or `{minutes: 5}`; None when it is not a duration."""
    if isinstance(value, Mapping):
        try:
            return timedelta(**{str(k): float(v) for k, v in value.items()})
        except (TypeError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.replace(" ", "")
    parts = _DURATION.findall(text)
    if "".join(n + u for n, u in parts) != text:
        return None
    return timedelta(**{_UNITS[u]: float(n) for n, u in parts})


def _datetime(value: Any, line: int, path: str, p: _Problems) -> datetime | None:
    when = value
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            p.add(line, path, f"{value!r} is not an ISO 8601 time", "write 2025-01-01T09:00:00Z")
            return None
    if not isinstance(when, datetime):
        p.add(line, path, f"{value!r} is not a time", "write 2025-01-01T09:00:00Z")
        return None
    if when.tzinfo is None:
        p.add(line, path, f"{value!r} has no time zone", "add Z or +00:00")
        return None
    return when


def _bool(doc: LineDict, key: str, p: _Problems) -> bool | None:
    value = doc.get(key)
    if value is None or isinstance(value, bool):
        return value
    p.add(line_of(doc, key), key, f"must be true or false, got {value!r}", f"write `{key}: true`")
    return None


def _mapping(doc: LineDict, key: str, p: _Problems) -> Mapping[str, Any] | None:
    value = doc.get(key)
    if value is None or isinstance(value, Mapping):
        return value
    p.add(line_of(doc, key), key, "must be a mapping", f"write `{key}:` with `name: value` lines")
    return None
