"""Async jobs as the rest of the gateway sees them: submit, look up, cancel, sweep."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from ..auth import Principal
from ..billing import IdempotentRequest
from ..job import Upload
from ..store import Links, ResultStore
from .files import JobFiles
from .outbox import Outbox
from .queue import JobQueue
from .store import JobRow, JobStore, new_id
from .tables import QUEUED
from .webhook import Notifier
from .worker import Worker

log = logging.getLogger("imagegate.jobs")


@dataclass(slots=True)
class Submission:
    endpoint: str
    model: str
    values: dict[str, Any]
    images: list[Upload] = field(default_factory=list)
    mask: Upload | None = None
    webhook_url: str | None = None
    idem: IdempotentRequest | None = None


@dataclass(slots=True)
class Jobs:
    store: JobStore
    results: ResultStore
    files: JobFiles
    queue: JobQueue
    notifier: Notifier
    links: Links
    outbox: Outbox | None = None
    worker: Worker | None = None

    async def submit(self, sub: Submission, principal: Principal) -> JobRow:
        job_id, now = new_id(), time.time()
        request: dict[str, Any] = {"values": sub.values}
        if sub.idem is not None:
            request["idem"] = {"key": sub.idem.key, "digest": sub.idem.digest}
        if sub.images or sub.mask is not None:
            request["inputs"] = await self.files.persist(job_id, sub.images, sub.mask)
        job = JobRow(job_id, principal.key_id, principal.name, principal.is_master, sub.endpoint, sub.model,
                     QUEUED, request, {}, None, None, None, None, sub.webhook_url, now, None,
                     now + self.store.ttl, 0)
        try:
            await self.store.create(job)
        except BaseException:
            await self.files.remove(job_id)  # no job row: nothing would ever remove its uploads
            raise
        await self.queue.push(job_id)
        return job

    async def cancel(self, job_id: str) -> bool:
        canceled = await self.store.cancel(job_id)
        if canceled:
            if self.worker is not None:
                self.worker.abort(job_id)
            await self.files.remove(job_id)
        return canceled

    async def sweep(self) -> int:
        """Delete expired jobs with their inputs, and result images older than a job lives."""
        expired = await self.store.expired(time.time())
        for job_id in expired:
            await self.files.remove(job_id)
        if expired:
            await self.store.delete(expired)
        await self.results.sweep(self.store.ttl)
        return len(expired)

    async def finished(self, job_id: str) -> None:
        """A job reached its end here: its uploads are no longer needed, and its webhook (if any, already in
        the outbox) goes out now."""
        await self.files.remove(job_id)
        if self.outbox is not None:
            self.outbox.wake()
