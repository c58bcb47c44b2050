"""The async-task protocol that BFL and fal share: submit (retrying 429/5xx), then poll with backoff
until a result or the deadline.

Both halves take the channel's :class:`~imagegate.config.PollConfig`: polling sleeps
``interval`` seconds first and grows by half each round up to ``max_interval``; submit retries
use the same schedule (or the upstream's ``Retry-After``, capped at ``max_interval``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from ..config import PollConfig
from ..errors import UpstreamTimeout
from .http import Reply

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SUBMIT_ATTEMPTS = 4
GROWTH = 1.5


def backoff(plan: PollConfig) -> Iterator[float]:
    """``interval``, then half as long again each time, never above ``max_interval``."""
    delay = min(plan.interval, plan.max_interval)
    while True:
        yield delay
        delay = min(delay * GROWTH, plan.max_interval)


def retry_delay(response: Reply, planned: float, cap: float) -> float:
    """The upstream's ``Retry-After`` seconds when it gives them (at most ``cap``), else ``planned``."""
    try:
        return min(max(float(response.headers.get("retry-after", "")), 0.0), cap)
    except ValueError:
        return planned


async def submit(send: Callable[[], Awaitable[Reply]], plan: PollConfig) -> Reply:
    """Send until the answer is not 429/5xx or the attempts run out; the last answer is returned either way."""
    delays = backoff(plan)
    for _ in range(SUBMIT_ATTEMPTS - 1):
        response = await send()
        if response.status_code not in RETRY_STATUSES:
            return response
        await asyncio.sleep(retry_delay(response, next(delays), plan.max_interval))
    return await send()


async def poll(check: Callable[[], Awaitable[T | None]], plan: PollConfig) -> T:
    """Call ``check`` after each backoff delay until it returns a value; 504 once ``deadline`` passes."""
    try:
        async with asyncio.timeout(plan.deadline):
            for delay in backoff(plan):
                await asyncio.sleep(delay)
                result = await check()
                if result is not None:
                    return result
    except TimeoutError:
        pass
    raise UpstreamTimeout(f"The upstream did not finish the image within {plan.deadline:g} seconds.")
