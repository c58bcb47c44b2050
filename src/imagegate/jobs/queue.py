"""How workers hear of jobs: in one process an event, across nodes a Redis stream with a consumer group.

The database stays the only record of a job and its claim (:mod:`imagegate.jobs.store`): a queue
only says which job to try next. ``next()`` returns a job id to claim, or ``None`` for "claim the
oldest claimable job" (which is also how jobs whose worker died are found). With Redis
(``IMAGEGATE_REDIS_URL``, needs ``imagegate[redis]``), each submitted job is an entry of the stream
``<prefix>:jobs``; every node reads the group ``workers``, so each entry goes to one node; an entry
a dead node read and never acknowledged is taken over (``XAUTOCLAIM``) once it has been idle for a
lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from typing import TYPE_CHECKING, Any, Protocol

from ..extras import redis_client

if TYPE_CHECKING:
    from redis.asyncio import Redis

GROUP = "workers"


class JobQueue(Protocol):
    async def push(self, job_id: str) -> None: ...

    async def next(self, wait: float) -> str | None: ...

    async def done(self, job_id: str) -> None: ...

    async def close(self) -> None: ...


class LocalQueue:
    """One process: a submit wakes the workers, who then claim from the database."""

    def __init__(self) -> None:
        self.wakeup = asyncio.Event()

    async def push(self, job_id: str) -> None:
        self.wakeup.set()

    async def next(self, wait: float) -> str | None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), wait)
        self.wakeup.clear()
        return None

    async def done(self, job_id: str) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisQueue:
    def __init__(self, url: str, prefix: str, idle: float) -> None:
        self.redis: Redis = redis_client().Redis.from_url(url)
        self.stream = f"{prefix}:jobs"
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.idle_ms = int(idle * 1000)
        self.entries: dict[str, bytes] = {}  # job id → the stream entry this node read for it

    async def start(self) -> None:
        from redis.exceptions import ResponseError  # the client is there: __init__ made one

        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def push(self, job_id: str) -> None:
        await self.redis.xadd(self.stream, {"job": job_id})

    async def _entry(self, wait: float) -> tuple[bytes, dict[bytes, bytes]] | None:
        taken = await self.redis.xautoclaim(self.stream, GROUP, self.consumer, self.idle_ms, "0-0", count=1)
        if taken[1]:
            entry: tuple[bytes, dict[bytes, bytes]] = taken[1][0]
            return entry
        read: Any = await self.redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=1,
                                           block=int(wait * 1000) or None)
        if not read:
            return None
        entry = read[0][1][0]
        return entry

    async def next(self, wait: float) -> str | None:
        from redis.exceptions import ResponseError

        try:
            entry = await self._entry(wait)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.start()  # a Redis that came back empty (restarted without persistence)
            return None
        if entry is None:
            return None
        entry_id, fields = entry
        job_id = fields[b"job"].decode()
        self.entries[job_id] = entry_id
        return job_id

    async def done(self, job_id: str) -> None:
        entry_id = self.entries.pop(job_id, None)
        if entry_id is not None:
            await self.redis.xack(self.stream, GROUP, entry_id)
            await self.redis.xdel(self.stream, entry_id)

    async def close(self) -> None:
        await self.redis.aclose()
