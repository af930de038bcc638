"""Many SMTP and HTTP clients at once: every message captured exactly once."""

from __future__ import annotations

import smtplib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from emulator.http import ServerThread, create_resend_app
from emulator.mail import InProcessProvider, Mailbox, OutgoingEmail, ResendService, running_smtp

CLIENTS = 8
PER_CLIENT = 15


def test_smtp_http_and_engine_at_once() -> None:
    box = Mailbox(retention=0)
    service = ResendService(box)
    with running_smtp(box) as smtp, ServerThread(create_resend_app(service)) as http:

        def smtp_client(n: int) -> None:
            with smtplib.SMTP(*smtp.address) as client:
                for i in range(PER_CLIENT):
                    body = f"Subject: smtp-{n}-{i}\r\nTo: s{n}@example.com\r\n\r\nx\r\n"
                    client.sendmail("a@acme.test", [f"s{n}@example.com"], body.encode())

        def http_client(n: int) -> None:
            with httpx.Client(headers={"Authorization": "Bearer re_c"}) as client:
                for i in range(PER_CLIENT):
                    r = client.post(
                        http.base_url + "/emails",
                        json={
                            "from": "a@acme.test",
                            "to": f"h{n}@example.com",
                            "subject": f"http-{n}-{i}",
                            "text": "x",
                        },
                    )
                    assert r.status_code == 200, r.text

        def engine_client(n: int) -> None:
            provider = InProcessProvider(box)
            for i in range(PER_CLIENT):
                provider.send(
                    OutgoingEmail(
                        "a@acme.test", [f"e{n}@example.com"], f"engine-{n}-{i}", None, "x"
                    )
                )

        with ThreadPoolExecutor(max_workers=CLIENTS * 3) as pool:
            futures = [
                pool.submit(f, n)
                for n in range(CLIENTS)
                for f in (smtp_client, http_client, engine_client)
            ]
            for future in futures:
                future.result()
    counts = Counter(box.all().subjects)
    expected = {
        f"{kind}-{n}-{i}"
        for kind in ("smtp", "http", "engine")
        for n in range(CLIENTS)
        for i in range(PER_CLIENT)
    }
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    assert len({e.id for e in box.all()}) == len(expected)
    assert len(service.list(100, None, None)[0]) == 100
