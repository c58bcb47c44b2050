"""Jobs in the database: created queued, claimed by one worker at a time under a lease, finished once.

Every change of state is one conditional ``UPDATE``: a claim succeeds only for a queued job or
one whose lease ran out (its worker died), and only the worker holding the current claim token
(``owner``) can record a result. A successful job's ``succeeded`` state is written by
:meth:`JobStore.succeed` inside the ledger's settling transaction (with its usage row, budget
settlement and idempotent answer), so a job is charged exactly once however often it is claimed.
The transaction that records a job's end also writes its webhook to the outbox (:mod:`.outbox`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..ledger.db import Database
from .tables import CANCELED, FAILED, OPEN, QUEUED, RUNNING, SUCCEEDED, image_jobs, outbox_entry

TERMINAL = (SUCCEEDED, FAILED, CANCELED)


class JobLost(Exception):
    """The job was canceled, or another worker took it over, while this one ran it."""


@dataclass(slots=True)
class JobRow:
    id: str
    key_id: int | None
    key_name: str
    is_master: bool
    endpoint: str
    model: str
    status: str
    request: dict[str, Any]
    tasks: dict[str, Any]
    progress: float | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    error_status: int | None
    webhook_url: str | None
    created_at: float
    finished_at: float | None
    expires_at: float
    claims: int


COLUMNS = [image_jobs.c[name] for name in JobRow.__slots__]


def new_id() -> str:
    return f"imgjob_{secrets.token_hex(12)}"


class JobStore:
    def __init__(self, db: Database, ttl: float, lease: float) -> None:
        self.db = db
        self.ttl = ttl
        self.lease = lease

    async def create(self, job: JobRow) -> None:
        values = {name: getattr(job, name) for name in JobRow.__slots__}
        async with self.db.begin() as conn:
            await conn.execute(sa.insert(image_jobs).values(**values, lease_until=0.0))

    async def get(self, job_id: str) -> JobRow | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(*COLUMNS).where(image_jobs.c.id == job_id))).first()
        return JobRow(*row) if row is not None else None

    async def recent(self, limit: int, key_id: int | None = None, is_master: bool | None = None) -> list[JobRow]:
        """The newest ``limit`` jobs; with ``is_master`` given, only those of that key (``key_id``) or the master."""
        stmt = sa.select(*COLUMNS).order_by(image_jobs.c.created_at.desc()).limit(limit)
        if is_master is not None:
            stmt = stmt.where(image_jobs.c.is_master == is_master, image_jobs.c.key_id.is_(None) if is_master
                              else image_jobs.c.key_id == key_id)
        async with self.db.connect() as conn:
            return [JobRow(*row) for row in (await conn.execute(stmt)).all()]

    def _claimable(self, now: float) -> sa.ColumnElement[bool]:
        jobs = image_jobs.c
        return sa.or_(jobs.status == QUEUED, sa.and_(jobs.status == RUNNING, jobs.lease_until < now))

    async def claim(self, job_id: str | None = None) -> tuple[JobRow, str] | None:
        """Job ``job_id`` (or the oldest job nobody holds), now held by the caller under a new claim token;
        ``None`` when it is not claimable (finished, canceled, held by a live worker) or there is none."""
        now = time.time()
        query = sa.select(image_jobs.c.id).where(self._claimable(now)).order_by(image_jobs.c.created_at).limit(8)
        if job_id is not None:
            query = query.where(image_jobs.c.id == job_id)
        async with self.db.begin() as conn:
            candidates = (await conn.execute(query)).scalars().all()
        owner = secrets.token_hex(8)
        for job_id in candidates:
            update = (sa.update(image_jobs).where(image_jobs.c.id == job_id, self._claimable(now))
                      .values(status=RUNNING, owner=owner, lease_until=now + self.lease,
                              claims=image_jobs.c.claims + 1))
            if await self._change(update) and (job := await self.get(job_id)) is not None:
                return job, owner  # read after the claim committed: no lock is held while waiting for a connection
        return None

    def _held(self, job_id: str, owner: str) -> sa.Update:
        return sa.update(image_jobs).where(image_jobs.c.id == job_id, image_jobs.c.owner == owner,
                                           image_jobs.c.status == RUNNING)

    async def _change(self, statement: sa.Update) -> bool:
        async with self.db.begin() as conn:
            return bool((await conn.execute(statement)).rowcount == 1)

    async def renew(self, job_id: str, owner: str) -> bool:
        """Extend the lease; ``False`` when the job is no longer this worker's (canceled, or taken over)."""
        return await self._change(self._held(job_id, owner).values(lease_until=time.time() + self.lease))

    async def release(self, job_id: str, owner: str) -> None:
        """Give a job back at shutdown, so the next worker takes it at once."""
        await self._change(self._held(job_id, owner).values(status=QUEUED, owner=None, lease_until=0.0))

    async def save_task(self, job_id: str, owner: str, tasks: dict[str, Any], progress: float | None) -> None:
        await self._change(self._held(job_id, owner).values(tasks=tasks, progress=progress))

    async def succeed(self, conn: AsyncConnection, job_id: str, owner: str, result: dict[str, Any]) -> None:
        """Inside the transaction that writes the job's usage row: record its result, or raise
        :class:`JobLost` (rolling the charge back with it) when the job is no longer this worker's."""
        now = time.time()
        done = self._held(job_id, owner).values(status=SUCCEEDED, result=result, progress=1.0, finished_at=now,
                                                owner=None)
        if (await conn.execute(done)).rowcount != 1:
            raise JobLost(job_id)
        await conn.execute(outbox_entry(job_id, now))

    async def _end(self, job_id: str, owner: str, **values: Any) -> bool:
        """Record the end of a job this worker holds, with its webhook in the outbox; ``False`` if not held."""
        now = time.time()
        async with self.db.begin() as conn:
            if (await conn.execute(self._held(job_id, owner).values(**values, finished_at=now, owner=None))) \
                    .rowcount != 1:
                return False
            await conn.execute(outbox_entry(job_id, now))
        return True

    async def replayed(self, job_id: str, owner: str, result: dict[str, Any]) -> bool:
        """An idempotent answer replayed: the job succeeds with it, and nothing is charged again."""
        return await self._end(job_id, owner, status=SUCCEEDED, result=result, progress=1.0)

    async def fail(self, job_id: str, owner: str, status: int, envelope: dict[str, Any]) -> bool:
        return await self._end(job_id, owner, status=FAILED, error=envelope, error_status=status)

    async def cancel(self, job_id: str) -> bool:
        """Cancel a job that has not finished; ``False`` when it already has."""
        statement = (sa.update(image_jobs).where(image_jobs.c.id == job_id, image_jobs.c.status.in_(OPEN))
                     .values(status=CANCELED, finished_at=time.time(), owner=None))
        return await self._change(statement)

    async def expired(self, now: float) -> list[str]:
        async with self.db.connect() as conn:
            query = sa.select(image_jobs.c.id).where(image_jobs.c.expires_at < now)
            return list((await conn.execute(query)).scalars().all())

    async def delete(self, job_ids: list[str]) -> None:
        async with self.db.begin() as conn:
            await conn.execute(sa.delete(image_jobs).where(image_jobs.c.id.in_(job_ids)))
