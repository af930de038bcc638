"""`doorstep serve --data-dir` costs, as ratios measured in the same run.

Throughput: the same mixed load (SMTP messages, Resend POST /emails, Knock triggers from
concurrent client processes) against a served emulator with a data dir and one memory-only,
rounds interleaved; goal: with a data dir >= 0.8x memory-only.
Memory: RSS of a serve-like emulator (`--max-runs 1000`, mail retention 500) after 100,000
triggers against after 10,000, in a fresh process; goal: <= 1.2x.
Restart: a served emulator with a data dir (`--max-runs 1000`, `--max-messages 500`) takes
50,000 triggers and stops; the next start's time and the data dir's size against the same after
5,000 triggers (the journal is compacted into snapshots); goal: <= 1.2x. After a crash (no
snapshot on stop) the start replays at most `--compact-every` changes: also printed.

    python3 bench/bench_durable.py
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _measure import Result, Row

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


def _start_child(data_dir: Path) -> None:
    """In a fresh process (modules imported): CPU seconds to build the server on `data_dir`
    (load the snapshot, replay the entries after it), printed; CPU time, so that a busy machine
    does not count."""
    import emulator.http  # noqa: F401  (imported first: the time is the data dir's)
    from emulator.cli._serve import ServeOptions, Service

    options = ServeOptions(http_port=0, smtp_port=0, clock="manual", data_dir=data_dir)
    start = time.process_time()
    service = Service(options, out=sys.stderr)
    print(time.process_time() - start)
    service.stop()


def _start_seconds(data_dir: Path, copies: int = 5) -> float:
    """Median over fresh processes, each starting on its own copy of `data_dir` as it is."""
    import shutil

    seconds = []
    for n in range(copies):
        copy = data_dir.with_name(f"{data_dir.name}-{n}")
        shutil.copytree(data_dir, copy)
        out = subprocess.run(
            [sys.executable, __file__, "--start", str(copy)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        seconds.append(float(out))
    return statistics.median(seconds)


def _size(data_dir: Path) -> int:
    return sum(f.stat().st_size for f in data_dir.iterdir())


def _fill_child(total: int, data_dir: Path) -> None:
    """In a fresh process: `total` triggers into a served emulator with a data dir
    (`--max-runs 1000`, `--max-messages 500`), copied before it stops (what a kill -9 leaves
    to `data_dir/crashed`) and after (`data_dir/dir`)."""
    import shutil

    from emulator.cli._serve import ServeOptions, Service

    options = ServeOptions(
        http_port=0, smtp_port=0, clock="manual", data_dir=data_dir / "dir", max_runs=1000
    )
    service = Service(options, out=sys.stderr)
    emu = service.emulator
    emu.identify("u1", email="ada@example.com")
    for i in range(total):
        emu.trigger("invoice-created", ["u1"], data={"invoice_id": f"i{i}", "amount": 1})
    shutil.copytree(data_dir / "dir", data_dir / "crashed")
    service.stop()


def _restart(total: int) -> tuple[float, int, float, int]:
    """After `total` triggers: start seconds and data-dir bytes, graceful stop then crash."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, __file__, "--fill", str(total), tmp], check=True, capture_output=True
        )
        graceful, crashed = Path(tmp) / "dir", Path(tmp) / "crashed"
        return _start_seconds(graceful), _size(graceful), _start_seconds(crashed), _size(crashed)


def restart_ratios(scale: float = 1.0) -> tuple[float, float, str]:
    """Start time and data-dir size after 10x the triggers against after 1x (5,000 at 1.0)."""
    small = max(500, int(5_000 * scale))
    s_time, s_size, s_crash, s_crash_size = _restart(small)
    l_time, l_size, l_crash, l_crash_size = _restart(small * 10)
    detail = (
        f"start {s_time:.2f} s -> {l_time:.2f} s, data dir {s_size / 2**20:.1f} MiB -> "
        f"{l_size / 2**20:.1f} MiB; after a crash: start {s_crash:.2f} s -> {l_crash:.2f} s, "
        f"{s_crash_size / 2**20:.1f} MiB -> {l_crash_size / 2**20:.1f} MiB"
    )
    return l_time / s_time, l_size / s_size, detail


def restart_row(scale: float) -> Result:
    """bench/run_all.py's `restart` row."""
    started, size, detail = restart_ratios(scale)
    return Result(f"start {started:.2f}x, size {size:.2f}x ({detail})", max(started, size) <= 1.2)


ROWS = [
    Row(
        "restart",
        "`serve --data-dir` (`--max-runs 1000`): start time and data-dir size after 50,000 "
        "triggers vs after 5,000 (journal compacted into snapshots)",
        "≤ 1.2x",
        restart_row,
    )
]


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
    out = subprocess.run(
        [sys.executable, __file__, "--memory", "100000"], check=True, capture_output=True, text=True
    ).stdout.split()
    at_10k, at_100k = int(out[0]), int(out[1])
    print(
        f"RSS after 100,000 triggers / after 10,000 (--max-runs 1000): {at_100k / at_10k:.2f}x "
        f"(<= 1.2; {at_10k // 1024} MiB -> {at_100k // 1024} MiB)"
    )
    started, size, detail = restart_ratios()
    print(
        f"after 50,000 triggers / after 5,000 (--max-runs 1000): start {started:.2f}x, "
        f"data dir {size:.2f}x (<= 1.2; {detail})"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        _memory_child(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--fill"]:
        _fill_child(int(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1:2] == ["--start"]:
        _start_child(Path(sys.argv[2]))
    else:
        main()
