"""A node's life after start: serving, then draining when told to stop, then gone.

On SIGTERM (:func:`on_sigterm`) the node drains: ``/readyz`` answers 503 ``draining`` at once (a load
balancer takes the node out), new requests are refused with 503 ``node_draining`` (a client retries on
another node), job workers claim nothing new; requests, detached work and jobs in flight get until
``deadline`` to finish, jobs still running then are handed back for another node to take at once.
Only then is the signal passed on to the server (uvicorn), which closes its listener and shuts the
gateway down. SIGKILL skips all of this: usage rows are committed before answers
(:mod:`imagegate.ledger.usage`), jobs are taken over when their lease runs out, and webhooks wait in
the outbox (:mod:`imagegate.jobs.outbox`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import FrameType

from .readiness import Readiness

log = logging.getLogger("imagegate")


class InFlight:
    """HTTP requests being served; :meth:`idle` waits for none to be left."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def idle(self, timeout: float) -> bool:
        """``True`` once no request is in flight, ``False`` if some still are after ``timeout`` seconds."""
        try:
            async with asyncio.timeout(max(timeout, 0)):
                await self._idle.wait()
        except TimeoutError:
            log.warning("shutdown: %d requests still in flight after the deadline", self.count)
            return False
        return True


@dataclass(slots=True)
class Lifecycle:
    """What the app factory, the request gate and the composition root share about the node's state."""

    readiness: Readiness = field(default_factory=Readiness)
    inflight: InFlight = field(default_factory=InFlight)

    @property
    def draining(self) -> bool:
        return self.readiness.draining


Drain = Callable[[], Awaitable[None]]


def on_sigterm(drain: Drain) -> Callable[[], None]:
    """On the first SIGTERM run ``drain``, then hand the signal to the handler it replaced (uvicorn's: a
    graceful exit). Returns the function that puts that handler back. Outside the main thread (an app
    under a test client) nothing is installed."""
    loop = asyncio.get_running_loop()
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except ValueError:
        return lambda: None
    tasks: set[asyncio.Task[None]] = set()

    async def run() -> None:
        try:
            await drain()
        except Exception:
            log.exception("draining failed; stopping now")
        signal.signal(signal.SIGTERM, previous)
        if callable(previous):
            previous(signal.SIGTERM, None)
        else:
            signal.raise_signal(signal.SIGTERM)

    def handler(signum: int, frame: FrameType | None) -> None:
        if not tasks:
            loop.call_soon_threadsafe(lambda: tasks.add(loop.create_task(run(), name="drain")))

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return lambda: None

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, previous)
    return restore
