"""Workflow coverage: which steps, branches, condition outcomes and step outcomes the tests
exercised, in coverage.py's conventions.

`Collector` counts (as a run observer of every `Emulator` built after `start()`); `CoverageData`
holds the counts per workflow (`WorkflowCoverage`, `Item`) and reads/writes JSON schema
`SCHEMA_VERSION`; `write_reports` writes `term`, `term-missing`, `json:PATH`, `html:DIR` and
`github` reports (`parse_report_spec` reads those names); `write_data`, `read_data` and
`combine_files` keep data between CI steps. The pytest plugin (`--doorstep-cov`) and
`doorstep run --coverage` / `doorstep coverage` are built on these.
"""

from emulator.coverage._collector import Collector
from emulator.coverage._files import DEFAULT_DATA_FILE, combine_files, read_data, write_data
from emulator.coverage._model import (
    SCHEMA_VERSION,
    Counts,
    CoverageData,
    DataFormatError,
    Item,
    WorkflowCoverage,
)
from emulator.coverage._reports import (
    ReportSpec,
    github_report,
    parse_report_spec,
    term_report,
    write_reports,
)

__all__ = [
    "DEFAULT_DATA_FILE",
    "SCHEMA_VERSION",
    "Collector",
    "Counts",
    "CoverageData",
    "DataFormatError",
    "Item",
    "ReportSpec",
    "WorkflowCoverage",
    "combine_files",
    "github_report",
    "parse_report_spec",
    "read_data",
    "term_report",
    "write_data",
    "write_reports",
]
