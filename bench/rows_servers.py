"""Rows about the servers: the Mailpit API's list and search as the mailbox grows (in process
through Starlette's TestClient), SMTP capture and the Resend API against bare servers (client
processes send; the server CPU of this process, or of the server's own thread, is what is
compared)."""

from __future__ import annotations

import multiprocessing as mp
import socket
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from _measure import Result, Row, Thunk, cpu, ratio, times
from aiosmtpd.controller import Controller
from bench_mail import BODY, _http_client, _Sink, _smtp_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator import Emulator
from emulator.http import ServerThread, create_app, create_resend_app
from emulator.mail import Mailbox, OutgoingEmail, ResendService, SmtpServer

with warnings.catch_warnings():  # starlette 1.10 asks for `httpx2`; the bench runs on httpx
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

LOCAL = "http://localhost"  # the Host allow-list refuses TestClient's default "testserver"


def _client(emails: int, data_dir: str | None = None) -> TestClient:
    """A Mailpit API over `emails` captured emails; with `data_dir`, they are stored in SQLite
    and read back by a fresh Mailbox, as `serve --data-dir` does on a restart."""
    store = None if data_dir is None else Path(data_dir) / f"mail-{emails}.sqlite3"
    box = Mailbox(retention=0, store=store)
    for n in range(emails):
        box.ingest_outgoing(
            OutgoingEmail(
                from_="Acme <noreply@acme.test>",
                to=[f"u{n}@example.com"],
                subject=f"Invoice {n}",
                html=f"<p>Invoice {n} is ready</p>",
                text=f"Invoice {n} is ready",
            )
        )
    if store is not None:
        box.close()
        box = Mailbox(retention=0, store=store)
    client = TestClient(create_app(Emulator(mailbox=box)), base_url=LOCAL)
    client.get("/api/v1/messages")  # the first read parses what arrived: not what is timed
    return client


def _requests(client: TestClient, path: str, count: int) -> Thunk:
    def run() -> Any:
        for _ in range(count):
            response = client.get(path)
            assert response.status_code == 200, response.text

    return run


def _page_and_search(scale: float, data_dir: str | None) -> list[float]:
    small, large = _client(50, data_dir), _client(max(1_000, int(10_000 * scale)), data_dir)
    found = []
    try:
        for path in ("/api/v1/messages?limit=50", "/api/v1/search?query=to:u7@example.com"):
            found.append(
                ratio(
                    lambda p=path: _requests(large, p, 20), lambda p=path: _requests(small, p, 20)
                )
            )
    finally:
        small.close()
        large.close()
    return found


def message_list(scale: float) -> Result:
    page, search = _page_and_search(scale, None)
    with tempfile.TemporaryDirectory() as data_dir:
        stored = _page_and_search(scale, data_dir)
    shown = f"{times(page)} / {times(search)}"
    shown += f"; `--data-dir`: {times(stored[0])} / {times(stored[1])}"
    return Result(shown, max(page, search, *stored) <= 1.5)


ROWS = [
    Row(
        "mailpit",
        "`GET /api/v1/messages` page / Mailpit search, 10,000 vs 50 emails (server CPU per "
        "request)",
        "≤ 1.5x",
        message_list,
    ),
]


def _server_cpu(pool: Any, client: Any, target: Any, per_client: int, clients: int) -> float:
    """CPU seconds this process (the server threads) spends while `clients` processes send."""
    start = time.process_time()
    pool.map(client, [(target, per_client)] * clients)
    return time.process_time() - start


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))  # bare aiosmtpd cannot take port 0 (its self-connect check)
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def smtp_capture(scale: float) -> Result:
    per_client = max(25, int(250 * scale))
    bare_port = _free_port()
    bare = Controller(_Sink(), hostname="127.0.0.1", port=bare_port)
    bare.start()
    ours = SmtpServer(Mailbox(retention=0)).start()
    ratios = []
    try:
        with mp.get_context("spawn").Pool(8) as pool:
            pool.map(time.sleep, [0] * 8)  # warm the workers up
            for r in range(5):
                spent = {}
                for port in (bare_port, ours.port) if r % 2 == 0 else (ours.port, bare_port):
                    spent[port] = _server_cpu(pool, _smtp_client, port, per_client, 8)
                ratios.append(spent[bare_port] / spent[ours.port])
    finally:
        bare.stop()
        ours.stop()
    found = statistics.median(ratios)
    return Result(times(found), found >= 0.95)


def _thread_clock(server: ServerThread) -> int:
    """The CPU clock of the thread `server` runs uvicorn on (its name: `uvicorn:<port>`)."""
    name = f"uvicorn:{server.port}"
    thread = next(t for t in threading.enumerate() if t.name == name)
    assert thread.ident is not None
    return time.pthread_getcpuclockid(thread.ident)


def resend_post(scale: float) -> Result:
    """Server CPU per request, counted on each server's own thread only (not the pool's
    helper threads, nor the other server idling): both served by `ServerThread` (the same
    uvicorn config), the same body from the same clients, both warmed up first, then
    interleaved rounds (the order alternating), the median of the per-round ratios."""

    async def bare_endpoint(request: Request) -> JSONResponse:
        await request.json()
        return JSONResponse({"id": "00000000-0000-4000-8000-000000000000"})

    bare_app = Starlette(routes=[Route("/emails", bare_endpoint, methods=["POST"])])
    per_client = max(30, int(300 * scale))
    ratios = []
    with (
        ServerThread(bare_app) as bare,
        ServerThread(create_resend_app(ResendService(Mailbox(retention=0)))) as ours,
        mp.get_context("spawn").Pool(4) as pool,
    ):
        pool.map(time.sleep, [0] * 4)
        servers = [(s.base_url + "/emails", _thread_clock(s)) for s in (bare, ours)]
        for url, _ in servers:  # warm-up: first requests, lazy imports, connections
            pool.map(_http_client, [(url, 25)] * 4)
        for r in range(9):
            spent = []
            for url, clock in servers if r % 2 == 0 else servers[::-1]:
                start = time.clock_gettime(clock)
                pool.map(_http_client, [(url, per_client)] * 4)
                spent.append(time.clock_gettime(clock) - start)
            bare_cpu, ours_cpu = spent if r % 2 == 0 else spent[::-1]
            ratios.append(bare_cpu / ours_cpu)
    found = statistics.median(ratios)
    return Result(times(found), found >= 0.8)


ROWS += [
    Row(
        "smtp",
        "SMTP capture vs a bare aiosmtpd sink, 8 connections (server CPU per message, as "
        "throughput)",
        "≥ 0.95x",
        smtp_capture,
    ),
    Row(
        "resend",
        "Resend `POST /emails` vs a bare Starlette JSON endpoint, 4 connections (server CPU)",
        "≥ 0.8x",
        resend_post,
    ),
]


def smtp_first_read(scale: float) -> Result:
    """What `doorstep serve` does with SMTP mail: raw MIME in, then the first API read."""
    count = max(200, int(4_000 * scale))
    ratios = []
    for _ in range(3):
        box = Mailbox(retention=0)
        for n in range(count):
            box.ingest_raw(BODY, envelope_from="noreply@acme.test", envelope_to=[f"u{n}@x.test"])
        first = cpu(box.all)
        ratios.append(first / cpu(box.all))
    found = statistics.median(ratios)
    return Result(times(found), found <= 1.2)


ROWS.append(
    Row(
        "intake",
        "`doorstep serve`: first read of the mailbox after 4,000 SMTP emails vs the next read "
        "(mail is parsed at intake, outside the mailbox lock)",
        "≤ 1.2x (parsed at intake)",
        smtp_first_read,
    )
)
