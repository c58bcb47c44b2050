"""Webhooks that outlive the node: the outbox table, delivered by any node, retried with backoff.

A job's webhook is written to ``webhook_outbox`` in the transaction that records the job's end
(:func:`~imagegate.jobs.tables.outbox_entry`), so neither a crash nor a receiver that is down loses
it. Every node runs :meth:`Outbox.run_forever`: it claims due rows under a lease (PostgreSQL:
``SELECT … FOR UPDATE SKIP LOCKED``, so nodes never wait on each other's rows; SQLite: its one
writer at a time), sends each (:meth:`~imagegate.jobs.webhook.Notifier.send`: a signed POST with
a few quick retries), then deletes the row, or puts the next round off by a backoff doubling from
``FIRST_WAIT`` up to ``webhook_retry_max``. A node that dies mid-delivery leaves its rows to the
next node once their lease ends; a node that stops hands them back at once. The body is built when
it is sent (links signed afresh); rows whose job has expired are dropped. Delivery is at least once:
a receiver that must act once dedupes by the job ``id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

import sqlalchemy as sa

from ..ledger.db import Database
from ..store import Links
from .store import JobStore
from .tables import webhook_outbox
from .view import view
from .webhook import Notifier

log = logging.getLogger("imagegate.jobs")
FIRST_WAIT = 5.0  # seconds before the second delivery round; each later wait doubles
BATCH = 16  # rows one node claims at a time
Due = tuple[str, str, int]  # job id, url, failed rounds so far


def backoff(attempts: int, cap: float) -> float:
    """Seconds to wait after ``attempts`` failed rounds (1, 2, ...)."""
    return float(min(cap, FIRST_WAIT * 2 ** min(attempts - 1, 30)))


class Outbox:
    def __init__(self, db: Database, jobs: JobStore, notifier: Notifier, links: Links, *, poll: float,
                 retry_max: float, lease: float) -> None:
        self.db, self.jobs, self.notifier, self.links = db, jobs, notifier, links
        self.poll, self.retry_max, self.lease = poll, retry_max, lease
        self.wakeup = asyncio.Event()

    def wake(self) -> None:
        """A job ended here: look at the outbox now rather than at the next poll."""
        self.wakeup.set()

    async def claim(self, owner: str, now: float | None = None) -> list[Due]:
        """Take up to ``BATCH`` due rows nobody holds, under ``owner`` for one lease."""
        now = time.time() if now is None else now
        box = webhook_outbox.c
        free = sa.and_(box.next_at <= now, box.lease_until < now)
        due = (sa.select(box.job_id).where(free).order_by(box.next_at).limit(BATCH)
               .with_for_update(skip_locked=True).scalar_subquery())
        statement = (sa.update(webhook_outbox).where(box.job_id.in_(due), free)
                     .values(owner=owner, lease_until=now + self.lease)
                     .returning(box.job_id, box.url, box.attempts))
        async with self.db.begin() as conn:
            return [(row[0], row[1], row[2]) for row in (await conn.execute(statement)).all()]

    def _held(self, job_id: str, owner: str) -> sa.ColumnElement[bool]:
        return sa.and_(webhook_outbox.c.job_id == job_id, webhook_outbox.c.owner == owner)

    async def _delivered(self, job_id: str, owner: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(sa.delete(webhook_outbox).where(self._held(job_id, owner)))

    async def _later(self, job_id: str, owner: str, attempts: int, wait: float) -> None:
        async with self.db.begin() as conn:
            await conn.execute(sa.update(webhook_outbox).where(self._held(job_id, owner)).values(
                attempts=attempts, next_at=time.time() + wait, owner=None, lease_until=0.0))

    async def deliver(self, due: Due, owner: str) -> bool:
        """One delivery round for a claimed row; ``True`` once the receiver took it."""
        job_id, url, attempts = due
        try:
            job = await self.jobs.get(job_id)
            if job is None:
                log.warning("webhook dropped: its job expired", extra={"job": job_id})
                await self._delivered(job_id, owner)
                return False
            if await self.notifier.send(url, view(job, self.links)):
                await self._delivered(job_id, owner)
                return True
        except asyncio.CancelledError:
            await self._later(job_id, owner, attempts, 0.0)  # stopping: any node may take it at once
            raise
        wait = backoff(attempts + 1, self.retry_max)
        log.warning("webhook not delivered; next try in %g s", wait, extra={"job": job_id})
        await self._later(job_id, owner, attempts + 1, wait)
        return False

    async def run_once(self) -> int:
        """Claim and deliver the rows due now; how many were claimed."""
        owner = secrets.token_hex(8)
        claimed = await self.claim(owner)
        await asyncio.gather(*(self.deliver(due, owner) for due in claimed))
        return len(claimed)

    async def run_forever(self) -> None:
        while True:
            try:
                claimed = await self.run_once()
            except Exception:
                log.exception("webhook outbox round failed")
                claimed = 0
            if claimed < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), self.poll)
                self.wakeup.clear()
