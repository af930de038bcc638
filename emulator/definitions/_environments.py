"""The `environments:` key of `doorstep.yaml`: which Knock environments `doorstep serve` runs.

Knock promotes content upward through an ordered list of environments (development first,
production last); each has its own API keys and its own data. Two forms:

    environments: [development, staging, production]

    environments:
      development: {keys: [sk_test_team, pk_test_team]}
      staging: {keys: [sk_staging_team]}
      production: {keys: [sk_live_team, pk_live_team], workflows: ./prod-knock}

Without the key Doorstep runs `development` and `production`. `workflows:` (relative to the
config file) is an environment's committed content; by default every environment starts from
the directory given with `--workflows`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.core import Problem

DEFAULT_ENVIRONMENTS = ("development", "production")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_FIX = (
    "write environments: [development, staging, production], or a mapping such as "
    "environments: {development: {keys: [sk_test_x]}, production: {keys: [sk_live_x]}}"
)


@dataclass(frozen=True, slots=True)
class EnvironmentConfig:
    """One environment: its slug, the API keys that reach it, and its starting content."""

    name: str
    keys: tuple[str, ...] = ()
    workflows: Path | None = None


def default_environments() -> tuple[EnvironmentConfig, ...]:
    """development and production, no keys configured (the default key mapping applies)."""
    return tuple(EnvironmentConfig(name) for name in DEFAULT_ENVIRONMENTS)


def parse_environments(
    raw: Any, file: str, problems: list[Problem]
) -> tuple[EnvironmentConfig, ...]:
    """The environments in `raw` (list or mapping form), appending what is wrong to `problems`."""
    if raw is None:
        return default_environments()
    if isinstance(raw, list):
        entries: list[tuple[Any, Any]] = [(name, None) for name in raw]
    elif isinstance(raw, Mapping):
        entries = list(raw.items())
    else:
        problems.append(Problem(file, "environments", "must be a list or a mapping", _FIX))
        return default_environments()
    found: list[EnvironmentConfig] = []
    seen_keys: dict[str, str] = {}
    for index, (name, spec) in enumerate(entries):
        where = f"environments.{name}" if isinstance(raw, Mapping) else f"environments[{index}]"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            problems.append(
                Problem(
                    file,
                    where,
                    f"{name!r} is not an environment slug",
                    "use lower-case letters, digits, - and _ (development, staging, production)",
                )
            )
            continue
        if any(env.name == name for env in found):
            problems.append(Problem(file, where, f"{name!r} is listed twice", "list it once"))
            continue
        environment = _one(name, spec, file, where, problems)
        for key in environment.keys:
            if key in seen_keys:
                problems.append(
                    Problem(
                        file,
                        f"{where}.keys",
                        f"key {key!r} is also {seen_keys[key]}'s",
                        "give each environment its own keys, as Knock does",
                    )
                )
            seen_keys[key] = name
        found.append(environment)
    if not found and not problems:
        problems.append(Problem(file, "environments", "lists no environment", _FIX))
    return tuple(found) or default_environments()


def _one(name: str, spec: Any, file: str, where: str, problems: list[Problem]) -> EnvironmentConfig:
    if spec is None:
        return EnvironmentConfig(name)
    if not isinstance(spec, Mapping):
        problems.append(Problem(file, where, "must be a mapping (keys, workflows)", _FIX))
        return EnvironmentConfig(name)
    for extra in set(spec) - {"keys", "workflows"}:
        problems.append(
            Problem(file, f"{where}.{extra}", "unknown environment setting", "use keys, workflows")
        )
    keys = spec.get("keys") or []
    if not isinstance(keys, list) or not all(
        isinstance(k, str) and k.startswith(("sk_", "pk_")) for k in keys
    ):
        problems.append(
            Problem(
                file,
                f"{where}.keys",
                "must be a list of sk_... and pk_... keys",
                "write keys: [sk_test_team, pk_test_team]",
            )
        )
        keys = []
    workflows = spec.get("workflows")
    directory = None
    if workflows is not None:
        if not isinstance(workflows, str):
            problems.append(
                Problem(
                    file,
                    f"{where}.workflows",
                    "must be a directory path",
                    "write workflows: ./knock (relative to this file)",
                )
            )
        else:
            directory = (Path(file).parent / workflows).resolve()
            if not directory.is_dir():
                problems.append(
                    Problem(
                        file,
                        f"{where}.workflows",
                        f"{workflows!r} is not a directory",
                        "create it (knock workflow pull --all) or fix the path",
                    )
                )
    return EnvironmentConfig(name, tuple(keys), directory)
