"""`doorstep validate`: lint definitions for CI and report findings with file, line and fix.

`validate(directory)` loads and lints; `format_report(report, fmt)` prints it as text, JSON or
GitHub annotations.
"""

from emulator.lint._report import Finding, Report, format_report
from emulator.lint._validate import validate

__all__ = ["Finding", "Report", "format_report", "validate"]
