"""The HTML report: an index of workflows sorted by coverage (lowest first) and one page per
workflow with its step tree, each step, branch and outcome coloured by hits and annotated with
counts and skip reasons. One self-contained file per page (inline CSS, no scripts, no external
assets), so it works opened from a CI artifact."""

from __future__ import annotations

import hashlib
import re
from html import escape
from pathlib import Path

from emulator.coverage._model import SEP, Counts, CoverageData, Item, WorkflowCoverage

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}
td{white-space:nowrap}td.n{text-align:right}.bar{display:inline-block;height:.7em;background:#c33}
.bar i{display:block;height:100%;background:#2a2}
ul.tree{list-style:none;padding-left:1.4em;border-left:1px dotted #aaa}
li{margin:.2em 0}.hit{background:#dfd}.miss{background:#fdd}.item{padding:0 .4em;border-radius:3px}
.step{font-weight:600}.loc{color:#777;font-size:12px}.count{color:#555;font-size:12px}
.reasons{color:#655;font-size:12px;margin-left:1em}.extra{color:#555}
"""


def write_html(data: CoverageData, directory: Path) -> Path:
    """Write `index.html` and one page per workflow into `directory`; returns the index."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    ordered = sorted(data.workflows.values(), key=lambda w: (w.total.percent, w.key, w.file))
    for workflow in ordered:
        page = _page_name(workflow)
        (directory / page).write_text(_workflow_page(workflow), encoding="utf-8")
        rows.append(
            f'<tr><td><a href="{page}">{escape(workflow.key)}</a></td>'
            f"<td>{escape(workflow.file or '(in code)')}</td>"
            f"{_cells(workflow.steps)}{_cells(workflow.outcomes)}"
            f'<td class="n">{_percent(workflow.total)}</td><td>{_bar(workflow.total)}</td></tr>'
        )
    steps, outcomes, total = data.counts()
    body = (
        f"<h1>Doorstep workflow coverage: {_percent(total)}</h1>"
        f"<p>{total.covered} of {total.total} items covered: steps {_percent(steps)}, "
        f"outcomes {_percent(outcomes)}.</p>"
        "<table><tr><th>Workflow</th><th>File</th><th>Steps</th><th>Miss</th>"
        "<th>Outcomes</th><th>Miss</th><th>Cover</th><th></th></tr>" + "".join(rows) + "</table>"
    )
    index = directory / "index.html"
    index.write_text(_document("Doorstep workflow coverage", body), encoding="utf-8")
    return index


def _page_name(workflow: WorkflowCoverage) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", workflow.key)[:60]
    digest = hashlib.sha256(workflow.identity.encode()).hexdigest()[:8]
    return f"wf-{slug}-{digest}.html"


def _workflow_page(workflow: WorkflowCoverage) -> str:
    items = list(workflow.items.values())
    trigger = [i for i in items if not i.ref]
    tree = _tree(items, "")
    extra = "".join(
        f"<li>{escape(name)}: {count}</li>" for name, count in sorted(workflow.extra.items())
    )
    body = (
        '<p><a href="index.html">&larr; all workflows</a></p>'
        f"<h1>{escape(workflow.key)}: {_percent(workflow.total)}</h1>"
        f"<p>{escape(workflow.file or '(built in code)')} &middot; steps "
        f"{_fraction(workflow.steps)} &middot; outcomes {_fraction(workflow.outcomes)}</p>"
        + (f'<ul class="tree">{"".join(_line(i) for i in trigger)}</ul>' if trigger else "")
        + tree
        + (f'<h2>Other outcomes seen</h2><ul class="extra">{extra}</ul>' if extra else "")
    )
    return _document(f"{workflow.key}: workflow coverage", body)


def _tree(items: list[Item], parent: str) -> str:
    """The steps directly under `parent` (a branch item id, "" for the top level)."""
    out = []
    for step in (i for i in items if i.kind == "step" and i.parent == parent):
        own = [i for i in items if i.ref == step.ref and i.kind != "step"]
        parts = [_line(step, css="step")]
        inner = []
        for item in own:
            nested = _tree(items, item.id) if item.kind == "branch" else ""
            inner.append(_line(item, nested=nested))
        if inner:
            parts.append(f'<ul class="tree">{"".join(inner)}</ul>')
        out.append("".join(parts))
    return f'<ul class="tree">{"".join(out)}</ul>' if out else ""


def _line(item: Item, *, css: str = "", nested: str = "") -> str:
    state = "hit" if item.covered else "miss"
    reasons = "".join(
        f"<div>{escape(reason)} &times;{count}</div>"
        for reason, count in sorted(item.reasons.items(), key=lambda r: -r[1])
    )
    label = item.label if item.kind == "step" else item.label.split(SEP, 1)[-1]
    if item.kind == "condition" and SEP in item.label:
        label = item.label.removeprefix(f"{item.ref} ").replace(SEP, ": ")
    return (
        f'<li id="{escape(item.id)}"><span class="item {state} {css}">{escape(label)}</span> '
        f'<span class="count">{item.hits} hit{"" if item.hits == 1 else "s"}</span> '
        f'<span class="loc">{escape(item.location)}</span>'
        + (f'<div class="reasons">{reasons}</div>' if reasons else "")
        + nested
        + "</li>"
    )


def _percent(counts: Counts) -> str:
    return f"{int(counts.percent)}%"


def _fraction(counts: Counts) -> str:
    return f"{counts.covered}/{counts.total}"


def _cells(counts: Counts) -> str:
    return f'<td class="n">{counts.total}</td><td class="n">{counts.missed}</td>'


def _bar(counts: Counts) -> str:
    return f'<span class="bar" style="width:8em"><i style="width:{counts.percent:.0f}%"></i></span>'


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )
