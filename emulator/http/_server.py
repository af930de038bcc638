"""Run any ASGI app on uvicorn in a background thread (127.0.0.1, port 0 by default).

The socket is bound here, before uvicorn starts, so the port is known at once and a restart
reuses it. `stop()` asks uvicorn to exit and joins the thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

from emulator import DoorstepError


class ServerError(DoorstepError):
    """An HTTP server that could not start, or was used while stopped."""


class ServerThread:
    """`with ServerThread(app) as server: httpx.get(server.base_url + "/...")`."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
        limit_concurrency: int | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.limit_concurrency = limit_concurrency
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server; ServerError when stopped."""
        if self._server is None:
            raise ServerError("the HTTP server is stopped; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether `start()` succeeded and `stop()` has not been called since."""
        return self._server is not None

    def start(self) -> ServerThread:
        """Bind the socket and serve from a daemon thread; returns once uvicorn accepts."""
        if self._server is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP; with proto 0, Nagle + delayed ACK add ~40 ms to every response.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ServerError(
                f"cannot bind {self.host}:{self.port} ({exc}); pick another port or use port=0"
            ) from exc
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level=self.log_level,
            log_config=None,
            lifespan="off",
            access_log=False,
            limit_concurrency=self.limit_concurrency,
        )
        server = uvicorn.Server(config)
        self._error = None

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:
                self._error = exc
            finally:
                sock.close()

        thread = threading.Thread(target=run, name=f"uvicorn:{self.port}", daemon=True)
        thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not server.started and thread.is_alive() and waited < self.startup_timeout:
            deadline.wait(0.005)
            waited += 0.005
        if not server.started:
            server.should_exit = True
            thread.join(5)
            raise ServerError(
                f"uvicorn did not start on {self.host}:{self.port} within "
                f"{self.startup_timeout}s ({self._error!r})"
            )
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(10)

    def restart(self) -> ServerThread:
        """Stop, then start again on the same port."""
        self.stop()
        return self.start()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ServerThread {self.base_url if self.running else 'stopped'}>"
