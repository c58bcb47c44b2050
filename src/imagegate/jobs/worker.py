"""Job workers inside the gateway process: claim a job, run it under a renewed lease, record it once.

``slots`` jobs run at once. A worker whose lease can't be renewed (the job was canceled, or
another node took it over after a stall) stops that job and records nothing. When the node drains
(SIGTERM) the worker claims nothing new (:meth:`Worker.stop_taking`) and the running jobs get until the
deadline to finish (:meth:`Worker.finish`); those still running at shutdown are handed back: queued
again, with a fresh queue entry, so another node's worker takes them at once. After a crash their
lease simply runs out and any worker takes them, resuming submitted upstream tasks from
:class:`JobTasks`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..context import begin
from ..errors import ApiError
from .queue import JobQueue
from .store import JobLost, JobRow, JobStore

log = logging.getLogger("imagegate.jobs")
Runner = Callable[[JobRow, str, "JobTasks"], Awaitable[None]]  # runs a claimed job; records its success itself
Finished = Callable[[str], Awaitable[None]]
INTERNAL = {"error": {"message": "The job failed inside the gateway.", "type": "server_error", "param": None,
                      "code": "internal_error"}}


class JobTasks:
    """The :class:`~imagegate.providers.base.TaskLog` of one claimed job, written through to its row."""

    def __init__(self, store: JobStore, job: JobRow, owner: str) -> None:
        self.store, self.job_id, self.owner = store, job.id, owner
        self.tasks = dict(job.tasks)
        self.last_progress = job.progress

    def get(self, key: str) -> dict[str, Any] | None:
        return self.tasks.get(key)

    async def submitted(self, key: str, record: dict[str, Any]) -> None:
        self.tasks[key] = record
        await self.store.save_task(self.job_id, self.owner, self.tasks, self.last_progress)

    async def forget(self, key: str) -> None:
        """The task failed: a retry submits a new one."""
        if self.tasks.pop(key, None) is not None:
            await self.store.save_task(self.job_id, self.owner, self.tasks, self.last_progress)

    async def progress(self, value: float) -> None:
        if value != self.last_progress:
            self.last_progress = value
            await self.store.save_task(self.job_id, self.owner, self.tasks, value)


class Worker:
    def __init__(self, store: JobStore, queue: JobQueue, run: Runner, finished: Finished, slots: int,
                 poll: float) -> None:
        self.store, self.queue, self.run, self.finished, self.poll = store, queue, run, finished, poll
        self.slots = asyncio.Semaphore(slots)
        self.running: dict[str, tuple[asyncio.Task[None], str]] = {}
        self.closing = False
        self.taking = True
        self.loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.loop = asyncio.create_task(self._claim_forever(), name="job-worker")

    def abort(self, job_id: str) -> None:
        """Stop a job running here (it was canceled); nothing is recorded for it."""
        if job_id in self.running:
            self.running[job_id][0].cancel()

    async def _hand_back(self, job_id: str) -> None:
        """The queue entry read for ``job_id`` goes back to the queue for any node to take."""
        await self.queue.done(job_id)
        await self.queue.push(job_id)

    async def _claim(self, wait: float) -> tuple[JobRow, str] | None:
        job_id = await self.queue.next(wait)
        if not self.taking:
            if job_id is not None:
                await self._hand_back(job_id)
            return None
        claimed = await self.store.claim(job_id)
        if claimed is None and job_id is not None:
            await self.queue.done(job_id)  # finished, canceled, or running elsewhere
        return claimed

    async def _claim_forever(self) -> None:
        wait = 0.0  # no wait while jobs are waiting; the poll interval once there were none
        while self.taking:
            await self.slots.acquire()
            try:
                claimed = await self._claim(wait)
            except Exception:
                log.exception("claiming a job failed")
                self.slots.release()
                await asyncio.sleep(self.poll)  # the queue's store is down (a Redis outage): try again later
                continue
            if claimed is None:
                self.slots.release()
                wait = self.poll
                continue
            wait = 0.0
            job, owner = claimed
            self.running[job.id] = (asyncio.create_task(self._run(job, owner), name=f"job-{job.id}"), owner)

    async def _keep(self, job_id: str, owner: str, task: asyncio.Task[Any]) -> None:
        """Renew the lease a few times per lease period; stop the job when it is no longer ours."""
        while True:
            await asyncio.sleep(self.store.lease / 3)
            try:
                held = await self.store.renew(job_id, owner)
            except Exception:
                log.exception("renewing a job lease failed", extra={"job": job_id})
                continue
            if not held:
                task.cancel()
                return

    async def _run(self, job: JobRow, owner: str) -> None:
        begin(job.id)
        current = asyncio.current_task()
        assert current is not None
        keeper = asyncio.create_task(self._keep(job.id, owner, current), name=f"job-lease-{job.id}")
        recorded = False
        try:
            recorded = await self._outcome(job, owner)
        except asyncio.CancelledError:
            if self.closing:
                await self.store.release(job.id, owner)
                await self._hand_back(job.id)
                raise
        finally:
            keeper.cancel()
            self.running.pop(job.id, None)
            self.slots.release()
        if recorded:
            try:
                await self.queue.done(job.id)
                await self.finished(job.id)
            except Exception:
                log.exception("after a job ended, tidying up failed", extra={"job": job.id})

    async def _outcome(self, job: JobRow, owner: str) -> bool:
        """Run the job; ``True`` once its end is recorded (its success is recorded by the run itself)."""
        try:
            await self.run(job, owner, JobTasks(self.store, job, owner))
        except JobLost:
            return False
        except ApiError as err:
            return await self.store.fail(job.id, owner, err.status, err.body())
        except Exception:
            log.exception("job failed", extra={"job": job.id})
            return await self.store.fail(job.id, owner, 500, INTERNAL)
        return True

    def stop_taking(self) -> None:
        """Claim no more jobs (the node is draining); jobs already running go on."""
        self.taking = False

    async def finish(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the claim loop to stop and the running jobs to end."""
        waiting = [task for task, _ in self.running.values()] + ([self.loop] if self.loop is not None else [])
        if waiting and timeout > 0:
            await asyncio.wait(waiting, timeout=timeout)
        if self.running:
            log.warning("shutdown: %d jobs still running after the deadline are handed back", len(self.running))

    async def close(self) -> None:
        self.closing = True
        tasks = [task for task, _ in self.running.values()] + ([self.loop] if self.loop is not None else [])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.queue.close()
