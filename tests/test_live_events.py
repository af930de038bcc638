"""Live updates: Mailbox listeners and the Mailpit-shaped `/api/events` websocket."""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.sync.client import connect
from wfbuild import bundled_emulator

from emulator import Emulator, OutgoingEmail
from emulator.http import ServerThread, create_app
from emulator.http.inspect import Inspection, inspect_routes
from emulator.http.inspect._events import EventStream, events_route, stats_payload
from emulator.mail import Mailbox, SmtpServer
from emulator.mail._mailbox import MailEvent

RAW = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: raw one\r\n\r\nhello\r\n"
WAIT = 10.0  # seconds before a missing websocket message fails the test


def outgoing(subject: str = "hello") -> OutgoingEmail:
    return OutgoingEmail(
        from_="App <app@example.com>", to=["qa@example.com"], subject=subject, html=None, text="hi"
    )


def recorder(box: Mailbox) -> list[MailEvent]:
    seen: list[MailEvent] = []
    box.subscribe(seen.append)
    return seen


# -- the Mailbox side ---------------------------------------------------------------------------
def test_listeners_hear_new_delete_and_clear_in_order() -> None:
    box = Mailbox()
    seen = recorder(box)
    a = box.ingest_outgoing(outgoing("a"))
    b = box.ingest_raw(RAW, envelope_from="a@example.com", envelope_to=["b@example.com"])
    c = box.add(Mailbox(seed=1).capture_outgoing(outgoing("c"))).id
    box.delete([a, c])
    box.clear()
    assert seen == [
        MailEvent("new", (a,)),
        MailEvent("new", (b,)),
        MailEvent("new", (c,)),
        MailEvent("delete", (a, c)),
        MailEvent("clear"),
    ]


def test_unsubscribe_stops_events_and_is_idempotent() -> None:
    box = Mailbox()
    seen: list[MailEvent] = []
    unsubscribe = box.subscribe(seen.append)
    also: list[MailEvent] = []
    box.subscribe(also.append)
    assert box.listeners == 2
    unsubscribe()
    unsubscribe()
    assert box.listeners == 1
    eid = box.ingest_outgoing(outgoing())
    assert seen == []
    assert also == [MailEvent("new", (eid,))]


def test_retention_evictions_are_deletes() -> None:
    box = Mailbox(retention=2)
    seen = recorder(box)
    ids = [box.ingest_outgoing(outgoing(str(i))) for i in range(3)]
    assert seen[-2:] == [MailEvent("new", (ids[2],)), MailEvent("delete", (ids[0],))]


def test_a_raising_listener_does_not_break_ingestion(caplog: pytest.LogCaptureFixture) -> None:
    box = Mailbox()

    def broken(event: MailEvent) -> None:
        raise RuntimeError("listener bug")

    box.subscribe(broken)
    seen = recorder(box)
    with caplog.at_level(logging.ERROR):
        eid = box.ingest_outgoing(outgoing())
    assert box.get(eid).subject == "hello"
    assert seen == [MailEvent("new", (eid,))]
    assert "listener bug" in caplog.text
    assert "ingestion goes on" in caplog.text


def test_listeners_run_without_the_lock_held() -> None:
    box = Mailbox()
    blocked: list[bool] = []

    def reads_from_another_thread(event: MailEvent) -> None:
        reader = threading.Thread(target=box.all)
        reader.start()
        reader.join(WAIT)
        blocked.append(reader.is_alive())

    box.subscribe(reads_from_another_thread)
    box.ingest_outgoing(outgoing())
    box.delete([e.id for e in box.all()])
    assert blocked == [False, False]


def test_a_listener_may_add_mail_itself() -> None:
    box = Mailbox()
    seen: list[MailEvent] = []

    def echo(event: MailEvent) -> None:
        seen.append(event)
        if len(seen) == 1:
            box.ingest_outgoing(outgoing("echo"))

    box.subscribe(echo)
    box.ingest_outgoing(outgoing("first"))
    assert [box.get(e.ids[0]).subject for e in seen] == ["first", "echo"]


