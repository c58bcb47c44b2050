"""Work that runs to its end even when the request that started it is gone: a client that leaves doesn't
stop a generation, because its images are already being paid for upstream (they are stored and billed).

One :class:`Detached` owns all such work in a process — plain requests, streams and async-job
deliveries alike — so shutdown can wait for it (:meth:`Detached.drain`) within a deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger("imagegate")
T = TypeVar("T")


class Detached:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``work`` on its own task, kept until it ends."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def shielded(self, work: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        """``work`` started detached; awaiting the result gives its outcome, cancelling it leaves ``work`` running."""
        return asyncio.shield(self.start(work))

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("detached work ended with %r", task.exception())

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for the work in flight; returns how much was still running."""
        if not self.tasks:
            return 0
        _, pending = await asyncio.wait(set(self.tasks), timeout=timeout)
        if pending:
            log.warning("shutdown: %d requests still running after %g s", len(pending), timeout)
        return len(pending)
