"""Serve an ASGI app on a free 127.0.0.1 port from a daemon thread (for the fakes)."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.fakes.openai_upstream import Recorded


class ThreadedServer:
    def __init__(self, app: Starlette, name: str) -> None:
        self.app, self.name = app, name
        self.port, self.origin = 0, ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, port: int = 0) -> str:
        """Start serving (on ``port``, or a free one); returns the origin (``http://127.0.0.1:PORT``) once
        connections are accepted."""
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP (else ~40 ms a request)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, loop="asyncio", log_level="warning", lifespan="off", ws="none",
                                access_log=False, backlog=2048)
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name=f"{self.name}-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} failed to start")
            time.sleep(0.005)
        return self.origin

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(3)
        self._server.force_exit = True
        self._thread.join(3)
        self._server = self._thread = None


class Served:
    """A fake behind a :class:`ThreadedServer`, serving for a ``with`` block; ``origin`` is where it listens."""

    server: ThreadedServer
    origin = ""

    def __enter__(self) -> Self:
        self.origin = self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()


class ServedApi(Served):
    """A fake vendor API that records its requests: ``base_url`` is its origin and ``api_path`` (what a channel is
    given), ``last`` is the latest request, and ``_closing`` is set while it stops, to cut a hanging answer short."""

    api_path = ""
    requests: list[Recorded]

    def __init__(self, server: ThreadedServer) -> None:
        self.server = server
        self._closing = threading.Event()
        self.origin = self.base_url = ""

    def __enter__(self) -> Self:
        self._closing.clear()
        super().__enter__()
        self.base_url = f"{self.origin}{self.api_path}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        super().__exit__(*exc_info)

    @property
    def last(self) -> Recorded:
        return self.requests[-1]


class Sink(Served):
    """A foreign host: records every request it gets and answers like a task still running."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.server = ThreadedServer(Starlette(routes=[Route("/{path:path}", self._any, methods=["GET", "POST"])]),
                                     "sink")
        self.origin = ""

    async def _any(self, request: Request) -> Response:
        self.hits.append(str(request.url))
        return Response(b'{"status": "Pending"}', media_type="application/json")
