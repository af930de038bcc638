"""The `doorstep` command line: serve, validate, scenarios and friends."""

from emulator.cli._main import main

__all__ = ["main"]
