"""The `doorstep` command line."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("doorstep: no commands yet", file=sys.stderr)
    return 2
