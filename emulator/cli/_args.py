"""Option helpers of the `doorstep` command: every option has an environment-variable twin,
validated when the parser is built, with a message naming the variable."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any


def option(
    parser: argparse.ArgumentParser,
    flag: str,
    env: str,
    convert: Callable[[str], Any],
    default: Any,
    help: str,
    **extra: Any,
) -> None:
    """Add `flag` whose default comes from `env` (validated now, with a message naming it)."""
    raw = os.environ.get(env)
    value = default
    if raw is not None and raw != "":
        try:
            value = convert(raw)
        except (ValueError, TypeError) as exc:
            parser.error(f"environment variable {env}={raw!r} is invalid: {exc}")

    shown = "" if default is None else f" (default: {default})"
    parser.add_argument(
        flag, type=typed(convert), default=value, help=f"{help}{shown} [env: {env}]", **extra
    )


def typed(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """`convert` as an argparse type: its ValueError message becomes the usage error."""

    def check(text: str) -> Any:
        try:
            return convert(text)
        except (ValueError, TypeError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return check


def flag(text: str) -> bool:
    """A boolean option's value: true/false, 1/0, yes/no, on/off."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{text!r} is not a boolean (use true or false)")
