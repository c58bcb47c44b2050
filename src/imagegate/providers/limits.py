"""Per-account caps on upstream tasks in flight, so a burst queues here instead of drawing 429s there.

One :class:`TaskLimiter` belongs to one provider instance, that is one channel (one upstream
account), and every request to that channel shares it. A task holds its model's slot (when the
model has its own cap) and an account slot from submit until its result is in hand.

Where the slots come from is the channel's :class:`Caps`: this process's (:func:`local_cap`, an
``asyncio.Semaphore``), or, with Redis, the whole fleet's (:mod:`imagegate.shared.caps`), keyed
by the account so that every node and worker holding the same key counts against the same cap.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol


class Cap(Protocol):
    def slot(self) -> AbstractAsyncContextManager[None]: ...


Caps = Callable[[str, int], Cap]  # (the cap's name within the account, its size) → the cap


class LocalCap:
    """A cap counted in this process; waiters are served in arrival order."""

    def __init__(self, cap: int) -> None:
        self._semaphore = asyncio.Semaphore(cap)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            yield


def local_cap(name: str, cap: int) -> Cap:
    return LocalCap(cap)


class TaskLimiter:
    def __init__(self, account_cap: int | None, model_caps: dict[str, int], caps: Caps = local_cap) -> None:
        self._account = caps("account", account_cap) if account_cap is not None else None
        self._models = {model: caps(f"model:{model}", cap) for model, cap in model_caps.items()}

    @asynccontextmanager
    async def slot(self, model: str) -> AsyncIterator[None]:
        """Wait for room for one more ``model`` task on the account; the model's own cap is taken first,
        so a task queued on it never sits on an account slot that other models could use."""
        async with AsyncExitStack() as held:
            for cap in (self._models.get(model), self._account):
                if cap is not None:
                    await held.enter_async_context(cap.slot())
            yield


def account_id(base_url: str, api_key: str) -> str:
    """Whom an upstream counts tasks against: a digest of where and with which key (never the key itself)."""
    return hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()[:16]
