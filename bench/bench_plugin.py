"""Plugin overhead: 1,000 generated tests using the `emulator` fixture + one trigger + one
assertion, against the same tests building a bare `Emulator` by hand (definitions parsed once,
as the plugin does). Both suites run in this process with `pytest.main`; a small timing plugin
sums setup + call + teardown per test. Also: session start-up cost of the mail/Knock servers.

    python bench/bench_plugin.py            # goal: < 2 ms per test overhead, ratio < 1.5
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
N = 1000
ROUNDS = 2
SERVER_ROUNDS = 3
BODY = """
    emu.identify("u1", name="Ada", email="ada@example.com")
    emu.trigger("invoice-created", ["u1"], data={{"invoice_id": "inv_{n}", "amount": "$1"}})
    assert_one_email(emu, to="ada@example.com", subject="Invoice inv_{n} created")
"""
PLUGIN_TEST = "def test_{n}(emulator):\n    emu = emulator" + BODY
BARE_HEAD = """
from emulator import Emulator, load_definitions
from pytest_plugin import assert_one_email
DEFS = load_definitions({workflows!r})
VARS = {{"app_url": "https://app.example.com"}}
"""
BARE_TEST = "def test_{n}():\n    emu = Emulator(DEFS, strict=True, vars=VARS)" + BODY


class Timer:
    """Sums the wall time of each test's run protocol (setup, call, teardown)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: Any) -> Generator[None, None, None]:
        start = time.perf_counter()
        yield
        self.total += time.perf_counter() - start
        self.count += 1


def write_suites(base: Path) -> tuple[Path, Path]:
    workflows = base / "fixtures" / "workflows"
    shutil.copytree(ROOT / "fixtures" / "workflows", workflows)
    (base / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        'doorstep_vars = {app_url: "https://app.example.com"}\n'
    )
    plugin = base / "test_gen_plugin.py"
    plugin.write_text(
        "from pytest_plugin import assert_one_email\n\n"
        + "\n".join(PLUGIN_TEST.format(n=n) for n in range(N))
    )
    bare = base / "test_gen_bare.py"
    bare.write_text(
        BARE_HEAD.format(workflows=str(workflows))
        + "\n".join(BARE_TEST.format(n=n) for n in range(N))
    )
    return plugin, bare


def run_suite(path: Path) -> float:
    timer = Timer()
    args = [str(path), "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--no-header"]
    args += [
        "-p",
        "no:benchmark",
        "--rootdir",
        str(path.parent),
        "-o",
        "console_output_style=classic",
    ]
    code = pytest.main(args, plugins=[timer])
    if code != 0 or timer.count != N:
        raise SystemExit(f"suite {path.name} failed (exit {code}, {timer.count} tests)")
    return timer.total


def server_startup() -> dict[str, float]:
    from emulator import Emulator
    from emulator.http import ServerThread, create_resend_app
    from emulator.http.knock._app import knock_app
    from emulator.mail import MailRouter, ResendService, SmtpServer

    def smtp() -> Any:
        return SmtpServer(MailRouter(), port=0)

    def resend() -> Any:
        return ServerThread(create_resend_app(ResendService(MailRouter())))

    def knock() -> Any:
        return ServerThread(knock_app(Emulator()))

    costs: dict[str, float] = {}
    for name, make in {"smtp_server": smtp, "resend_server": resend, "knock_api": knock}.items():
        best = float("inf")
        for _ in range(SERVER_ROUNDS):
            server = make()
            start = time.perf_counter()
            server.start()
            best = min(best, time.perf_counter() - start)
            server.stop()
        costs[name] = best
    return costs


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plugin, bare = write_suites(Path(tmp))
        sys.path.insert(0, tmp)
        run_suite(bare)  # warm imports and caches
        plugin_t = min(run_suite(plugin) for _ in range(ROUNDS))
        bare_t = min(run_suite(bare) for _ in range(ROUNDS))
    per_plugin, per_bare = plugin_t / N * 1000, bare_t / N * 1000
    overhead, ratio = per_plugin - per_bare, plugin_t / bare_t
    print(f"\n{N} tests, best of {ROUNDS} rounds (setup + call + teardown per test)")
    print(f"  plugin `emulator` fixture : {per_plugin:7.3f} ms/test")
    print(f"  bare Emulator by hand     : {per_bare:7.3f} ms/test  (baseline)")
    print(f"  plugin overhead           : {overhead:7.3f} ms/test  (goal < 2 ms)")
    print(f"  ratio plugin / bare       : {ratio:7.3f}         (goal < 1.5)")
    print(f"server start-up (once per session or xdist worker, best of {SERVER_ROUNDS}):")
    for name, cost in server_startup().items():
        print(f"  {name:<14}: {cost * 1000:7.2f} ms  ({cost / (bare_t / N):6.1f}x one bare test)")


if __name__ == "__main__":
    main()
