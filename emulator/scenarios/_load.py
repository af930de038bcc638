"""Read a `*.scenario.yaml` file into a `Scenario`, reporting every problem with file and line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator import Problem, YamlError, not_utf8
from emulator.scenarios._checks import Problems, StepCheck, parse_time
from emulator.scenarios._model import Action, Scenario, ScenarioError
from emulator.scenarios._registry import ACTIONS, REGISTRY
from emulator.scenarios._yaml import LineDict, line_of, load_marked

TOP_KEYS = frozenset(
    {"name", "description", "workflows", "config", "start", "strict", "vars", "channels", "users"}
    | {"tenants", "steps", "tags"}
)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Parse and validate one scenario file; raise ScenarioError listing every problem."""
    file = Path(path)
    shown = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([not_utf8(shown, file.read_bytes(), exc)]) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(shown, "", f"cannot read the file ({exc.strerror})", "check the path")]
        ) from None
    try:
        doc = load_marked(text)
    except YamlError as exc:
        problem = Problem(shown, "", f"invalid YAML: {exc}", exc.fix, exc.line)
        raise ScenarioError([problem]) from None
    problems = Problems(shown)
    if not isinstance(doc, LineDict):
        problems.add(1, "", "a scenario file must be a mapping", "start with `name:` and `steps:`")
        raise ScenarioError(problems.found)
    scenario = _scenario(doc, file, problems)
    if problems.found or scenario is None:
        raise ScenarioError(problems.found)
    return scenario


def _scenario(doc: LineDict, file: Path, problems: Problems) -> Scenario | None:
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


def _entities(doc: LineDict, key: str, problems: Problems) -> list[Mapping[str, Any]]:
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


def _action(raw: Any, index: int, line: int, file: str, problems: Problems) -> Action | None:
    where = f"steps[{index}]"
    if not isinstance(raw, Mapping):
        problems.add(line, where, "each step must be a mapping", f"start it with one of {ACTIONS}")
        return None
    kinds = [k for k in raw if k in REGISTRY]
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
    spec = REGISTRY[kind]
    allowed = spec.option_names
    for key in raw:
        if key != kind and key not in allowed:
            hint = f"{kind} accepts {', '.join(sorted(allowed))}" if allowed else "remove it"
            problems.add(line_of(raw, key), f"{where}.{key}", f"unknown option for {kind}", hint)
    before = len(problems.found)
    spec.check_step(StepCheck(raw, raw[kind], f"{where}.{kind}", line_of(raw, kind), problems))
    if len(problems.found) != before:
        return None
    return Action(kind, raw, file, line, index)


def _datetime(value: Any, line: int, path: str, p: Problems) -> datetime | None:
    when = parse_time(value)
    if isinstance(when, datetime):
        return when
    p.add(line, path, *when)
    return None


def _bool(doc: LineDict, key: str, p: Problems) -> bool | None:
    value = doc.get(key)
    if value is None or isinstance(value, bool):
        return value
    p.add(line_of(doc, key), key, f"must be true or false, got {value!r}", f"write `{key}: true`")
    return None


def _mapping(doc: LineDict, key: str, p: Problems) -> Mapping[str, Any] | None:
    value = doc.get(key)
    if value is None or isinstance(value, Mapping):
        return value
    p.add(line_of(doc, key), key, "must be a mapping", f"write `{key}:` with `name: value` lines")
    return None
