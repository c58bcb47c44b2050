"""A webhook receiver on 127.0.0.1: records every POST (headers and raw body) and answers 204. It listens on
a free port, or on the ``port`` given (a receiver that comes up where a gateway was already sending)."""

from __future__ import annotations

import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import ThreadedServer


class WebhookReceiver:
    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Event()
        self.server = ThreadedServer(Starlette(routes=[Route("/hook", self._hook, methods=["POST"])]), "webhooks")
        self.url = ""

    def __enter__(self) -> WebhookReceiver:
        self.url = self.server.start(self.port) + "/hook"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()

    async def _hook(self, request: Request) -> Response:
        self.calls.append((dict(request.headers.items()), await request.body()))
        self.arrived.set()
        return Response(status_code=204)
