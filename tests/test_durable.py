"""`doorstep serve --data-dir`: ids never repeat across restarts, the data format is recorded
(an older one migrated, a newer one refused) and raw MIME is stored once."""

from __future__ import annotations

import base64
import json
import smtplib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from emulator import DoorstepError
from emulator.cli._serve import ServeOptions, Service
from emulator.mail import Attachment, Mailbox, OutgoingEmail, SqliteMailStore
from emulator.mail._sqlite import FORMAT

KNOCK = {"Authorization": "Bearer sk_test_doorstep"}
RESEND = {"Authorization": "Bearer re_test_doorstep"}


@contextmanager
def serving(data_dir: Path) -> Iterator[tuple[Service, str]]:
    service = Service(
        ServeOptions(http_port=0, smtp_port=0, clock="manual", data_dir=data_dir)
    ).start()
    try:
        yield service, f"http://127.0.0.1:{service.http.port}"
    finally:
        service.stop()


def _one_of_each(service: Service, base: str, n: int) -> tuple[list[str], list[str]]:
    """An SMTP message, a Resend email and a Knock trigger: the ids answered, the mail kept."""
    with smtplib.SMTP("127.0.0.1", service.smtp.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], f"Subject: smtp {n}\r\n\r\nx\r\n")
    sent = httpx.post(
        f"{base}/emails",
        headers=RESEND,
        json={"from": "a@acme.test", "to": "b@example.com", "subject": f"r{n}", "text": "x"},
    )
    assert sent.status_code == 200, sent.text
    user = httpx.put(f"{base}/v1/users/u{n}", headers=KNOCK, json={"email": f"u{n}@example.com"})
    assert user.status_code == 200, user.text
    run = httpx.post(
        f"{base}/v1/workflows/invoice-created/trigger",
        headers=KNOCK,
        json={"recipients": [f"u{n}"], "data": {"invoice_id": f"i{n}", "amount": 1}},
    )
    assert run.status_code == 200, run.text
    listed = httpx.get(f"{base}/api/v1/messages", params={"limit": 1000}).json()
    return [sent.json()["id"], run.json()["workflow_run_id"]], [m["ID"] for m in listed["messages"]]


def test_restarts_never_reuse_an_id(tmp_path: Path) -> None:
    answered: list[str] = []
    kept: list[list[str]] = []
    for n in range(3):
        with serving(tmp_path) as (service, base):
            ids, mail = _one_of_each(service, base, n)  # nothing refused after a restart
            answered += ids
            kept.append(mail)
    assert [len(mail) for mail in kept] == [3, 6, 9]  # smtp, resend, workflow email per start
    assert set(kept[0]) < set(kept[1]) < set(kept[2])
    resend_ids, run_ids = set(answered[0::2]), set(answered[1::2])
    assert len(resend_ids) == len(run_ids) == 3
    assert resend_ids <= set(kept[2])  # a Resend email's id is its captured email's id
    assert not run_ids & set(kept[2])


