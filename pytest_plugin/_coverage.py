"""Workflow coverage in pytest: `--doorstep-cov`, `--doorstep-cov-report=TYPE` (repeatable),
`--doorstep-cov-fail-under=MIN`.

Each has an environment and an ini twin, as the plugin's other settings do (command line >
environment > ini): `DOORSTEP_COV` / `doorstep_cov` (on/off), `DOORSTEP_COV_REPORT` (comma
separated) / `doorstep_cov_report` (one per line or comma separated), `DOORSTEP_COV_FAIL_UNDER` /
`doorstep_cov_fail_under`. Reports: `term` (the default), `term-missing`, `json:PATH`, `html:DIR`,
`github`. A total under the fail-under percentage fails the run (exit status 1), as pytest-cov's
`--cov-fail-under` does.

Every `Emulator` the session builds is counted (fixtures, hand-built ones, `knock_api`, scenario
files): the collector starts at configure time and attaches to each new emulator. Under xdist
each worker sends its data to the controller (`workeroutput`), which adds them up and reports,
so `-n 2` reports the numbers a single process would.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from pytest_plugin._options import parse_bool

if TYPE_CHECKING:
    from emulator.coverage import Collector, CoverageData, ReportSpec

WORKER_KEY = "doorstep_cov"
_HELP = {
    "cov": "measure workflow coverage (steps, branches, condition and step outcomes): on/off",
    "cov_report": "workflow coverage report: term (default), term-missing, json:PATH, html:DIR, "
    "github; repeat the option for several",
    "cov_fail_under": "fail the run if total workflow coverage is under this percentage",
}


def add_options(parser: pytest.Parser) -> None:
    """The three options and their ini twins, in the "Doorstep" help group."""
    group = parser.getgroup("doorstep", "Doorstep workflow emulator")
    group.addoption(
        "--doorstep-cov",
        dest="doorstep_cov",
        action="store_const",
        const="on",
        default=None,
        help=_HELP["cov"],
    )
    group.addoption(
        "--doorstep-cov-report",
        dest="doorstep_cov_report",
        action="append",
        default=None,
        metavar="TYPE",
        help=_HELP["cov_report"],
    )
    group.addoption(
        "--doorstep-cov-fail-under",
        dest="doorstep_cov_fail_under",
        default=None,
        metavar="MIN",
        help=_HELP["cov_fail_under"],
    )
    parser.addini("doorstep_cov", _HELP["cov"], default=None)
    parser.addini("doorstep_cov_report", _HELP["cov_report"], type="linelist", default=[])
    parser.addini("doorstep_cov_fail_under", _HELP["cov_fail_under"], default=None)


class CoverageSettings(NamedTuple):
    """Resolved: whether coverage is on, which reports, and the fail-under percentage."""

    enabled: bool
    reports: tuple[ReportSpec, ...]
    fail_under: float | None


def _lookup(config: pytest.Config, name: str) -> tuple[Any, str] | None:
    value = config.getoption(f"doorstep_{name}")
    if value is not None:
        return value, "--doorstep-" + name.replace("_", "-")
    env = os.environ.get("DOORSTEP_" + name.upper())
    if env:
        return env, "DOORSTEP_" + name.upper()
    ini = config.getini(f"doorstep_{name}")
    if ini:
        return ini, f"doorstep_{name} (ini)"
    return None


def resolve(config: pytest.Config) -> CoverageSettings:
    """Command line > environment > ini; UsageError naming the spelling that is wrong.

    `emulator.coverage` is imported only when a report is named or coverage is on: a session
    without coverage does not load the emulator at start-up."""
    found = _lookup(config, "cov")
    enabled = parse_bool(found[0], found[1]) if found else False
    reports: list[ReportSpec] = []
    found = _lookup(config, "cov_report")
    if found is not None:
        value, origin = found
        texts = value if isinstance(value, list) else [value]
        from emulator.coverage import parse_report_spec

        for text in (part for t in texts for part in str(t).split(",") if part.strip()):
            try:
                reports.append(parse_report_spec(text))
            except ValueError as exc:
                raise pytest.UsageError(f"{origin}: {exc}") from None
    fail_under = None
    found = _lookup(config, "cov_fail_under")
    if found is not None:
        try:
            fail_under = float(str(found[0]).strip().rstrip("%"))
        except ValueError:
            raise pytest.UsageError(
                f"{found[1]}={found[0]!r}: give a percentage such as 90 or 100"
            ) from None
    if enabled and not reports:
        from emulator.coverage import parse_report_spec

        reports.append(parse_report_spec("term"))
    return CoverageSettings(enabled, tuple(reports), fail_under)


def configure(config: pytest.Config) -> None:
    """Start counting when coverage is on (before any fixture builds an emulator)."""
    settings = resolve(config)
    if settings.enabled:
        config.pluginmanager.register(CoveragePlugin(config, settings), "doorstep-coverage")


class CoveragePlugin:
    """Counts every emulator of the session; reports and applies fail-under at the end."""

    def __init__(self, config: pytest.Config, settings: CoverageSettings) -> None:
        from emulator.coverage import Collector, CoverageData

        self.config, self.settings = config, settings
        self.collector: Collector = Collector()
        self.collector.start()
        self.workers = CoverageData()  # xdist controller: what the workers sent
        self.total: CoverageData | None = None
        self.failed_under = False

    def _is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        """After the tests: send a worker's data, or add it all up and check fail-under."""
        yield
        self.collector.stop()
        data = self.collector.data()
        if self._is_worker():
            self.config.workeroutput[WORKER_KEY] = data.to_json()  # type: ignore[attr-defined]
            return
        data.update(self.workers)
        self.total = data
        minimum = self.settings.fail_under
        if minimum is not None and data.percent < minimum:
            self.failed_under = True
            session.testsfailed += 1

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist: a worker finished; keep its data."""
        from emulator.coverage import CoverageData

        raw = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if raw is not None:
            self.workers.update(CoverageData.from_json(raw, name="an xdist worker's data"))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Write the reports; say so when the total is under fail-under."""
        from emulator.coverage import write_reports

        if self.total is None:
            return
        terminalreporter.write_sep("-", "Doorstep workflow coverage")
        write_reports(self.total, self.settings.reports, _Out(terminalreporter))
        minimum = self.settings.fail_under
        if minimum is None:
            return
        total = f"{self.total.percent:.2f}%"
        if self.failed_under:
            terminalreporter.write_line(
                f"FAIL Required workflow coverage of {minimum:g}% not reached. "
                f"Total coverage: {total}",
                red=True,
                bold=True,
            )
        else:
            terminalreporter.write_line(
                f"Required workflow coverage of {minimum:g}% reached. Total coverage: {total}",
                green=True,
            )

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Never leave the collector attached to emulators built after the session."""
        self.collector.stop()


class _Out:
    """What `write_reports` writes to: the terminal reporter."""

    def __init__(self, reporter: Any) -> None:
        self._reporter = reporter

    def write(self, text: str) -> int:
        self._reporter.write(text)
        return len(text)
