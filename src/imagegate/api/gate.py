"""The door of a draining node (pure ASGI): requests that arrive after SIGTERM are refused with 503
``node_draining`` (and ``Retry-After``, so a client tries again, on another node behind the balancer);
the probes and ``/metrics`` still answer. Every request let in is counted until its response is sent, so
shutdown can wait for them (:class:`imagegate.lifecycle.InFlight`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ServiceUnavailable, error_response
from ..lifecycle import Lifecycle

ALWAYS_OPEN = frozenset({"/healthz", "/readyz", "/metrics"})


def draining_error() -> ServiceUnavailable:
    return ServiceUnavailable("This gateway node is shutting down; send the request again.",
                              code="node_draining", headers={"Retry-After": "1", "Connection": "close"})


class Gate:
    def __init__(self, app: ASGIApp, lifecycle: Lifecycle) -> None:
        self.app = app
        self.lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ALWAYS_OPEN:
            await self.app(scope, receive, send)
            return
        if self.lifecycle.draining:
            await error_response(draining_error())(scope, receive, send)
            return
        self.lifecycle.inflight.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.lifecycle.inflight.leave()
