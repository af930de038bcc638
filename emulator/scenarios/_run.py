"""Run a Scenario against a fresh Emulator, recording a human timeline and every failure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator import Definitions, DoorstepError, Emulator
from emulator.scenarios._model import Scenario
from emulator.scenarios._player import Player
from emulator.scenarios._registry import REGISTRY

EmulatorFactory = Callable[[Scenario], Emulator]


@dataclass
class ScenarioResult:
    """What happened: `passed`, `failures` (file:line first), `timeline` and the emulator."""

    scenario: Scenario
    emulator: Emulator | None
    failures: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures

    def report(self) -> str:
        """Failures, then the timeline: what a person needs to see why a scenario failed."""
        head = f"scenario {self.scenario.name!r} ({self.scenario.where})"
        if self.passed:
            lines = [f"{head}: passed"]
        else:
            lines = [f"{head}: {len(self.failures)} failure(s)", *self.failures]
        return "\n".join([*lines, "", "timeline:", *(f"  {t}" for t in self.timeline)])


def scenario_emulator(
    scenario: Scenario,
    definitions: Definitions | None = None,
    *,
    start: datetime | None = None,
    strict: bool = True,
    vars: Mapping[str, Any] | None = None,
    channels: Mapping[str, Any] | None = None,
) -> Emulator:
    """An Emulator for `scenario`: its own settings win over the defaults given here.

    Without `definitions` the scenario's `workflows:` directory is loaded."""
    options: dict[str, Any] = {
        "start": scenario.start or start,
        "strict": strict if scenario.strict is None else scenario.strict,
        "vars": {**(vars or {}), **(scenario.vars or {})},
        "channels": {**(channels or {}), **(scenario.channels or {})},
        "config": scenario.config,
    }
    if definitions is None or scenario.workflows is not None:
        if scenario.workflows is None:
            raise DoorstepError(
                f"{scenario.where}: the scenario names no workflows; add `workflows: <dir>` "
                "(relative to the scenario file) or pass the directory to the runner"
            )
        return Emulator.from_directory(scenario.workflows, **options)  # warns as it loads
    return Emulator(definitions, **options)


def run_scenario(
    scenario: Scenario, *, emulator_factory: EmulatorFactory | None = None
) -> ScenarioResult:
    """Play every step in order; an action that raises stops the run, expectations do not."""
    result = ScenarioResult(scenario, None)
    try:
        emu = (emulator_factory or scenario_emulator)(scenario)
    except DoorstepError as exc:
        result.failures.append(f"{scenario.where}: cannot build the emulator: {exc}")
        return result
    result.emulator = emu
    player = Player(emu, result.timeline, result.failures)
    try:
        for user in scenario.users:
            emu.identify(user["id"], **{k: v for k, v in user.items() if k != "id"})
        for tenant in scenario.tenants:
            emu.set_tenant(tenant["id"], **{k: v for k, v in tenant.items() if k != "id"})
    except DoorstepError as exc:
        result.failures.append(f"{scenario.where}: users/tenants: {exc}")
        return result
    for action in scenario.actions:
        try:
            REGISTRY[action.kind].play(player, action)
            player.note_changes()
        except DoorstepError as exc:
            kind = type(exc).__name__
            result.failures.append(
                f"{action.where}: step {action.index + 1} ({action.summary()}) raised {kind}: {exc}"
            )
            player.note_changes()
            break
    return result
