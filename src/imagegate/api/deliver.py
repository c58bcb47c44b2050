"""How a validated request is answered: as an async job (``Prefer: respond-async``), as a stream of
server-sent events (``stream=true``), or as one JSON response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from starlette.responses import Response

from ..auth import Principal
from ..errors import InvalidRequest
from ..gateway import Gateway
from ..jobs import Submission
from ..jobs.view import accepted
from ..normalise import ImageJob
from ..pipeline import Answer
from ..stream import stream_response
from .deps import image_response, json_response
from .uploads import Form

RESPOND_ASYNC = "respond-async"


def prefers_async(request: Request) -> bool:
    """``Prefer: respond-async`` (RFC 7240; other preferences are ignored)."""
    for header in request.headers.getlist("prefer"):
        for preference in header.split(","):
            token, _, value = preference.split(";")[0].partition("=")
            if token.strip().lower() != RESPOND_ASYNC:
                continue
            if value.strip():
                raise InvalidRequest("'respond-async' takes no value: send 'Prefer: respond-async'.",
                                     param="Prefer", code="invalid_value")
            return True
    return False


def _take_uploads(form: Form | None) -> Callable[[], None] | None:
    """Hand the request's temp files over to work that may outlive it: it deletes them when it ends."""
    if form is None or form.tmpdir is None:
        return None
    tmpdir, form.tmpdir = form.tmpdir, None
    return tmpdir.cleanup


async def _until_done(work: Coroutine[Any, Any, Answer], cleanup: Callable[[], None] | None) -> Answer:
    try:
        return await work
    finally:
        if cleanup is not None:
            asyncio.get_running_loop().run_in_executor(None, cleanup)  # unlinking is slow; not on the loop


async def _submit(gateway: Gateway, job: ImageJob, sub: Submission, principal: Principal, request_id: str,
                  form: Form | None) -> Response:
    if form is not None:
        sub.images, sub.mask = [i.upload for i in job.images], job.mask.upload if job.mask else None
    created = await gateway.jobs.submit(sub, principal)
    response = json_response(accepted(created), status=202)
    response.headers.update({"x-request-id": request_id, "Location": f"/v1/images/jobs/{created.id}",
                             "Preference-Applied": RESPOND_ASYNC})
    return response


async def deliver(request: Request, gateway: Gateway, job: ImageJob, sub: Submission, principal: Principal,
                  request_id: str, form: Form | None = None) -> Response:
    """Answer the request; a stream or a job takes the uploads over from ``form``."""
    explicit = prefers_async(request)
    if explicit and job.stream:
        raise InvalidRequest("An async job can't stream: leave out stream=true or 'Prefer: respond-async'.",
                             param="stream", code="invalid_value")
    asynchronous = explicit or (gateway.settings.respond_async and not job.stream)
    if sub.webhook_url is not None:
        if not asynchronous:
            raise InvalidRequest("'webhook_url' is for async jobs: send it with 'Prefer: respond-async'.",
                                 param="webhook_url", code="unsupported_parameter")
        sub.webhook_url = await gateway.jobs.notifier.check(sub.webhook_url)
    if asynchronous:
        return await _submit(gateway, job, sub, principal, request_id, form)
    work = _until_done(gateway.pipeline.run(job, principal, request_id, sub.idem), _take_uploads(form))
    if job.stream:
        return stream_response(job, work, gateway.settings.stream_keepalive, request_id)
    return image_response(await gateway.detach(work), request_id)