def test_concurrent_ingestion_loses_no_event_and_keeps_order() -> None:
    box = Mailbox(retention=0)
    seen = recorder(box)
    threads = [
        threading.Thread(
            target=lambda: [
                box.ingest_raw(RAW, envelope_from="a@x.test", envelope_to=["b@x.test"])
                for _ in range(250)
            ]
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.ids[0] for e in seen] == [e.id for e in box.all()]
    assert len(seen) == 1000


# -- the per-socket queue -----------------------------------------------------------------------
def test_stream_overflow_drops_the_backlog_for_one_resync() -> None:
    async def scenario() -> list[Any]:
        stream = EventStream(asyncio.get_running_loop(), maxsize=3)
        for i in range(10):
            stream.post(MailEvent("new", (f"e{i}",)))
        first = await stream.get(WAIT)  # the ten callbacks ran before this returned
        left = stream.qsize()
        stream.post(MailEvent("delete", ("e9",)))
        after = await stream.get(WAIT)
        return [first, left, stream.resyncing, after]

    assert asyncio.run(scenario()) == [None, 0, False, MailEvent("delete", ("e9",))]


@pytest.mark.parametrize("maxsize", [1, 2, 5])
def test_stream_never_holds_more_than_maxsize(maxsize: int) -> None:
    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        stream = EventStream(loop, maxsize=maxsize)
        sizes: list[int] = []
        for i in range(20):
            stream.post(MailEvent("new", (f"e{i}",)))
            loop.call_soon(lambda: sizes.append(stream.qsize()))  # runs right after that post
        await stream.get(WAIT)
        return max(sizes)

    assert asyncio.run(scenario()) == maxsize


def test_stream_ignores_posts_once_closed_or_after_its_loop_ends() -> None:
    async def make() -> EventStream:
        return EventStream(asyncio.get_running_loop())

    stream = asyncio.run(make())
    stream.post(MailEvent("clear"))  # the loop is closed: dropped, no exception
    stream.closed = True
    stream.post(MailEvent("clear"))
    assert stream.qsize() == 0


# -- the websocket ------------------------------------------------------------------------------
def receive(ws: Any, timeout: float = WAIT) -> dict[str, Any]:
    """`ws.receive_json()` that fails the test instead of hanging when nothing comes."""
    pool = ThreadPoolExecutor(1)
    try:
        message: dict[str, Any] = pool.submit(ws.receive_json).result(timeout)
    finally:
        pool.shutdown(wait=False)
    return message


@pytest.fixture
def emu() -> Emulator:
    return bundled_emulator()


def live_app(emu: Emulator, **options: Any) -> Starlette:
    """The API plus `/api/events` without the heartbeat, so every message is caused by a test."""
    inspection = Inspection(emu)
    return Starlette(
        routes=[*inspect_routes(inspection), events_route(inspection, heartbeat=None, **options)]
    )


@pytest.fixture
def client(emu: Emulator) -> Iterator[TestClient]:
    with TestClient(live_app(emu)) as c:
        yield c


def trigger_digest(emu: Emulator) -> None:
    emu.trigger("invoice-updated", ["u1"], actor="u2", data={"invoice_id": "i1", "status": "open"})
    with emu.lock:
        emu.clock.advance(minutes=5)


WAYS_IN: dict[str, Callable[[Emulator], Any]] = {
    "add": lambda emu: emu.outbox.add(Mailbox().capture_outgoing(outgoing("added"))),
    "ingest_outgoing": lambda emu: emu.outbox.ingest_outgoing(outgoing("lazy")),
    "ingest_raw": lambda emu: emu.outbox.ingest_raw(
        RAW, envelope_from="a@example.com", envelope_to=["b@example.com"], way_in="smtp"
    ),
    "engine": trigger_digest,
}


@pytest.mark.parametrize(
    ("way", "subject", "workflow"),
    [
        ("add", "added", None),
        ("ingest_outgoing", "lazy", None),
        ("ingest_raw", "raw one", None),
        ("engine", "1 updates to invoice i1", "invoice-updated"),
    ],
)
def test_new_email_is_pushed_in_the_list_shape(
    emu: Emulator, client: TestClient, way: str, subject: str, workflow: str | None
) -> None:
    with client.websocket_connect("/api/events") as ws:
        hello = receive(ws)
        assert hello == {"Type": "stats", "Data": client.get("/api/stats").json()}
        WAYS_IN[way](emu)
        new = receive(ws)
        stats = receive(ws)
    [listed] = client.get("/api/v1/messages").json()["messages"]
    assert new["Type"] == "new"
    assert new["Data"] == listed
    assert new["Data"]["Subject"] == subject
    assert new["Doorstep"]["workflow_key"] == workflow
    assert stats == {"Type": "stats", "Data": client.get("/api/stats").json()}
    assert stats["Data"]["emails"] == 1
    assert stats["Data"]["latest_email"] == listed["ID"]


def test_deletes_and_truncate_are_pushed(emu: Emulator, client: TestClient) -> None:
    ids = [emu.outbox.ingest_outgoing(outgoing(s)) for s in ("a", "b", "c")]
    with client.websocket_connect("/api/events") as ws:
        assert receive(ws)["Data"]["emails"] == 3
        client.request("DELETE", "/api/v1/messages", json={"IDs": ids[:2]})
        assert [receive(ws) for _ in range(3)] == [
            {"Type": "delete", "Data": {"ID": ids[0]}},
            {"Type": "delete", "Data": {"ID": ids[1]}},
            {"Type": "stats", "Data": stats_payload(emu)},
        ]
        client.request("DELETE", "/api/v1/messages")
        assert receive(ws) == {"Type": "truncate", "Data": None}
        assert receive(ws)["Data"] == {**stats_payload(emu), "emails": 0, "latest_email": None}


def test_disconnecting_unsubscribes(emu: Emulator, client: TestClient) -> None:
    with (
        client.websocket_connect("/api/events") as one,
        client.websocket_connect("/api/events") as two,
    ):
        receive(one)
        receive(two)
        assert emu.outbox.listeners == 2
        emu.outbox.ingest_outgoing(outgoing())
        assert receive(one)["Type"] == receive(two)["Type"] == "new"
    assert emu.outbox.listeners == 0
    emu.outbox.ingest_outgoing(outgoing())  # nobody listening: nothing to deliver to


def test_a_slow_client_gets_one_stats_resync_instead_of_a_backlog(emu: Emulator) -> None:
    with (
        TestClient(live_app(emu, queue_size=2)) as client,
        client.websocket_connect("/api/events") as ws,
    ):
        receive(ws)
        # Ingest on the server's loop thread: all ten events are posted before the socket's
        # sender can run once, so its queue of two overflows deterministically.
        ws.portal.call(lambda: [emu.outbox.ingest_outgoing(outgoing()) for _ in range(10)])
        assert receive(ws) == {"Type": "stats", "Data": stats_payload(emu)}
        assert stats_payload(emu)["emails"] == 10
        late = emu.outbox.ingest_outgoing(outgoing("after the resync"))
        assert receive(ws)["Data"]["ID"] == late


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (None, True),
        ("http://testserver", True),
        ("http://evil.example", False),
        ("null", False),
    ],
)
def test_other_sites_pages_cannot_listen(
    client: TestClient, origin: str | None, accepted: bool
) -> None:
    headers = {"origin": origin} if origin else {}
    if accepted:
        with client.websocket_connect("/api/events", headers=headers) as ws:
            assert receive(ws)["Type"] == "stats"
    else:
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/api/events", headers=headers),
        ):
            pass
        assert refused.value.code == 1008


