"""Workflow coverage on the command line: `doorstep run --coverage` and `doorstep coverage`.

`doorstep run --coverage [--coverage-report TYPE]... [--fail-under MIN]` measures the scenario
files it runs; `doorstep coverage combine FILE... [-o OUT]` adds up data from several CI steps
(JSON reports or data files: one schema) and `doorstep coverage report FILE... [--report TYPE]...
[--fail-under MIN]` reports them. Report types are those of the pytest plugin: term (default),
term-missing, json:PATH, html:DIR, github. A total under `--fail-under` exits 2, as
`coverage report --fail-under` does.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from emulator.cli._args import flag, option, typed
from emulator.coverage import (
    Collector,
    CoverageData,
    DataFormatError,
    ReportSpec,
    combine_files,
    parse_report_spec,
    write_data,
    write_reports,
)

FAIL_UNDER_EXIT = 2
DEFAULT_COMBINED = "doorstep-coverage.json"
_REPORT_HELP = "coverage report: term (default), term-missing, json:PATH, html:DIR, github"


def _specs(text: str) -> list[ReportSpec]:
    return [parse_report_spec(part) for part in text.split(",") if part.strip()]


def _percent(text: str) -> float:
    value = float(text.strip().rstrip("%"))
    if not 0 <= value <= 100:
        raise ValueError(f"{text!r} is not a percentage between 0 and 100")
    return value


def _reports_option(parser: argparse.ArgumentParser, name: str, env: str) -> None:
    """A repeatable report option; its environment twin is comma separated."""
    raw = os.environ.get(env)
    if raw:
        try:
            _specs(raw)
        except ValueError as exc:
            parser.error(f"environment variable {env}={raw!r} is invalid: {exc}")
    parser.add_argument(
        name,
        action="append",
        type=typed(_specs),
        default=None,
        metavar="TYPE",
        help=f"{_REPORT_HELP}; repeat for several [env: {env}, comma separated]",
    )


def add_run_options(run: argparse.ArgumentParser) -> None:
    """`--coverage`, `--coverage-report` and `--fail-under` for `doorstep run`."""
    option(
        run,
        "--coverage",
        "DOORSTEP_COVERAGE",
        flag,
        False,
        "measure workflow coverage of the scenarios",
        nargs="?",
        const=True,
        metavar="BOOL",
    )
    _reports_option(run, "--coverage-report", "DOORSTEP_COVERAGE_REPORT")
    _fail_under_option(run)


def _fail_under_option(parser: argparse.ArgumentParser) -> None:
    option(
        parser,
        "--fail-under",
        "DOORSTEP_FAIL_UNDER",
        _percent,
        None,
        f"exit {FAIL_UNDER_EXIT} when total workflow coverage is under MIN percent",
        metavar="MIN",
    )


def add_command(commands: Any) -> None:
    """`doorstep coverage combine|report`."""
    cov = commands.add_parser(
        "coverage",
        help="combine and report workflow coverage data (from --doorstep-cov or run --coverage)",
        description="Combine workflow coverage data written by several CI steps (JSON reports "
        "of pytest --doorstep-cov or doorstep run --coverage), and report it.",
    )
    actions = cov.add_subparsers(dest="coverage_command", metavar="ACTION", required=True)
    combine = actions.add_parser("combine", help="add up coverage data files into one")
    combine.add_argument("files", nargs="+", type=Path, metavar="FILE", help="coverage JSON")
    combine.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path(DEFAULT_COMBINED),
        help=f"where to write the combined data (default: {DEFAULT_COMBINED})",
    )
    report = actions.add_parser("report", help="report coverage data files (added up)")
    report.add_argument("files", nargs="+", type=Path, metavar="FILE", help="coverage JSON")
    _reports_option(report, "--report", "DOORSTEP_COVERAGE_REPORT")
    _fail_under_option(report)


def chosen_reports(given: list[list[ReportSpec]] | None) -> list[ReportSpec]:
    """The command line's reports, else the environment's, else `term`."""
    if given:
        return [spec for specs in given for spec in specs]
    return _specs(os.environ.get("DOORSTEP_COVERAGE_REPORT") or "term")


def finish(
    data: CoverageData, reports: list[ReportSpec], fail_under: float | None, out: TextIO
) -> int:
    """Write the reports; FAIL_UNDER_EXIT when the total is under `fail_under`, else 0."""
    write_reports(data, reports, out)
    if fail_under is None:
        return 0
    total = f"{data.percent:.2f}%"
    if data.percent < fail_under:
        print(
            f"FAIL Required workflow coverage of {fail_under:g}% not reached. "
            f"Total coverage: {total}",
            file=out,
        )
        return FAIL_UNDER_EXIT
    print(
        f"Required workflow coverage of {fail_under:g}% reached. Total coverage: {total}", file=out
    )
    return 0


def run_with_coverage(args: argparse.Namespace, run: Callable[[], int], out: TextIO) -> int:
    """`doorstep run`, measured when `--coverage` is on: the scenarios' status, or the
    fail-under status when the scenarios passed."""
    if not args.coverage:
        return run()
    collector = Collector()
    collector.start()
    try:
        status = run()
    finally:
        collector.stop()
    print("Doorstep workflow coverage", file=out)
    covered = finish(collector.data(), chosen_reports(args.coverage_report), args.fail_under, out)
    return status or covered


def coverage_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`doorstep coverage combine|report`; 1 when a file cannot be read."""
    files: Sequence[Path] = args.files
    try:
        data = combine_files(files)
    except DataFormatError as exc:
        print(f"doorstep coverage: {exc}", file=err)
        return 1
    if args.coverage_command == "combine":
        path = write_data(data, args.output)
        total = data.counts()[2]
        print(
            f"Combined {len(files)} file(s) into {path}: {len(data.workflows)} workflows, "
            f"{total.covered} of {total.total} items covered ({data.percent:.2f}%)",
            file=out,
        )
        return 0
    return finish(data, chosen_reports(args.report), args.fail_under, out)
