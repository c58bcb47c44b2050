"""Per-request observation (pure ASGI): request id, client-disconnect watch, the access log line, metrics.

Every response carries ``x-request-id`` (the client's, if it sent a usable one, else a new
one). When the request body has been read, a watcher waits for the client to disconnect
and sets the request's ``gone`` event (``request.state.gone``). When the response is sent, one JSON log
line describes the request, and image requests are counted in the metrics.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..context import RequestContext, begin
from ..logs import access

if TYPE_CHECKING:
    from ..bootstrap import Services

IMAGES = "/v1/images/"
QUIET = frozenset({"/healthz", "/metrics"})


class _Watch:
    """Wraps ``receive``: once the body is in, a task waits for ``http.disconnect`` and sets ``gone`` (the
    routes take it as ``request.state.gone``)."""

    def __init__(self, receive: Receive, gone: asyncio.Event) -> None:
        self.receive = receive
        self.gone = gone
        self.task: asyncio.Task[None] | None = None

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.disconnect":
            self.gone.set()
        elif not message.get("more_body", False) and self.task is None:
            self.task = asyncio.create_task(self._wait())
        return message

    async def _wait(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.gone.set()

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id")
        ctx = begin(given.decode("latin-1") if given is not None else None)
        status = 500
        header = (b"x-request-id", ctx.request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*(h for h in message.get("headers", ()) if h[0] != header[0]), header]
            await send(message)

        gone = asyncio.Event()
        scope.setdefault("state", {})["gone"] = gone
        watch = _Watch(receive, gone)
        try:
            await self.app(scope, watch, send_with_id)
        finally:
            watch.stop()
            self._done(scope, ctx, status)

    @staticmethod
    def _done(scope: Scope, ctx: RequestContext, status: int) -> None:
        path: str = scope["path"]
        if path in QUIET:
            return
        seconds = time.perf_counter() - ctx.started
        services: Services | None = getattr(scope["app"].state, "services", None)
        log_prompts = services is not None and services.settings.log_prompts
        access(ctx, scope["method"], path, status, seconds, log_prompts)
        if services is not None and path.startswith(IMAGES):
            services.metrics.request_done(ctx.model or "unknown", status, seconds, ctx.images, ctx.cost)