def test_heartbeat_pushes_engine_changes_as_stats(emu: Emulator) -> None:
    inspection = Inspection(emu)
    app = Starlette(routes=[events_route(inspection, heartbeat=0.01)])
    with TestClient(app) as client, client.websocket_connect("/api/events") as ws:
        assert receive(ws)["Data"]["runs"] == 0
        emu.trigger("invoice-updated", ["u1"], data={"invoice_id": "i2", "status": "open"})
        assert receive(ws)["Data"]["runs"] == 1


def test_served_app_pushes_over_uvicorn_from_smtp_and_engine(emu: Emulator) -> None:
    """The real server: uvicorn needs a websocket library (`websockets`) for this to upgrade."""
    with (
        ServerThread(create_app(emu)) as server,
        SmtpServer(emu.outbox) as smtp,
        connect(server.base_url.replace("http", "ws", 1) + "/api/events") as ws,
    ):

        def next_new() -> dict[str, Any]:
            while (message := json.loads(ws.recv(timeout=WAIT)))["Type"] != "new":
                pass
            return message

        assert json.loads(ws.recv(timeout=WAIT))["Type"] == "stats"
        with smtplib.SMTP("127.0.0.1", smtp.port) as client:
            client.sendmail("a@example.com", ["b@example.com"], RAW)
        arrived = next_new()
        assert arrived["Data"]["Subject"] == "raw one"
        assert arrived["Doorstep"]["way_in"] == "smtp"
        trigger_digest(emu)
        assert next_new()["Doorstep"]["workflow_key"] == "invoice-updated"
    assert emu.outbox.listeners == 0  # the stopped server let go of its socket's listener


def test_read_flag_changes_are_pushed_as_mailpit_updates(emu: Emulator, client: TestClient) -> None:
    ids = [emu.outbox.ingest_outgoing(outgoing(s)) for s in ("a", "b")]
    with client.websocket_connect("/api/events") as ws:
        receive(ws)  # the stats sent on connect
        client.put("/api/v1/messages", json={"IDs": ids, "Read": True})
        assert [receive(ws) for _ in range(3)] == [
            {"Type": "update", "Data": {"ID": ids[0], "Read": True}},
            {"Type": "update", "Data": {"ID": ids[1], "Read": True}},
            {"Type": "stats", "Data": stats_payload(emu)},  # after each burst, as for mail
        ]
        client.put("/api/v1/messages", json={"IDs": ids[:1], "Read": True})  # no change: silent
        client.put("/api/v1/messages", json={"IDs": ids[:1], "Read": False})
        assert receive(ws) == {"Type": "update", "Data": {"ID": ids[0], "Read": False}}
