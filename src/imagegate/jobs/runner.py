"""How a worker runs a stored job: the request is admitted again (today's catalog, the key's current limits),
its uploads come back from the job's folder, and the pipeline makes the images into the jobs' store and
bills them; the job's result is recorded in the transaction that settles its charge."""

from __future__ import annotations

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from ..admission import Admission
from ..auth import Authenticator
from ..billing import IdempotentRequest
from ..dispatch import Hooks
from ..pipeline import Pipeline, Target
from .service import Jobs
from .store import JobRow
from .worker import JobTasks


class JobRunner:
    def __init__(self, admission: Admission, auth: Authenticator, pipeline: Pipeline, jobs: Jobs) -> None:
        self.admission, self.auth, self.pipeline, self.jobs = admission, auth, pipeline, jobs

    async def __call__(self, job: JobRow, owner: str, tasks: JobTasks) -> None:
        principal = await self.auth.principal_of(job.key_id, job.is_master)
        images, mask = await self.jobs.files.restore(job.id, job.request.get("inputs") or {})
        uploads = images if job.endpoint != "generations" else None
        admitted = await self.admission.admit(job.endpoint, dict(job.request["values"]), principal, uploads, mask)
        idem = IdempotentRequest(**job.request["idem"]) if job.request.get("idem") else None

        async def finish(conn: AsyncConnection, answer: bytes) -> None:
            await self.jobs.store.succeed(conn, job.id, owner, orjson.loads(answer))

        answer = await self.pipeline.run(admitted.job, principal, job.id, idem, Hooks(tasks=tasks),
                                         Target(self.jobs.results, finish, self.jobs.links))
        if answer.replayed:
            await self.jobs.store.replayed(job.id, owner, orjson.loads(answer.content))
