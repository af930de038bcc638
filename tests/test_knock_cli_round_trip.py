"""The real Knock CLI (`@knocklabs/cli`, pinned in tests/clients) against `doorstep serve`:
push the bundled fixtures' Knock layout into development, validate catches a broken template,
commit, the development key runs the new version while the production key runs the old,
promote, production runs it too, and `pull --all` from production writes what was pushed.
Workflows, layouts, partials and translations all take part."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator.cli._serve import ServeOptions, Service

pytestmark = pytest.mark.real_client  # may skip locally, never in CI (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ("workflow", "layout", "partial", "translation")
OLD_SUBJECT = "Invoice inv_1 created"  # the bundled YAML version every environment starts with
NEW_SUBJECT = "New invoice inv_1"


def _knock_cli() -> Path | None:
    if shutil.which("node") is None:
        return None
    for directory in os.environ.get("NODE_PATH", "").split(os.pathsep):
        binary = Path(directory) / ".bin" / "knock" if directory else None
        if binary is not None and binary.exists():
            return binary
    return None


@pytest.fixture
def service() -> Iterator[Service]:
    running = Service(ServeOptions(http_port=0, smtp_port=0, clock="manual")).start()
    try:
        yield running
    finally:
        running.stop()


def _project(tmp_path: Path) -> Path:
    """The fixtures' Knock layout, changed: the subject comes from a translation, the layout
    and the partial carry a marker."""
    knock = tmp_path / "knock"
    shutil.copytree(ROOT / "fixtures" / "knock", knock)
    workflow = knock / "workflows" / "invoice-created" / "workflow.json"
    data = json.loads(workflow.read_text())
    data["steps"][0]["template"]["subject"] = "{{ 'new_invoice' | t }} {{ data.invoice_id }}"
    workflow.write_text(json.dumps(data, indent=2))
    layout = knock / "layouts" / "default" / "html_layout.html"
    layout.write_text(layout.read_text().replace("{{ content }}", "{{ content }}<p>layout-v2</p>"))
    partial = knock / "partials" / "invoice-summary" / "content.html"
    partial.write_text(partial.read_text() + "<p>partial-v2</p>\n")
    (knock / "translations" / "en").mkdir(parents=True)
    (knock / "translations" / "en" / "en.json").write_text('{"new_invoice": "New invoice"}\n')
    (knock / "translations" / "en" / "admin.en.json").write_text('{"title": "Admin"}\n')
    return knock


class Cli:
    """Runs `knock ... --api-origin <doorstep>/mapi` with a throwaway HOME."""

    def __init__(self, binary: Path, base: str, home: Path) -> None:
        self.binary = binary
        self.base = base
        self.env = {**os.environ, "HOME": str(home), "KNOCK_SERVICE_TOKEN": "st_doorstep"}
        self.env.pop("KNOCK_API_ORIGIN", None)

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.binary), *args, "--api-origin", f"{self.base}/mapi"]
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        if ok:
            assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
        return done

    def each(self, verb: str, root: Path, *args: str) -> None:
        for kind in RESOURCES:
            self(kind, verb, "--all", f"--{kind}s-dir", str(root / f"{kind}s"), "--force", *args)


def _email(base: str, key: str, environment: str) -> tuple[str, str]:
    """Trigger invoice-created with `key`; the subject and HTML of the email it sent."""
    response = httpx.post(
        f"{base}/v1/workflows/invoice-created/trigger",
        json={
            "recipients": [{"id": "u1", "email": "u1@example.com", "name": "Una"}],
            "data": {"invoice_id": "inv_1", "amount": 10},
        },
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    listed = httpx.get(f"{base}/api/v1/messages?environment={environment}", timeout=10).json()
    latest = listed["messages"][0]
    body = httpx.get(
        f"{base}/api/v1/message/{latest['ID']}?environment={environment}", timeout=10
    ).json()
    return latest["Subject"], body["HTML"]


def _same_files(left: Path, right: Path) -> None:
    """Same files; JSON compared as data (the CLI orders keys as the server sent them)."""
    names = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file())
    for name in names:
        a, b = (left / name).read_text(), (right / name).read_text()
        if name.suffix == ".json":
            assert json.loads(a) == json.loads(b), name
        else:
            assert a == b, name


@pytest.mark.skipif(_knock_cli() is None, reason="node or @knocklabs/cli on NODE_PATH missing")
def test_push_validate_commit_promote_pull(service: Service, tmp_path: Path) -> None:
    binary = _knock_cli()
    assert binary is not None
    base = f"http://127.0.0.1:{service.http.port}"
    knock = _project(tmp_path)
    cli = Cli(binary, base, tmp_path / "home")
    assert "Doorstep" in cli("whoami").stdout

    # validate: the server checks every template's Liquid and names the field
    workflow = knock / "workflows" / "invoice-created" / "workflow.json"
    good = workflow.read_text()
    broken = json.loads(good)
    broken["steps"][0]["template"]["subject"] = "Invoice {% if data.amount %}"
    workflow.write_text(json.dumps(broken))
    refused = cli("workflow", "validate", "--all", "--workflows-dir", str(knock / "workflows"),
                  ok=False)  # fmt: skip
    assert refused.returncode != 0
    said = " ".join(refused.stderr.replace("\u203a", " ").split())  # the CLI wraps long lines
    assert 'data at "workflow.steps[0].template.subject" syntax error: expected tag endif' in said
    workflow.write_text(good)

    cli.each("push", knock)
    pushed = tmp_path / "pushed"
    shutil.copytree(knock, pushed)  # the CLI rewrote the files from the server's answers
    # saved, not committed: API triggers still run the committed version; the test runner
    # (`knock workflow run`) runs the draft
    assert _email(base, "sk_test_app", "development")[0] == OLD_SUBJECT
    cli("workflow", "run", "invoice-created", "--recipients", "u1",
        "--data", '{"invoice_id": "inv_1", "amount": 10}')  # fmt: skip
    development = service.environments.get("development").emulator
    assert development.outbox.latest().subject == NEW_SUBJECT  # type: ignore[union-attr]

    cli("commit", "--force", "-m", "Subject from translations")
    subject, html = _email(base, "sk_test_app", "development")
    assert subject == NEW_SUBJECT
    assert "layout-v2" in html
    assert "partial-v2" in html
    subject, html = _email(base, "sk_live_app", "production")
    assert subject == OLD_SUBJECT
    assert "layout-v2" not in html
    listed = cli("commit", "list", "--json").stdout
    assert {c["resource"]["type"] for c in json.loads(listed)["entries"]} == {
        "workflow", "email_layout", "partial", "translation"
    }  # fmt: skip

    cli("commit", "promote", "--to", "production", "--force")
    subject, html = _email(base, "sk_live_app", "production")
    assert subject == NEW_SUBJECT
    assert "layout-v2" in html
    assert "partial-v2" in html

    pulled = tmp_path / "pulled"
    cli.each("pull", pulled, "--environment", "production")
    _same_files(pushed, pulled)


@pytest.mark.skipif(_knock_cli() is None, reason="node or @knocklabs/cli on NODE_PATH missing")
def test_content_is_pushed_to_development_only(service: Service, tmp_path: Path) -> None:
    binary = _knock_cli()
    assert binary is not None
    cli = Cli(binary, f"http://127.0.0.1:{service.http.port}", tmp_path / "home")
    knock = _project(tmp_path)
    refused = cli("workflow", "push", "--all", "--workflows-dir", str(knock / "workflows"),
                  "--environment", "production", ok=False)  # fmt: skip
    assert refused.returncode != 0
    said = " ".join(refused.stderr.replace("\u203a", " ").split())  # the CLI wraps long lines
    assert "knock commit promote --to production" in said
    environments = cli("environment", "list").stdout
    assert "development" in environments
    assert "production" in environments
