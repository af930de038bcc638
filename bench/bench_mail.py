"""Mail ingestion throughput, as ratios to bare baselines measured in the same run.

SMTP: messages/s from several concurrent smtplib clients (separate processes, persistent
connections) into Doorstep's SmtpServer + Mailbox, against a bare aiosmtpd sink handler.
Resend: POST /emails requests/s from several httpx clients against a bare Starlette JSON
endpoint served the same way (uvicorn ServerThread). Goals: SMTP >= 0.8, Resend >= 0.7.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import smtplib
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.http import ServerThread, create_resend_app
from emulator.mail import Mailbox, ResendService, SmtpServer

CLIENTS = 4
SMTP_PER_CLIENT = 250
HTTP_PER_CLIENT = 300
ROUNDS = 4
BODY = (
    "From: Acme <noreply@acme.test>\r\nTo: user@example.com\r\nSubject: Benchmark ✓\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n"
    "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p>\r\n--b--\r\n"
).encode()
PAYLOAD = {
    "from": "Acme <a@acme.test>",
    "to": ["b@example.com"],
    "subject": "Hi",
    "html": "<p>Hello <b>there</b></p>",
}


def _smtp_client(args: tuple[int, int]) -> None:
    port, count = args
    with smtplib.SMTP("127.0.0.1", port) as client:
        for _ in range(count):
            client.sendmail("noreply@acme.test", ["user@example.com"], BODY)


def _http_client(args: tuple[str, int]) -> None:
    # http.client sends head and body in one write; httpx's two writes meet Nagle + delayed
    # ACK on loopback and cap every server at ~25 req/s per connection, hiding the server cost.
    url, count = args
    parts = urlsplit(url)
    body = json.dumps(PAYLOAD).encode()
    headers = {"Authorization": "Bearer re_bench", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    for _ in range(count):
        conn.request("POST", parts.path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        assert response.status == 200, payload
    conn.close()


def _drive(pool: Any, fn: Any, args: list[Any], total: int) -> float:
    start = time.perf_counter()
    pool.map(fn, args)
    return total / (time.perf_counter() - start)


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def bench_smtp(pool: Any) -> tuple[float, float]:
    total = CLIENTS * SMTP_PER_CLIENT
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))  # bare aiosmtpd cannot take port 0 (its self-connect check)
    bare_port = probe.getsockname()[1]
    probe.close()
    bare = Controller(_Sink(), hostname="127.0.0.1", port=bare_port)
    bare.start()
    box = Mailbox(retention=0)
    ours = SmtpServer(box).start()
    best_bare = best_ours = 0.0
    for _ in range(ROUNDS):  # interleave so drift hits both equally
        best_bare = max(
            best_bare, _drive(pool, _smtp_client, [(bare_port, SMTP_PER_CLIENT)] * CLIENTS, total)
        )
        best_ours = max(
            best_ours, _drive(pool, _smtp_client, [(ours.port, SMTP_PER_CLIENT)] * CLIENTS, total)
        )
    bare.stop()
    ours.stop()
    start = time.perf_counter()
    assert len(box.all()) == total * ROUNDS, f"captured {len(box)} of {total * ROUNDS}"
    settle = total * ROUNDS / (time.perf_counter() - start)
    print(f"  (deferred MIME parsing on first read: {settle:.0f} msg/s, paid once per message)")
    return best_bare, best_ours


def bench_http(pool: Any) -> tuple[float, float]:
    async def bare_endpoint(request: Request) -> JSONResponse:
        await request.json()
        return JSONResponse({"id": "00000000-0000-4000-8000-000000000000"})

    bare_app = Starlette(routes=[Route("/emails", bare_endpoint, methods=["POST"])])
    box = Mailbox(retention=0)
    total = CLIENTS * HTTP_PER_CLIENT
    best_bare = best_ours = 0.0
    with (
        ServerThread(bare_app) as bare,
        ServerThread(create_resend_app(ResendService(box))) as ours,
    ):
        for _ in range(ROUNDS):
            best_bare = max(
                best_bare,
                _drive(
                    pool,
                    _http_client,
                    [(bare.base_url + "/emails", HTTP_PER_CLIENT)] * CLIENTS,
                    total,
                ),
            )
            best_ours = max(
                best_ours,
                _drive(
                    pool,
                    _http_client,
                    [(ours.base_url + "/emails", HTTP_PER_CLIENT)] * CLIENTS,
                    total,
                ),
            )
    assert len(box) == total * ROUNDS
    return best_bare, best_ours


def main() -> None:
    with mp.get_context("spawn").Pool(CLIENTS) as pool:
        pool.map(time.sleep, [0] * CLIENTS)  # warm the workers up
        smtp_bare, smtp_ours = bench_smtp(pool)
        http_bare, http_ours = bench_http(pool)
    print(f"SMTP ingestion ({CLIENTS} clients, best of {ROUNDS}):")
    print(f"  bare aiosmtpd sink   {smtp_bare:8.0f} msg/s")
    print(
        f"  Doorstep SmtpServer  {smtp_ours:8.0f} msg/s   "
        f"ratio {smtp_ours / smtp_bare:.2f} (goal >= 0.80)"
    )
    print(f"Resend POST /emails ({CLIENTS} clients, best of {ROUNDS}):")
    print(f"  bare Starlette JSON  {http_bare:8.0f} req/s")
    print(
        f"  Doorstep Resend API  {http_ours:8.0f} req/s   "
        f"ratio {http_ours / http_bare:.2f} (goal >= 0.70)"
    )


if __name__ == "__main__":
    main()
