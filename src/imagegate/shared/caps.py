"""A cap on upstream tasks in flight for the whole fleet: a Redis semaphore with leases.

The holders of one cap are the members of a sorted set, each scored by the time (Redis' own clock)
its lease ends. Taking a slot drops expired holders and adds this one if fewer than ``cap`` remain,
all in one Lua script, so two nodes never both take the last slot; a node that dies with slots
held gives them back when their leases run out (``slot_lease`` seconds). A holder renews its lease
every third of it while its task runs.

Inside a node, waiting tasks queue on an ``asyncio.Lock`` (first come, first served) and only the
head of the queue asks Redis, again after each local release or every ``POLL`` seconds.

When Redis can't be reached the node degrades (:class:`~imagegate.shared.SharedState`) and
serves on its share of the cap, counted here: a new task starts only while this node holds fewer
slots than its share, those it took from Redis before the outage included (they are given back
to Redis if it answers, or lapse). Nodes that held more than their share when Redis went away
keep them until their tasks end, so for that long an account can see more than its cap in
flight (at most the shares of the other nodes); the 429 it may answer is retried as any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..providers.limits import Cap, Caps
from . import SharedState

if TYPE_CHECKING:
    from redis.asyncio import Redis

POLL = 0.05  # seconds between the queue head's tries while the cap is full elsewhere in the fleet

NOW_MS = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
ACQUIRE = NOW_MS + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
return 0
"""
RENEW = NOW_MS + """
local ends = redis.call('ZSCORE', KEYS[1], ARGV[1])
if ends and tonumber(ends) > now then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
"""


class RedisSemaphore:
    """``cap`` leased slots under one Redis key."""

    def __init__(self, redis: Redis, key: str, cap: int, lease: float) -> None:
        self.key, self.cap, self.lease_ms = key, cap, int(lease * 1000)
        self.redis = redis
        self._acquire = redis.register_script(ACQUIRE)
        self._renew = redis.register_script(RENEW)

    async def try_acquire(self) -> str | None:
        """A holder id if a slot was free, else ``None``. Redis errors propagate; a caller cancelled while
        Redis answers gives back the slot it may have been given."""
        holder = uuid.uuid4().hex
        try:
            taken: Any = await self._acquire(keys=[self.key], args=[self.cap, holder, self.lease_ms])
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.release(holder))
            raise
        return holder if int(taken) else None

    async def renew(self, holder: str) -> bool:
        """Extend the lease; False if it had already run out (the slot may be someone else's now)."""
        return bool(int(await self._renew(keys=[self.key], args=[holder, self.lease_ms])))

    async def release(self, holder: str) -> None:
        await self.redis.zrem(self.key, holder)

    async def holders(self) -> int:
        """Slots held now (expired leases not counted)."""
        now_s, now_us = await self.redis.time()
        return int(await self.redis.zcount(self.key, f"({now_s * 1000 + now_us // 1000}", "+inf"))


class FleetCap:
    """One cap shared by every node: Redis when it answers, this node's share of it when not."""

    def __init__(self, state: SharedState, key: str, cap: int, lease: float) -> None:
        assert state.redis is not None
        self.state = state
        self.semaphore = RedisSemaphore(state.redis, key, cap, lease)
        self.lease = lease
        self.held = 0  # slots this node holds, from Redis or from its share
        self._turn = asyncio.Lock()
        self._freed = asyncio.Event()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._turn:
            holder = await self._take()
        renewal = asyncio.create_task(self._renew(holder)) if holder else None
        try:
            yield
        finally:
            if renewal is not None:
                renewal.cancel()
            await self._give_back(holder)

    async def _take(self) -> str:
        """A Redis holder id, or ``""`` for a slot of the local share."""
        while True:
            self._freed.clear()
            if self.state.shared():
                try:
                    if (holder := await self.semaphore.try_acquire()) is not None:
                        self.held += 1
                        return holder
                except Exception as exc:  # any Redis failure: serve on the local share instead
                    self.state.degrade(exc)
                    continue
            elif self.held < self.state.share(self.semaphore.cap):
                self.held += 1
                return ""
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._freed.wait(), POLL)

    async def _renew(self, holder: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            with contextlib.suppress(Exception):  # an outage: the lease may lapse, the task goes on
                await self.semaphore.renew(holder)

    async def _give_back(self, holder: str) -> None:
        self.held -= 1
        if holder:
            with contextlib.suppress(Exception):  # unreachable: the lease runs out on its own
                await self.semaphore.release(holder)
        self._freed.set()


def fleet_caps(state: SharedState, lease: float, account: str) -> Caps:
    """The caps of one upstream account (see :func:`~imagegate.providers.limits.account_id`) for the fleet."""
    def make(name: str, cap: int) -> Cap:
        return FleetCap(state, f"{state.prefix}:caps:{account}:{name}", cap, lease)
    return make
