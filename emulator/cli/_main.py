"""The `doorstep` command line: `serve`, `validate`, `run`, `coverage` and `signing-key`.

Every option has an environment-variable twin (`--http-port` / `DOORSTEP_HTTP_PORT`), Mailpit
style, so CI and containers configure it without flags. Flags win over the environment.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from emulator import COMPACT_EVERY, DefinitionWarning, DoorstepError
from emulator.cli import _coverage
from emulator.cli._args import flag, option
from emulator.cli._client import add_client_options, print_signing_key
from emulator.cli._data_dir import DEFAULT_FULL_TRACES, DEFAULT_MAX_RUNS
from emulator.cli._mailpit_options import add_mailpit_options, relay_from_args
from emulator.cli._smtp_options import SmtpOptions, add_smtp_options
from emulator.mail import DEFAULT_RETENTION

FORMATS = ("human", "json", "github")


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"{value} is not a TCP port (0-65535; 0 picks a free one)")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"{value} is negative; use 0 for unlimited")
    return value


def _hosts(text: str) -> tuple[str, ...]:
    from emulator.http import parse_allow_list

    return tuple(str(rule) for rule in parse_allow_list(text))


def _choice(choices: Sequence[str]) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
        return text

    return check


@dataclasses.dataclass(frozen=True, slots=True)
class Opt:
    """One option with an environment twin, as `option` adds it."""

    flag: str
    env: str
    convert: Callable[[str], Any]
    default: Any
    help: str
    metavar: str | None = None


SERVE_OPTIONS = (
    Opt(
        "--workflows",
        "DOORSTEP_WORKFLOWS",
        Path,
        None,
        "directory of workflow definitions (default: the bundled fixtures/workflows)",
        "DIR",
    ),
    Opt(
        "--config",
        "DOORSTEP_CONFIG",
        Path,
        None,
        "doorstep.yaml with vars, channels and environment preferences (default: the bundled "
        "fixtures/doorstep.yaml when serving the bundled workflows)",
        "FILE",
    ),
    Opt(
        "--host",
        "DOORSTEP_HOST",
        str,
        "127.0.0.1",
        "address to bind both servers to; 0.0.0.0 exposes captured mail to the network",
    ),
    Opt("--smtp-port", "DOORSTEP_SMTP_PORT", _port, 1025, "SMTP port; 0 picks a free one", "PORT"),
    Opt(
        "--http-port",
        "DOORSTEP_HTTP_PORT",
        _port,
        8025,
        "HTTP port for every API and the inspector; 0 picks a free one",
        "PORT",
    ),
    Opt(
        "--clock",
        "DOORSTEP_CLOCK",
        _choice(("real", "manual")),
        "real",
        "real: timers fire as wall time passes; manual: only POST /api/clock/advance moves time",
        "{real,manual}",
    ),
    Opt(
        "--data-dir",
        "DOORSTEP_DATA_DIR",
        Path,
        None,
        "keep the whole emulator (mail, state, clock) in DIR across restarts (default: memory)",
        "DIR",
    ),
    Opt(
        "--compact-every",
        "DOORSTEP_COMPACT_EVERY",
        _count,
        COMPACT_EVERY,
        "with --data-dir: journal entries between two snapshots of the state; 0: on stop only",
        "N",
    ),
    Opt(
        "--max-messages",
        "DOORSTEP_MAX_MESSAGES",
        _count,
        DEFAULT_RETENTION,
        "captured emails kept, newest first; 0 keeps all",
        "N",
    ),
    Opt(
        "--max-runs",
        "DOORSTEP_MAX_RUNS",
        _count,
        DEFAULT_MAX_RUNS,
        "finished runs kept (with their messages), newest first; 0 keeps all",
        "N",
    ),
    Opt(
        "--full-traces",
        "DOORSTEP_FULL_TRACES",
        _count,
        DEFAULT_FULL_TRACES,
        "finished runs that keep their full trace; older ones keep a compact record; 0: all",
        "N",
    ),
    Opt(
        "--link-check-hosts",
        "DOORSTEP_LINK_CHECK_HOSTS",
        _hosts,
        None,
        "comma-separated hosts the link check (/api/v1/message/{ID}/link-check) may send HEAD "
        "requests to, e.g. app.example.com,*.example.org,127.0.0.1:8000; other links are "
        "classified offline (default: none)",
        "HOST[:PORT],...",
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """`doorstep` with its subcommands; option defaults read the environment now."""
    parser = argparse.ArgumentParser(
        prog="doorstep",
        description="Local emulator and test harness for Knock-style notification workflows.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_serve(commands)
    _add_validate(commands)
    _add_run(commands)
    _coverage.add_command(commands)
    _add_signing_key(commands)
    return parser


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_serve(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the emulator: SMTP, Knock and Resend APIs, inspection API and web inspector",
        description="Serve the emulator on one HTTP port (Knock /v1, Resend /emails, "
        "inspection /api, inspector /ui) plus an SMTP port. With no options it serves the "
        "bundled example workflows.",
    )
    for opt in SERVE_OPTIONS:
        option(serve, opt.flag, opt.env, opt.convert, opt.default, opt.help, metavar=opt.metavar)
    add_smtp_options(serve)
    add_mailpit_options(serve)
    add_client_options(serve)


def _add_signing_key(commands: Commands) -> None:
    commands.add_parser(
        "signing-key",
        help="print a new RSA signing key for user tokens (enhanced security)",
        description="Print a new 2048-bit RSA private key, PEM base64-encoded on one line (the "
        "format Knock's dashboard gives), to stdout; how to use it goes to stderr. "
        "export KNOCK_SIGNING_KEY=$(doorstep signing-key)",
    )


def _add_validate(commands: Commands) -> None:
    validate = commands.add_parser(
        "validate",
        help="lint workflow definitions for CI",
        description="Load and lint workflows, layouts and partials: schema errors, Liquid syntax, "
        "undefined variables, unknown layouts/partials/channels, unreachable steps, branches "
        "without a default. Exits 1 when there are errors.",
    )
    validate.add_argument("directory", type=Path, metavar="DIR", help="definitions directory")
    validate.add_argument(
        "--against",
        type=Path,
        metavar="TARGET",
        default=None,
        help="also compare DIR (to be promoted) with TARGET (say, `knock workflow pull --all "
        "--environment production`): per workflow the steps added, removed and changed, "
        "templates diffed",
    )
    option(
        validate,
        "--format",
        "DOORSTEP_FORMAT",
        _choice(FORMATS),
        "human",
        "output: human, json, or github (workflow-command annotations)",
        metavar="{human,json,github}",
    )
    option(
        validate,
        "--strict",
        "DOORSTEP_STRICT",
        flag,
        False,
        "treat warnings as errors (exit 1)",
        nargs="?",
        const=True,
        metavar="BOOL",
    )


def _with_promotion(report: str, source: Path, target: Path, fmt: str) -> str:
    """`validate --against`: the report and what promoting `source` onto `target` would
    change (JSON: one document, the comparison under `promotion`)."""
    import json

    from emulator import DefinitionError, compare_promotion, format_promotion

    try:
        compared = format_promotion(compare_promotion(source, target), fmt)
    except DefinitionError as exc:
        compared = f"doorstep validate --against: cannot load {target}:\n{exc}\n"
        if fmt == "json":
            compared = json.dumps({"error": compared.strip()})
    if fmt != "json":
        return report + compared
    return json.dumps({**json.loads(report), "promotion": json.loads(compared)}, indent=2) + "\n"


def _add_run(commands: Commands) -> None:
    run = commands.add_parser(
        "run",
        help="run scenario files and print each run's timeline and messages",
        description="Run scenario files; exits 1 when any expectation fails.",
    )
    run.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO", help="scenario file")
    option(
        run,
        "--workflows",
        "DOORSTEP_WORKFLOWS",
        Path,
        None,
        "workflow directory for scenarios that do not name one",
        metavar="DIR",
    )
    _coverage.add_run_options(run)


def run_scenarios(
    paths: Sequence[Path], *, workflows: Path | None, out: TextIO, err: TextIO
) -> int:
    """Run each scenario file, print its timeline and messages; 1 if any failed."""
    from emulator.scenarios import load_scenario, run_scenario

    failed = 0
    for path in paths:
        try:
            scenario = load_scenario(path)
        except DoorstepError as exc:
            print(f"{path}: cannot load scenario:\n{exc}", file=err)
            failed += 1
            continue
        if workflows is not None and scenario.workflows is None:
            scenario = dataclasses.replace(scenario, workflows=workflows)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DefinitionWarning)
            result = run_scenario(scenario)
        for warning in caught:
            if issubclass(warning.category, DefinitionWarning):
                print(f"Warning: {warning.message}", file=err)
            else:
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        status = "PASSED" if result.passed else "FAILED"
        print(f"== {scenario.name} ({path}) {status}", file=out)
        for line in result.timeline:
            print(f"  {line}", file=out)
        for failure in result.failures:
            print(f"  FAILURE: {failure}", file=out)
        failed += 0 if result.passed else 1
    total = len(paths)
    print(f"{total - failed} of {total} scenarios passed", file=out)
    return 1 if failed else 0


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """The `doorstep` entry point: parse `argv`, run the subcommand, return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from emulator.cli._serve import ServeOptions, serve

        options = ServeOptions(
            workflows=args.workflows,
            config=args.config,
            host=args.host,
            smtp_port=args.smtp_port,
            http_port=args.http_port,
            clock=args.clock,
            data_dir=args.data_dir,
            compact_every=args.compact_every,
            max_messages=args.max_messages,
            max_runs=args.max_runs,
            full_traces=args.full_traces,
            link_check_hosts=args.link_check_hosts or (),
            enhanced_security=args.enhanced_security,
            signing_key_file=args.signing_key,
            signing_key=os.environ.get("KNOCK_SIGNING_KEY") or None,
            cors_origins=tuple(dict.fromkeys(args.cors_origins)),
            allowed_hosts=tuple(dict.fromkeys(args.allowed_hosts)),
            smtp=SmtpOptions(
                tls=args.smtp_tls,
                tls_cert=args.smtp_tls_cert,
                tls_key=args.smtp_tls_key,
                auth=args.smtp_auth,
                tls_required=args.smtp_tls_required,
            ),
            allow_fetch=tuple(dict.fromkeys(args.allow_fetch)),
            smtp_relay=relay_from_args(args),
            spamassassin=args.spamassassin,
            enable_chaos=args.enable_chaos,
        )
        return serve(options, out, err)
    if args.command == "signing-key":
        return print_signing_key(out, err)
    if args.command == "validate":
        from emulator import format_report, validate

        report = validate(args.directory)
        text = format_report(report, args.format)
        if args.against is not None:
            text = _with_promotion(text, args.directory, args.against, args.format)
        out.write(text)
        return report.exit_code(strict=args.strict)
    if args.command == "coverage":
        return _coverage.coverage_command(args, out, err)
    return _coverage.run_with_coverage(
        args, lambda: run_scenarios(args.scenarios, workflows=args.workflows, out=out, err=err), out
    )
