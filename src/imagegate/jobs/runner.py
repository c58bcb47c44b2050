"""How a worker runs a stored job: the request is validated again against today's catalog, its
uploads come back from the job's folder, and the pipeline makes the images into the jobs' store and
bills them; the job's result is recorded in the transaction that settles its charge."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..billing import IdempotentRequest
from ..inputs import check_inputs
from ..normalise import ImageJob, normalise
from .files import restore
from .store import JobRow
from .worker import Runner

if TYPE_CHECKING:
    from ..gateway import Gateway


async def _image_job(gateway: Gateway, job: JobRow, principal: Principal) -> ImageJob:
    spec = gateway.model(job.model, principal)
    image_job = normalise(job.endpoint, job.request["values"], spec)
    images, mask = restore(job.request.get("inputs") or {}, gateway.jobs.folder(job.id))
    if images or mask is not None:
        image_job.images, image_job.mask = await check_inputs(job.endpoint, images, mask, spec,
                                                              gateway.settings.max_image_pixels)
    return image_job


def runner(gateway: Gateway) -> Runner:
    async def run(job: JobRow, owner: str) -> None:
        principal = await gateway.auth.principal_of(job.key_id, job.is_master)
        image_job = await _image_job(gateway, job, principal)
        idem = IdempotentRequest(**job.request["idem"]) if job.request.get("idem") else None

        async def finish(conn: AsyncConnection, answer: bytes) -> None:
            await gateway.jobs.store.succeed(conn, job.id, owner, orjson.loads(answer))

        answer = await gateway.pipeline.run(image_job, principal, job.id, idem, store=gateway.jobs.results,
                                            finish=finish)
        if answer.replayed:
            await gateway.jobs.store.replayed(job.id, owner, orjson.loads(answer.content))

    return run
