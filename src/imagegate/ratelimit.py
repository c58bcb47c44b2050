"""Requests per minute per key: a moving 60-second window, in this process or shared through Redis.

The window is the ``limits`` library's moving-window strategy: every request let through is
stamped, and a request is let through while fewer than ``rpm`` stamps are younger than 60
seconds. A refused one is not counted; it gets 429 ``rate_limit_exceeded`` with ``Retry-After``:
the whole seconds until the oldest counted request leaves the window (at least 1). A key keeps
its window when its rpm changes.

- :class:`LocalWindow` (default): ``limits``' in-memory storage; exact for one process, and with
  several workers or nodes each counts on its own.
- :class:`RedisWindow` (``IMAGEGATE_REDIS_URL``, needs ``imagegate[redis]``): ``limits``' Redis
  storage (one list per key, checked and updated by one Lua script), so every node shares one
  window; stamps come from each node's clock, which should be kept in sync (NTP). Redis
  unreachable → 503 ``rate_limiter_unavailable`` (fail closed, like the ledger).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Protocol

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from .errors import RateLimited, ServiceUnavailable
from .extras import redis_client

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool

    from .auth import Principal

SOON = 0.001  # a refused request whose window has room again by the time it is asked: retry at once


class Window(Protocol):
    async def wait_time(self, key: str, limit: int) -> float:
        """0 and count the request if it fits in the window; else seconds until it would."""
        ...

    async def aclose(self) -> None: ...


class PerMinute(RateLimitItemPerMinute):
    """A key's rpm. Its storage key leaves the amount out, so a changed rpm keeps the requests counted."""

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        return "/".join([self.namespace, *(str(part) for part in identifiers)])


class MovingWindow:
    """``limits``' moving window over one storage."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)

    async def wait_time(self, key: str, limit: int) -> float:
        item = PerMinute(limit, namespace="rpm")
        try:
            if await self.strategy.hit(item, key):
                return 0.0
            stats = await self.strategy.get_window_stats(item, key)
        except (StorageError, OSError):
            raise ServiceUnavailable("The rate limiter is unavailable; try again shortly.",
                                     code="rate_limiter_unavailable") from None
        if stats.remaining > 0:
            return SOON
        return max(stats.reset_time - time.time(), SOON)

    async def aclose(self) -> None:
        return None


class LocalWindow(MovingWindow):
    def __init__(self) -> None:
        self.memory = MemoryStorage()
        super().__init__(self.memory)

    async def aclose(self) -> None:
        await self.memory.reset()
        if self.memory.timer is not None:
            self.memory.timer.cancel()


class RedisWindow(MovingWindow):
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        # The client comes from this pool (any URL redis-py takes, unix sockets too): limits only needs a scheme.
        options: dict[str, Any] = {"connection_pool": pool}
        super().__init__(RedisStorage("async+redis://", implementation="redispy", key_prefix="imagegate",
                                      wrap_exceptions=True, **options))

    @classmethod
    def from_url(cls, url: str) -> RedisWindow:
        pool: ConnectionPool = redis_client().ConnectionPool.from_url(url)
        return cls(pool)

    async def aclose(self) -> None:
        await self.pool.aclose()


class RateLimiter:
    def __init__(self, window: Window) -> None:
        self.window = window

    async def admit(self, principal: Principal) -> None:
        """Count the request, or 429 with Retry-After if the key's rpm is used up."""
        if principal.rpm is None:
            return
        wait = await self.window.wait_time(principal.key_hash, principal.rpm)
        if wait > 0:
            raise RateLimited(f"Rate limit reached: this key may make {principal.rpm} requests per minute.",
                              headers={"Retry-After": str(max(1, math.ceil(wait)))})
