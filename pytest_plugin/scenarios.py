"""Collect `*.scenario.yaml` / `*.scenario.yml` files as pytest tests (one test per file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_plugin._fixtures import CACHE_KEY, base_settings, definitions_for

if TYPE_CHECKING:
    from emulator import Emulator
    from emulator.scenarios import Scenario

SUFFIXES = (".scenario.yaml", ".scenario.yml")


def is_scenario(path: Path) -> bool:
    """Whether pytest should collect `path` as a scenario (`*.scenario.yaml`)."""
    return path.name.endswith(SUFFIXES)


class ScenarioFailedError(Exception):
    """Carries the scenario report (failures with file:line, then the timeline)."""


class ScenarioFile(pytest.File):
    """A scenario file; a file that cannot be loaded becomes one failing test saying why."""

    def collect(self) -> Iterator[ScenarioItem]:
        """One test per file, named after it."""
        yield ScenarioItem.from_parent(self, name=self.path.name.split(".scenario.")[0])


class ScenarioItem(pytest.Item):
    """Loads (errors point at file:line), then plays the scenario on the plugin's settings."""

    def runtest(self) -> None:
        """Load and play the scenario; ScenarioFailedError carries the report."""
        from emulator.scenarios import load_scenario, run_scenario

        scenario = load_scenario(self.path)
        result = run_scenario(scenario, emulator_factory=self._emulator)
        if not result.passed:
            raise ScenarioFailedError(result.report())

    def _emulator(self, scenario: Scenario) -> Emulator:
        from emulator.scenarios import scenario_emulator

        settings = base_settings(self.config)
        definitions = None
        if scenario.workflows is None:
            definitions = definitions_for(self.config, settings)
        else:
            definitions = self.config.stash[CACHE_KEY].get(scenario.workflows, scenario.where)
        return scenario_emulator(
            scenario,
            definitions,
            start=settings.start,
            strict=settings.strict,
            vars=settings.vars,
            channels=settings.channels,
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The scenario's own report instead of a traceback."""
        from emulator.scenarios import ScenarioError

        if isinstance(excinfo.value, ScenarioFailedError | ScenarioError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where pytest says the test lives."""
        return self.path, 0, f"scenario: {self.name}"


def collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    """A ScenarioFile for scenario files, None for anything else."""
    if is_scenario(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None
