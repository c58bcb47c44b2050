"""What the gateway observes about the request it is serving, for its logs and metrics only.

:mod:`imagegate.api.observe` opens a :class:`RequestContext` per HTTP request; the pipeline
stages note what they did (key name, model, channel, attempts, images, cost); every log line
of the request carries its id, and the access log line reads the rest. No stage reads it to
decide anything: what a stage needs comes in its arguments.
"""

from __future__ import annotations

import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_CURRENT: ContextVar[RequestContext | None] = ContextVar("imagegate_request", default=None)
MAX_ID = 64


@dataclass(slots=True)
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.perf_counter)
    key: str | None = None
    model: str | None = None
    user: str | None = None
    prompt: str | None = None
    channel: str | None = None
    attempts: int = 0
    images: int | None = None
    cost: float | None = None

    def finished(self, body: dict[str, Any]) -> None:
        """Note what a successful response holds: images made, and the price if the ledger set one."""
        self.images = len(body.get("data") or ())
        cost = (body.get("usage") or {}).get("cost_usd")
        self.cost = float(cost) if isinstance(cost, int | float) else None


def valid_id(given: str | None) -> str | None:
    """A client's ``x-request-id`` if it is safe to echo and log (printable, at most 64 characters)."""
    if given and len(given) <= MAX_ID and given.isprintable() and given.isascii():
        return given
    return None


def begin(given: str | None) -> RequestContext:
    """Open the context of a new request (each request runs in its own task, so nothing leaks)."""
    ctx = RequestContext(valid_id(given) or uuid.uuid4().hex)
    _CURRENT.set(ctx)
    return ctx


def peek() -> RequestContext | None:
    return _CURRENT.get()


def current() -> RequestContext:
    """The request's context; outside a request (tools, tests) a throwaway one."""
    return _CURRENT.get() or RequestContext()
