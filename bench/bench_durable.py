"""`doorstep serve --data-dir` costs, as ratios measured in the same run.

Throughput: the same mixed load (SMTP messages, Resend POST /emails, Knock triggers from
concurrent client processes) against a served emulator with a data dir and one memory-only,
rounds interleaved; goal: with a data dir >= 0.8x memory-only.
Memory: RSS of a serve-like emulator (`--max-runs 1000`, mail retention 500) after 100,000
triggers against after 10,000, in a fresh process; goal: <= 1.2x.

    python3 bench/bench_durable.py
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import smtplib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 3  # per kind: SMTP, Resend, Knock
PER_CLIENT = 120
ROUNDS = 4


def _smtp(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        for i in range(PER_CLIENT):
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: s{i}\r\n\r\nx\r\n")


def _resend(base: str) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer re_x"}) as client:
        for i in range(PER_CLIENT):
            body = {"from": "a@acme.test", "to": "b@example.com", "subject": f"r{i}", "text": "x"}
            client.post("/emails", json=body).raise_for_status()


def _knock(base: str) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer sk_test_x"}) as client:
        for i in range(PER_CLIENT):
            body = {"recipients": ["u1"], "data": {"invoice_id": f"i{i}", "amount": 1}}
            client.post("/v1/workflows/invoice-created/trigger", json=body).raise_for_status()


def _client(job: tuple[str, str, int]) -> None:
    kind, base, port = job
    {"smtp": lambda: _smtp(port), "resend": lambda: _resend(base), "knock": lambda: _knock(base)}[
        kind
    ]()


def _throughput(pool: mp.pool.Pool, data_dir: Path | None) -> float:
    """Requests per second of the mixed load against a fresh served emulator."""
    from emulator.cli._serve import ServeOptions, Service

    service = Service(
        ServeOptions(http_port=0, smtp_port=0, clock="manual", data_dir=data_dir), out=sys.stderr
    ).start()
    try:
        base = f"http://127.0.0.1:{service.http.port}"
        httpx.put(
            f"{base}/v1/users/u1",
            headers={"Authorization": "Bearer sk_test_x"},
            json={"email": "ada@example.com"},
        ).raise_for_status()
        jobs = [(k, base, service.smtp.port) for k in ("smtp", "resend", "knock")] * CLIENTS
        start = time.perf_counter()
        pool.map(_client, jobs)
        return len(jobs) * PER_CLIENT / (time.perf_counter() - start)
    finally:
        service.stop()


def _rss_kib() -> int:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4


def _memory_child(total: int) -> None:
    """In a fresh process: RSS after 10,000 triggers and after `total`, printed."""
    from emulator import Emulator
    from emulator.mail import Mailbox

    emu = Emulator.from_directory(
        ROOT / "fixtures" / "workflows",
        config=ROOT / "fixtures" / "doorstep.yaml",
        mailbox=Mailbox(retention=500),
    )
    emu.retain_runs(1000, full_traces=1000)
    emu.identify("u1", email="ada@example.com")
    marks = {}
    for i in range(1, total + 1):
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": f"i{i}", "amount": 1})
        if i in (10_000, total):
            marks[i] = _rss_kib()
    print(marks[10_000], marks[total])


def main() -> None:
    ratios = []
    with mp.get_context("spawn").Pool(CLIENTS * 3) as pool:
        _throughput(pool, None)  # warm-up, not counted: the client processes import on first use
        for r in range(ROUNDS):  # the two cases alternate which goes first
            with tempfile.TemporaryDirectory() as tmp:
                if r % 2:
                    memory = _throughput(pool, None)
                    durable = _throughput(pool, Path(tmp))
                else:
                    durable = _throughput(pool, Path(tmp))
                    memory = _throughput(pool, None)
            ratios.append(durable / memory)
            print(f"  data dir {durable:7.0f} req/s   memory-only {memory:7.0f} req/s")
    print(f"throughput with --data-dir / memory-only: {statistics.median(ratios):.2f}x (>= 0.8)")
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--memory", "100000"], check=True, capture_output=True, text=True
    ).stdout.split()
    at_10k, at_100k = int(out[0]), int(out[1])
    print(
        f"RSS after 100,000 triggers / after 10,000 (--max-runs 1000): {at_100k / at_10k:.2f}x "
        f"(<= 1.2; {at_10k // 1024} MiB -> {at_100k // 1024} MiB)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        _memory_child(int(sys.argv[2]))
    else:
        main()
