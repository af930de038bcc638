"""`doorstep serve --data-dir` keeps what lives beside the Knock state too: Resend's resources
beyond `/emails` and the content pushed through the Management API, in every environment.
Each is checked across a graceful restart (the state comes back from the snapshot) and a crash
(the journal's entries since the last snapshot are replayed)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.cli._serve import ServeOptions, Service

RESEND = {"Authorization": "Bearer re_test_doorstep"}
KNOCK = {"Authorization": "Bearer sk_test_doorstep"}
LISTINGS = [
    "/domains",
    "/api-keys",
    "/webhooks",
    "/segments",
    "/contacts",
    "/topics",
    "/templates",
    "/suppressions",
    "/broadcasts",
]


@contextmanager
def serving(data_dir: Path, stop: str = "graceful") -> Iterator[str]:
    """A served emulator on `data_dir`; with stop="crash", `data_dir/crashed` is a copy of the
    files taken while it still runs (what kill -9 leaves) for the next start."""
    options = ServeOptions(
        http_port=0, smtp_port=0, clock="manual", data_dir=data_dir, compact_every=0
    )
    service = Service(options).start()
    try:
        yield f"http://127.0.0.1:{service.http.port}"
        if stop == "crash":
            shutil.copytree(data_dir, data_dir / "crashed")
    finally:
        service.stop()


def _resend(base: str, method: str, path: str, body: object = None) -> Any:
    answer = httpx.request(method, f"{base}{path}", headers=RESEND, json=body, timeout=10)
    assert answer.status_code < 300, (path, answer.text)
    return answer.json()


def _listed(base: str) -> dict[str, Any]:
    return {path: _resend(base, "GET", path)["data"] for path in LISTINGS}


def _subjects(base: str) -> list[str]:
    listed = httpx.get(f"{base}/api/v1/messages", params={"limit": 1000}).json()
    return [m["Subject"] for m in listed["messages"]]


def _resend_resources(base: str) -> None:
    _resend(base, "POST", "/domains", {"name": "acme.test"})
    _resend(base, "POST", "/api-keys", {"name": "ci"})
    hook = {"endpoint": "http://127.0.0.1:9/hook", "events": ["email.sent"]}
    _resend(base, "POST", "/webhooks", hook)
    vip = _resend(base, "POST", "/segments", {"name": "VIP"})["id"]
    _resend(base, "POST", "/contacts", {"email": "ada@example.com", "first_name": "Ada"})
    _resend(base, "POST", f"/contacts/ada@example.com/segments/{vip}")
    _resend(base, "POST", "/topics", {"name": "News", "default_subscription": "opt_in"})
    _resend(base, "POST", "/templates", {"name": "welcome", "html": "<p>Hi</p>"})
    _resend(base, "POST", "/suppressions", {"email": "bounced@example.com"})
    broadcast = {"segment_id": vip, "from": "news@acme.test", "subject": "June news"}
    draft = _resend(
        base, "POST", "/broadcasts", {**broadcast, "html": "<p>Hello {{{FIRST_NAME}}}</p>"}
    )
    _resend(base, "POST", f"/broadcasts/{draft['id']}/send", {"scheduled_at": "in 1 hour"})


@pytest.mark.parametrize("stop", ["graceful", "crash"])
def test_resend_resources_survive_a_restart(tmp_path: Path, stop: str) -> None:
    with serving(tmp_path, stop) as base:
        _resend_resources(base)
        before = _listed(base)
    assert all(before.values()), before  # one of each
    data_dir = tmp_path / "crashed" if stop == "crash" else tmp_path
    for start in range(2):
        with serving(data_dir) as base:
            if start == 0:
                assert _listed(base) == before
                assert "June news" not in _subjects(base)  # still scheduled
            more = _resend(base, "POST", "/domains", {"name": f"more{start}.test"})
            assert more["id"] not in {d["id"] for d in before["/domains"]}  # ids never repeat
            httpx.post(f"{base}/api/clock/advance", json={"seconds": 3600}).raise_for_status()
            assert _subjects(base).count("June news") == 1  # sent once, after the restart


MAPI = {"Authorization": "Bearer st_doorstep"}
LIVE = {"Authorization": "Bearer sk_live_doorstep"}


def _mapi(base: str, path: str, body: object = None, method: str = "PUT", **params: str) -> Any:
    answer = httpx.request(
        method, f"{base}/mapi/v1{path}", headers=MAPI, json=body, params=params, timeout=10
    )
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()


def _note(subject: str) -> dict[str, Any]:
    email = {"subject": subject, "html_body": "<p>{{ data.n }}</p>", "settings": {}}
    step = {"ref": "email_1", "type": "channel", "channel_key": "postmark"}
    return {
        "workflow": {
            "name": "Note",
            "steps": [{**step, "channel_type": "email", "template": email}],
        }
    }


def _content(base: str) -> dict[str, Any]:
    """What the Management API shows: commits and workflows per environment, drafts too."""
    shown = {}
    for env in ("development", "production"):
        shown[env] = {
            "commits": _mapi(base, "/commits", method="GET", environment=env)["entries"],
            "note": _mapi(base, "/workflows/note", method="GET", environment=env),
            "invoice": _mapi(base, "/workflows/invoice-created", method="GET", environment=env),
        }
    return shown


@pytest.mark.parametrize("stop", ["graceful", "crash"])
def test_content_pushed_through_the_management_api_survives_a_restart(
    tmp_path: Path, stop: str
) -> None:
    dev = {"environment": "development"}
    with serving(tmp_path, stop) as base:
        _mapi(base, "/workflows/note", _note("One"), commit="true", commit_message="first", **dev)
        _mapi(base, "/commits/promote", to_environment="production")
        _mapi(base, "/workflows/note", _note("Two"), **dev)  # a draft, not committed
        _mapi(base, "/workflows/invoice-created/activate", status="false", **dev)
        user = {"email": "dee@example.com"}
        httpx.put(f"{base}/v1/users/d1", headers=KNOCK, json=user).raise_for_status()
        _mapi(base, "/workflows/note/run", {"recipients": ["d1"], "data": {"n": 1}}, **dev)
        before = _content(base)
        runs = httpx.get(f"{base}/api/runs").json()
    assert before["development"]["note"]["steps"][0]["template"]["subject"] == "Two"
    assert before["production"]["note"]["steps"][0]["template"]["subject"] == "One"
    assert before["development"]["invoice"]["active"] is False
    data_dir = tmp_path / "crashed" if stop == "crash" else tmp_path
    with serving(data_dir) as base:
        assert _content(base) == before
        assert httpx.get(f"{base}/api/runs").json() == runs  # the draft's run, as it ran
        [message] = httpx.get(f"{base}/v1/users/d1/messages", headers=KNOCK).json()["items"]
        content = httpx.get(f"{base}/v1/messages/{message['id']}/content", headers=KNOCK).json()
        assert "Two" in str(content["data"])  # its message is the draft's, replayed or not
        assert _subjects(base) == ["Two"]  # the test runner ran the draft
        user = httpx.put(f"{base}/v1/users/u1", headers=LIVE, json={"email": "ada@example.com"})
        assert user.status_code == 200, user.text
        run = httpx.post(
            f"{base}/v1/workflows/note/trigger", headers=LIVE, json={"recipients": ["u1"]}
        )
        assert run.status_code == 200, run.text  # production runs the promoted commit
        assert _production_subjects(base) == ["One"]


def _production_subjects(base: str) -> list[str]:
    listed = httpx.get(
        f"{base}/api/v1/messages", params={"limit": 1000, "environment": "production"}
    ).json()
    return [m["Subject"] for m in listed["messages"]]
