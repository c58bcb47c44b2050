"""``/v1/images/jobs/{id}``: an async job's state and result, and its cancellation.

A job is visible only to the key that created it; to any other key it does not exist (404).
Result links are signed afresh on every read, so they stay valid as long as the job does.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..auth import Principal
from ..errors import NotFound
from ..jobs import JobRow
from ..jobs.view import view
from ..schema import ImageJob, error_responses
from .deps import JobsDep, PrincipalDep, RequestIdDep, json_response

router = APIRouter(prefix="/v1/images/jobs", tags=["jobs"])
ERRORS = error_responses(401, 404, 503)


def _visible(job: JobRow | None, principal: Principal, job_id: str) -> JobRow:
    if job is None or job.key_id != principal.key_id or job.is_master != principal.is_master:
        raise NotFound(f"No job with id '{job_id}'.", param="id", code="job_not_found")
    return job


@router.get("/{job_id}", response_model=ImageJob, responses=ERRORS)
async def get_job(job_id: str, jobs: JobsDep, principal: PrincipalDep,
                  request_id: RequestIdDep) -> Response:
    job = _visible(await jobs.store.get(job_id), principal, job_id)
    return json_response(view(job, jobs.links), request_id)


@router.delete("/{job_id}", response_model=ImageJob, responses=ERRORS)
async def cancel_job(job_id: str, jobs: JobsDep, principal: PrincipalDep,
                     request_id: RequestIdDep) -> Response:
    """Cancel a job that has not finished; a finished one is returned as it is."""
    _visible(await jobs.store.get(job_id), principal, job_id)
    await jobs.cancel(job_id)
    job = _visible(await jobs.store.get(job_id), principal, job_id)
    return json_response(view(job, jobs.links), request_id)


