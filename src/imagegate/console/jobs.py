"""Jobs: async jobs (``Prefer: respond-async``) with status and progress; cancel. The operator sees every
job, a user only their key's (as ``/v1/images/jobs/{id}`` shows a job only to the key that made it)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ..jobs import JobRow
from ..jobs.tables import OPEN
from ..jobs.view import view
from .render import page
from .session import ChangeDep, Session, SessionDep, services_of

router = APIRouter(prefix="/console/jobs", include_in_schema=False)
PAGE_JOBS = 100


def _visible(job: JobRow | None, session: Session) -> bool:
    return job is not None and (session.is_operator or (job.key_id == session.principal.key_id and not job.is_master))


@router.get("")
async def jobs_page(request: Request, session: SessionDep) -> Response:
    jobs = services_of(request).jobs
    if session.is_operator:
        found = await jobs.store.recent(PAGE_JOBS)
    else:
        found = await jobs.store.recent(PAGE_JOBS, session.principal.key_id, is_master=False)
    return page(request, "jobs.html", session, jobs=[(job, view(job, jobs.links)) for job in found], open=OPEN)


@router.post("/{job_id}/cancel")
async def cancel(request: Request, job_id: str, session: ChangeDep) -> Response:
    jobs = services_of(request).jobs
    if _visible(await jobs.store.get(job_id), session):
        await jobs.cancel(job_id)
    return RedirectResponse("/console/jobs", 303)
