"""Channel health for the whole fleet: what one node learns about a channel, every node knows within
``shared_interval`` seconds.

Each node keeps its own :class:`~imagegate.health.Health` per channel, the state the router reads
without waiting on the network. What changes it is also sent to Redis, to one hash per channel
and upstream key (``<prefix>:channel:<name>:<account>``: a new key after a reload starts afresh):

    event      sent when                                   Redis record
    fail       a failure the channel is blamed for         counted in a window; ``allowed_fails`` of them
                                                           from any nodes start a cooldown
    cool       a node started a cooldown (failures, a      cooling until the later of its end and the
               429's Retry-After, no credit, a failed      one already recorded
               probe)
    disable    the upstream rejected the key (401/403)     disabled, on every node
    healthy    a probe succeeded                           healthy again (if its cooldown is over)
    reset      this node reloaded its configuration        healthy (other nodes' cooldowns end; a channel
                                                           they disabled stays so until they reload too)

Each change bumps the record's ``gen``; every ``shared_interval`` seconds a node sends what it has
queued and reads every record of its channels in one round trip, taking on those whose ``gen``
moved. Times are Redis' own clock, turned into this node's monotonic clock on reading, so node
clocks need not agree. Polling at a bounded interval, rather than pub/sub, means a node that
missed messages (a reconnect, an outage) is right again at its next read, and the same read tells
whether Redis is reachable (:class:`~imagegate.shared.SharedState`).

A node that comes up takes on the fleet's records at its first read; a reload starts its channels
healthy again, resets their records and takes on only later changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..health import DISABLED, HEALTHY
from ..router import Channel, Router
from . import SharedState

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("imagegate.shared")

UPDATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HGET', KEYS[1], 'state') or 'healthy'
local ends = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local kind, ms = ARGV[1], tonumber(ARGV[3])
local function set(s, reason, u)
  redis.call('HSET', KEYS[1], 'state', s, 'reason', reason, 'until', u)
  redis.call('HINCRBY', KEYS[1], 'gen', 1)
  redis.call('DEL', KEYS[2])
end
if kind == 'reset' then
  if state ~= 'healthy' then set('healthy', '', 0) end
elseif kind == 'disable' then
  if state ~= 'disabled' then set('disabled', ARGV[2], 0) end
elseif kind == 'healthy' then
  if state == 'cooling' and ends <= now + 250 then set('healthy', '', 0) end
elseif kind == 'cool' then
  if state ~= 'disabled' and (state ~= 'cooling' or ends < now + ms) then set('cooling', ARGV[2], now + ms) end
elseif kind == 'fail' and state == 'healthy' then
  local window = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[2], now, ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  redis.call('PEXPIRE', KEYS[2], window)
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then set('cooling', 'failures', now + ms) end
end
redis.call('EXPIRE', KEYS[1], 86400)
return 0
"""


@dataclass(frozen=True, slots=True)
class Event:
    key: str
    kind: str  # fail, cool, disable, healthy
    reason: str
    seconds: float
    allowed_fails: int
    window: float


class HealthSync:
    """Sends this node's channel events to Redis and takes on the fleet's, every ``interval`` seconds."""

    def __init__(self, state: SharedState, router: Callable[[], Router], interval: float) -> None:
        assert state.redis is not None
        self.redis: Redis = state.redis
        self.state = state
        self.router = router
        self.interval = interval
        self._update = self.redis.register_script(UPDATE)
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._seen: dict[str, int] = {}
        self._wake = asyncio.Event()

    def key(self, channel: Channel) -> str:
        return f"{self.state.prefix}:channel:{channel.name}:{channel.account}"

    def record(self, channel: Channel, kind: str, reason: str = "", seconds: float = 0.0) -> None:
        """Queue one of ``channel``'s events (see the table above) for the next sync; dropped while degraded,
        since this node's own health already holds it."""
        if self.state.shared():
            health = channel.health
            cooldown = seconds if kind == "cool" else health.cooldown
            self._queue.put_nowait(Event(self.key(channel), kind, reason, cooldown, health.allowed_fails,
                                         health.window))
            self._wake.set()

    async def run(self) -> None:
        """Sync until cancelled; a failed sync degrades the node, a good one restores it."""
        while True:
            try:
                await self.sync()
            except Exception as exc:  # a Redis failure of any kind: the node serves on local state
                self.state.degrade(exc)
                self._drop_queued()
            else:
                self.state.restore()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def sync(self) -> None:
        """Send what is queued, then read the records of the current channels and take on what changed."""
        while not self._queue.empty():
            event = self._queue.get_nowait()
            await self._update(keys=[event.key, f"{event.key}:fails"], args=[
                event.kind, event.reason, int(event.seconds * 1000), event.allowed_fails,
                int(event.window * 1000), uuid.uuid4().hex])
        router = self.router()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.time()
            for channel in router.channels:
                pipe.hgetall(self.key(channel))
            answers = await pipe.execute()
        seconds, micros = answers[0]
        redis_now, here = seconds + micros / 1e6, router.clock()
        for channel, fields in zip(router.channels, answers[1:], strict=True):
            self._take_on(channel, {k.decode(): v.decode() for k, v in fields.items()}, here - redis_now)

    def _take_on(self, channel: Channel, record: dict[str, str], offset: float) -> None:
        gen = int(record.get("gen", "0"))
        key = self.key(channel)
        if gen <= self._seen.get(key, 0):
            return
        self._seen[key] = gen
        state = record.get("state", HEALTHY)
        ends = float(record.get("until", "0")) / 1000 + offset
        if channel.health.adopt(state, record.get("reason", ""), ends) and state == DISABLED:
            log.error("CHANNEL DISABLED: the upstream rejected the credentials of channel %r on another node; "
                      "it gets no traffic until the configuration is reloaded", channel.name,
                      extra={"channel": channel.name})

    def reset(self, router: Router) -> None:
        """A reload: the fleet's records of ``router``'s channels start afresh."""
        for channel in router.channels:
            self.record(channel, "reset")

    def _drop_queued(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
