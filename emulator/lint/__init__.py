"""`doorstep validate`: lint definitions for CI and report findings with file, line and fix.

`validate(directory)` loads and lints; `format_report(report, fmt)` prints it as text, JSON or
GitHub annotations.
"""

from emulator.lint._promotion import Promotion, compare_promotion, format_promotion
from emulator.lint._report import Finding, Report, format_report
from emulator.lint._validate import check_before_serving, validate

__all__ = [
    "Finding",
    "Promotion",
    "Report",
    "check_before_serving",
    "compare_promotion",
    "format_promotion",
    "format_report",
    "validate",
]
