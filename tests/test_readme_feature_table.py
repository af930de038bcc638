"""README's "What is emulated, per vendor" table stays true: each API row's count is what the
spec walk finds served, every operation not served is named in its row (or, for the Management
API, its whole resource is), and no operation named there is served."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_check import knock_spec, mapi_spec, resend_spec
from test_openapi_fuzz import KNOCK_OPS, RESEND_OPS, _templates, _unserved

from emulator import Emulator, Environment, Environments
from emulator.http.mapi import mapi_app

README = Path(__file__).resolve().parent.parent / "README.md"
OPERATION = re.compile(r"`((?:GET|POST|PUT|PATCH|DELETE) /[^`]+)`")
METHODS = ("get", "post", "put", "patch", "delete")


def table() -> dict[str, list[str]]:
    """The table's rows by vendor: [served, emulated, not emulated]."""
    text = README.read_text()
    section = text[text.index("### What is emulated, per vendor") :]
    section = section[: section.index("\n### ", 5)]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] not in ("Vendor", "---"):
            rows[cells[0]] = cells[1:]
    return rows


def mapi_ops() -> list[tuple[str, str]]:
    routes = list(mapi_app(Environments([Environment("development", Emulator())])).routes)
    served = {(m, p.removeprefix("/mapi")) for m, p in _templates(routes)}
    return [
        (method.upper(), path)
        for path, item in mapi_spec()["paths"].items()
        for method in item
        if method in METHODS and (method.upper(), re.sub(r"\{[^}]+\}", "{}", path)) in served
    ]


def total(spec: dict[str, Any]) -> int:
    return sum(1 for item in spec["paths"].values() for method in item if method in METHODS)


SPECS = {
    "Knock API": (knock_spec, lambda: KNOCK_OPS, False),
    "Knock Management API": (mapi_spec, mapi_ops, True),
    "Resend API": (resend_spec, lambda: RESEND_OPS, False),
}


def test_every_vendor_has_a_row() -> None:
    assert list(table()) == [
        "Knock API",
        "Knock Management API",
        "Resend API",
        "Mailpit API",
        "SMTP",
    ]


@pytest.mark.parametrize("vendor", list(SPECS))
def test_a_row_says_what_the_spec_walk_finds(vendor: str) -> None:
    spec_of, ops_of, by_resource = SPECS[vendor]
    spec, ops = spec_of(), ops_of()
    served, _, missing = table()[vendor]
    assert served == f"{len(ops)} of {total(spec)}", f"README's {vendor} row says {served!r}"
    unserved = _unserved(spec, ops)
    served_resources = {(path.split("/") + [""] * 3)[2] for _, path in ops}
    left_out = []
    for op in sorted(unserved):
        resource = (op.split(" ", 1)[1].split("/") + [""] * 3)[2]
        whole = by_resource and resource not in served_resources and f"`{resource}`" in missing
        if f"`{op}`" not in missing and not whole:
            left_out.append(op)
    assert not left_out, f"README's {vendor} row does not name these unserved operations"
    stale = [op for op in OPERATION.findall(missing) if op not in unserved]
    assert not stale, f"README's {vendor} row calls these served operations not emulated"
