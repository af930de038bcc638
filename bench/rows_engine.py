"""Rows about the engine: GC share, timers."""

from _measure import Row

ROWS: list[Row] = []