def _store_with_attachment(path: Path, size: int, *, built: bool = True) -> bytes:
    """An email with a `size`-byte attachment stored in `path`: with its MIME built (a `doc`
    row and the raw MIME) or as sent (a `recipe` row: built when first asked for)."""
    box = Mailbox(store=path, retention=0)
    payload = bytes(range(256)) * (size // 256)
    outgoing = OutgoingEmail(
        from_="a@acme.test",
        to=["b@example.com"],
        subject="big",
        html=None,
        text="x",
        attachments=[Attachment("data.bin", payload, "application/octet-stream")],
    )
    if built:
        email = Mailbox(retention=0).capture_outgoing(outgoing)
        raw = email.raw
        box.add(email)
    else:
        raw = box.capture_outgoing(outgoing).raw  # built after it was stored: not stored again
    box.close()
    return raw


@pytest.mark.parametrize("built", [True, False])
def test_raw_mime_is_stored_once(tmp_path: Path, built: bool) -> None:
    raw = _store_with_attachment(tmp_path, 2_000_000, built=built)
    db = sqlite3.connect(tmp_path / "mail.sqlite3")
    [(kind, stored_doc, stored_raw)] = db.execute(
        "SELECT kind, length(doc), length(raw) FROM emails"
    )
    # the raw MIME, or the attachment's bytes once (the recipe's MIME is built on demand)
    assert (kind, stored_raw) == (("doc", len(raw)) if built else ("recipe", 1_999_872))
    assert stored_doc < 2_000  # the JSON document holds no second copy of the attachment
    [email] = Mailbox(store=tmp_path, retention=0).all()
    assert email.attachments[0].content == bytes(range(256)) * (2_000_000 // 256)
    assert email.raw == raw  # built again from the recipe: the same bytes


def test_a_recipe_with_base64_attachments_is_read(tmp_path: Path) -> None:
    """Recipes written before 2026-12-05 kept attachments base64 in the document."""
    raw = _store_with_attachment(tmp_path, 4096, built=False)
    db = sqlite3.connect(tmp_path / "mail.sqlite3", isolation_level=None)
    [(doc, blob)] = db.execute("SELECT doc, raw FROM emails")
    old = json.loads(doc)
    [attachment] = old["email"]["attachments"]
    del attachment["size"]
    attachment["content"] = base64.b64encode(blob).decode()
    db.execute("UPDATE emails SET doc = ?, raw = x''", (json.dumps(old),))
    db.close()
    [email] = Mailbox(store=tmp_path, retention=0).all()
    assert email.attachments[0].content == bytes(range(256)) * 16
    assert email.raw == raw


def test_format_1_is_migrated(tmp_path: Path) -> None:
    _store_with_attachment(tmp_path, 4096)
    db = sqlite3.connect(tmp_path / "mail.sqlite3", isolation_level=None)
    [(doc,)] = db.execute("SELECT doc FROM emails")
    old = json.loads(doc)
    old["attachments"][0]["content"] = "AAEC"  # format 1 kept the bytes base64 here too
    db.execute("UPDATE emails SET doc = ?", (json.dumps(old),))
    db.execute("DROP TABLE meta")
    db.execute("ALTER TABLE emails DROP COLUMN kind")
    db.execute("PRAGMA user_version=0")
    db.close()

    store = SqliteMailStore(tmp_path)
    [email] = Mailbox(store=store, retention=0).all()
    assert email.attachments[0].content == bytes(range(256)) * 16  # read from the raw MIME
    assert store.next_generation() == 1
    db = sqlite3.connect(tmp_path / "mail.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone() == (FORMAT,)
    assert '"content"' not in db.execute("SELECT doc FROM emails").fetchone()[0]


def _foreign_snapshot(db: sqlite3.Connection) -> None:
    """A snapshot an upgrade finds: written by another build."""
    db.execute(
        "CREATE TABLE snapshot (id INTEGER PRIMARY KEY, gen INTEGER, wall REAL, build TEXT, "
        "data BLOB)"
    )
    db.execute("INSERT INTO snapshot VALUES (1, 0, 0, 'snapshot 1, sources 0123', x'00')")


@pytest.mark.parametrize(
    ("name", "prepare", "says"),
    [
        ("mail.sqlite3", lambda db: db.execute("PRAGMA user_version=99"), "has data format 99"),
        ("mail.sqlite3", None, "is not a Doorstep mail database"),
        ("journal.sqlite3", lambda db: db.execute("PRAGMA user_version=7"), "journal format 7"),
        ("journal.sqlite3", None, "is not a Doorstep journal"),
        ("journal.sqlite3", _foreign_snapshot, "a snapshot of the state written by another"),
    ],
)
def test_an_unknown_format_is_refused_with_what_to_do(
    tmp_path: Path, name: str, prepare: object, says: str
) -> None:
    path = tmp_path / name
    if prepare is None:
        path.write_bytes(b"not sqlite at all" * 100)
    else:
        db = sqlite3.connect(path, isolation_level=None)
        prepare(db)  # type: ignore[operator]
        db.close()
    with pytest.raises(DoorstepError, match=says) as refused:
        Service(ServeOptions(http_port=0, smtp_port=0, clock="manual", data_dir=tmp_path))
    assert "--data-dir" in str(refused.value)


def _knock(base: str, method: str, path: str, body: object = None) -> httpx.Response:
    answer = httpx.request(method, f"{base}/v1{path}", headers=KNOCK, json=body, timeout=10)
    assert answer.status_code < 300, answer.text
    return answer


def _digests(base: str) -> list[str]:
    listed = httpx.get(f"{base}/api/v1/messages", params={"limit": 1000}).json()
    return [m["Subject"] for m in listed["messages"] if m["Subject"].startswith("2 updates")]


def test_a_restart_resumes_everything(tmp_path: Path) -> None:
    with serving(tmp_path) as (_, base):
        _knock(base, "PUT", "/users/u1", {"email": "ada@example.com", "name": "Ada"})
        _knock(base, "PUT", "/users/u2", {"name": "Bo"})
        live = {"Authorization": "Bearer sk_live_doorstep"}  # the production environment
        httpx.put(f"{base}/v1/users/p1", headers=live, json={"name": "Pat"}).raise_for_status()
        _knock(base, "PUT", "/users/u1/preferences/default", {"categories": {"x": True}})
        for status in ("open", "sent"):  # two triggers merge into one 5-minute batch window
            _knock(
                base,
                "POST",
                "/workflows/invoice-updated/trigger",
                {
                    "recipients": ["u1"],
                    "actor": "u2",
                    "data": {"invoice_id": "i1", "status": status},
                },
            )
        scheduled = httpx.post(
            f"{base}/emails",
            headers=RESEND,
            json={
                "from": "a@acme.test",
                "to": "b@example.com",
                "subject": "later",
                "text": "x",
                "scheduled_at": "in 1 hour",
            },
        ).json()["id"]
        httpx.post(f"{base}/api/clock/advance", json={"seconds": 60})
        before = httpx.get(f"{base}/api/runs").json()
        clock = httpx.get(f"{base}/api/clock").json()
    with serving(tmp_path) as (service, base):
        assert service.restored  # stopping took a snapshot: the start loads it
        assert httpx.get(f"{base}/api/clock").json() == clock  # the clock is where it was
        assert httpx.get(f"{base}/api/runs").json() == before  # runs, waiting ones too
        assert _knock(base, "GET", "/users/u1").json()["name"] == "Ada"
        live = {"Authorization": "Bearer sk_live_doorstep"}
        assert httpx.get(f"{base}/v1/users/p1", headers=live).json()["name"] == "Pat"
        assert httpx.get(f"{base}/v1/users/p1", headers=KNOCK).status_code == 404
        prefs = _knock(base, "GET", "/users/u1/preferences/default").json()
        assert prefs["categories"] == {"x": True}
        assert httpx.get(f"{base}/emails/{scheduled}", headers=RESEND).json()["last_event"] == (
            "scheduled"
        )
        assert _digests(base) == []
        httpx.post(f"{base}/api/clock/advance", json={"seconds": 240})  # the window closes
        assert _digests(base) == ["2 updates to invoice i1"]
    with serving(tmp_path) as (_, base):  # and the digest it sent is not sent again
        httpx.post(f"{base}/api/clock/advance", json={"seconds": 3600})
        assert _digests(base) == ["2 updates to invoice i1"]
        subjects = [
            m["Subject"]
            for m in httpx.get(f"{base}/api/v1/messages", params={"limit": 99}).json()["messages"]
        ]
        assert subjects.count("later") == 1  # the scheduled Resend email went out once


def test_real_clock_catches_up_the_downtime_and_sends_the_digest_once(tmp_path: Path) -> None:
    options = ServeOptions(http_port=0, smtp_port=0, clock="real", data_dir=tmp_path)
    service = Service(options).start()
    try:
        base = f"http://127.0.0.1:{service.http.port}"
        _knock(base, "PUT", "/users/u1", {"email": "ada@example.com"})
        _knock(base, "PUT", "/users/u2", {"name": "Bo"})
        for status in ("open", "sent"):  # a 5-minute batch window opens
            _knock(
                base,
                "POST",
                "/workflows/invoice-updated/trigger",
                {
                    "recipients": ["u1"],
                    "actor": "u2",
                    "data": {"invoice_id": "i9", "status": status},
                },
            )
    finally:
        service.stop()
    # The server stays down for ten minutes: the window closes while nobody runs it.
    db = sqlite3.connect(tmp_path / "journal.sqlite3", isolation_level=None)
    db.execute("UPDATE entries SET wall = wall - 600")
    db.execute("UPDATE snapshot SET wall = wall - 600")  # stopping took a snapshot
    db.close()
    for _ in range(2):  # on the first start the digest goes out; on the next it is not resent
        service = Service(options).start()
        try:
            assert _digests(f"http://127.0.0.1:{service.http.port}") == ["2 updates to invoice i9"]
        finally:
            service.stop()


@pytest.mark.parametrize("closed", [True, False])
def test_retention_keeps_the_newest_mail_in_the_file_even_after_a_crash(
    tmp_path: Path, closed: bool
) -> None:
    box = Mailbox(store=tmp_path, retention=3)
    for n in range(150):  # evictions are deleted in batches: some are pending at the end
        box.capture_outgoing(
            OutgoingEmail(
                from_="a@acme.test", to=["b@example.com"], subject=f"s{n}", html=None, text="x"
            )
        )
    if closed:
        box.close()  # else: as after kill -9, the pending evictions are still in the file
    reopened = Mailbox(store=tmp_path, retention=3)
    assert [e.subject for e in reopened.all()] == ["s147", "s148", "s149"]
    reopened.close()
    db = sqlite3.connect(tmp_path / "mail.sqlite3")
    assert db.execute("SELECT count(*) FROM emails").fetchone() == (3,)


def test_a_format_1_journal_is_migrated(tmp_path: Path) -> None:
    options = ServeOptions(
        http_port=0, smtp_port=0, clock="manual", data_dir=tmp_path, compact_every=0
    )
    service = Service(options)
    service.emulator.identify("u1", name="Ada")
    for env in service.environments:  # as after a crash: no snapshot taken
        service.data[env.name].journal._db.close()
        env.emulator.outbox.close()
    db = sqlite3.connect(tmp_path / "journal.sqlite3", isolation_level=None)
    db.execute("DROP TABLE snapshot")  # what format 1 was: entries only, no auto_vacuum
    db.execute("PRAGMA auto_vacuum=NONE")
    db.execute("VACUUM")
    db.execute("PRAGMA user_version=1")
    db.close()
    service = Service(options)
    try:
        assert service.replayed > 0
        assert service.emulator.user("u1")["name"] == "Ada"  # type: ignore[index]
    finally:
        service.stop()
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    assert db.execute("PRAGMA auto_vacuum").fetchone() == (2,)  # incremental
    assert db.execute("SELECT count(*) FROM snapshot").fetchone() == (1,)  # taken on stop
