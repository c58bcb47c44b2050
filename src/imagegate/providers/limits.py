"""Per-account caps on upstream tasks in flight, so a burst queues here instead of drawing 429s there.

One :class:`TaskLimiter` belongs to one provider instance, that is one channel (one upstream
account), and every request to that channel shares it. A task holds its model's slot (when the
model has its own cap) and an account slot from submit until its result is in hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager


class TaskLimiter:
    def __init__(self, account_cap: int | None, model_caps: dict[str, int]) -> None:
        self._account = asyncio.Semaphore(account_cap) if account_cap is not None else None
        self._models = {model: asyncio.Semaphore(cap) for model, cap in model_caps.items()}

    @asynccontextmanager
    async def slot(self, model: str) -> AsyncIterator[None]:
        """Wait for room for one more ``model`` task on the account; the model's own cap is taken first,
        so a task queued on it never sits on an account slot that other models could use."""
        async with AsyncExitStack() as held:
            for semaphore in (self._models.get(model), self._account):
                if semaphore is not None:
                    await held.enter_async_context(semaphore)
            yield
