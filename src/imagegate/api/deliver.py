"""How a validated request is answered: as an async job (``Prefer: respond-async``), as a stream of
server-sent events (``stream=true``), or as one JSON response."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from ..auth import Principal
from ..errors import InvalidRequest
from ..gateway import Gateway
from ..jobs import Submission
from ..jobs.view import accepted
from ..normalise import ImageJob
from ..stream import stream_response
from .deps import json_response
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
        if form is not None:
            sub.images, sub.mask = [i.upload for i in job.images], job.mask.upload if job.mask else None
        created = await gateway.jobs.submit(sub, principal)
        headers = {"x-request-id": request_id, "Location": f"/v1/images/jobs/{created.id}",
                   "Preference-Applied": RESPOND_ASYNC}
        response = json_response(accepted(created), status=202)
        response.headers.update(headers)
        return response
    if job.stream:
        tmpdir = None
        if form is not None:
            tmpdir, form.tmpdir = form.tmpdir, None
        cleanup = tmpdir.cleanup if tmpdir is not None else None
        work = gateway.pipeline.run(job, principal, request_id)
        return stream_response(job, work, gateway.settings.stream_keepalive, request_id, cleanup)
    return json_response(await gateway.pipeline.run(job, principal, request_id), request_id)
