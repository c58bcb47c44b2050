"""Requests per minute per key: a sliding 60-second window, in this process or shared through Redis.

Only requests that are let through count. A refused one gets 429 ``rate_limit_exceeded`` with
``Retry-After``: the whole seconds until the oldest counted request leaves the window.

- :class:`LocalWindow` (default): exact for one process; with several workers or nodes each
  counts on its own.
- :class:`RedisWindow` (``IMAGEGATE_REDIS_URL``): one sorted set per key, checked and updated by
  one Lua script, timed by the Redis server's clock, so every node shares one window. Redis
  unreachable → 503 ``rate_limiter_unavailable`` (fail closed, like the ledger).
"""

from __future__ import annotations

import math
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .errors import RateLimited, ServiceUnavailable

if TYPE_CHECKING:
    from .auth import Principal

WINDOW = 60.0


class Window(Protocol):
    async def wait_time(self, key: str, limit: int) -> float:
        """0 and count the request if it fits in the window; else seconds until it would."""
        ...

    async def aclose(self) -> None: ...


class LocalWindow:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    async def wait_time(self, key: str, limit: int) -> float:
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        if len(hits) >= limit:
            return hits[-limit] + WINDOW - now
        hits.append(now)
        return 0.0

    async def aclose(self) -> None:
        self._hits.clear()


_SCRIPT = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class RedisWindow:
    def __init__(self, client: Redis) -> None:
        self.client = client
        self.script = client.register_script(_SCRIPT)

    @classmethod
    def from_url(cls, url: str) -> RedisWindow:
        return cls(Redis.from_url(url))

    async def wait_time(self, key: str, limit: int) -> float:
        try:
            wait_ms = await self.script(keys=[f"imagegate:rpm:{key}"],
                                        args=[limit, int(WINDOW * 1000), uuid.uuid4().hex])
        except (RedisError, OSError):
            raise ServiceUnavailable("The rate limiter is unavailable; try again shortly.",
                                     code="rate_limiter_unavailable") from None
        return max(int(wait_ms), 0) / 1000

    async def aclose(self) -> None:
        await self.client.aclose()


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
