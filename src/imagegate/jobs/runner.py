"""How a worker runs a stored job: the request is validated again against today's catalog, its
uploads come back from the job's folder, and the pipeline makes the images into the jobs' store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..auth import Principal
from ..inputs import check_inputs
from ..ledger import UsageRow
from ..normalise import normalise
from .files import restore
from .store import JobRow
from .worker import Runner

if TYPE_CHECKING:
    from ..gateway import Gateway


def runner(gateway: Gateway) -> Runner:
    async def run(job: JobRow) -> tuple[dict[str, Any], UsageRow]:
        spec = gateway.model(job.model)
        image_job = normalise(job.endpoint, job.request["values"], spec)
        images, mask = restore(job.request.get("inputs") or {}, gateway.jobs.folder(job.id))
        if images or mask is not None:
            image_job.images, image_job.mask = await check_inputs(job.endpoint, images, mask, spec,
                                                                  gateway.settings.max_image_pixels)
        principal = Principal(job.key_id, job.key_name, job.is_master)
        return await gateway.pipeline.produce(image_job, principal, job.id, gateway.jobs.results)

    return run
