"""How an admitted request is answered: as an async job (``Prefer: respond-async``), as a stream of
server-sent events (``stream=true``), or as one JSON response.

The pipeline runs detached from the connection (:class:`~imagegate.detach.Detached`): a client that
goes away mid-request doesn't stop it, so the upstream's images are still stored and billed. A
stream or a job takes the request's uploads over and deletes them when it is done with them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.responses import Response

from ..admission import Admitted
from ..auth import Principal
from ..billing import IdempotentRequest
from ..context import current
from ..dispatch import Hooks
from ..errors import InvalidRequest
from ..jobs import Submission
from ..jobs.view import accepted
from ..ledger.idempotency import fingerprint
from ..pipeline import Answer
from ..stream import stream_response
from .deps import (
    BearerDep,
    IdempotencyHeader,
    idempotency_key,
    image_response,
    json_response,
    principal_of,
    services_of,
)
from .uploads import Form

RESPOND_ASYNC = "respond-async"


def prefers_async(prefer: list[str]) -> bool:
    """``Prefer: respond-async`` (RFC 7240; other preferences are ignored)."""
    for header in prefer:
        for preference in header.split(","):
            token, _, value = preference.split(";")[0].partition("=")
            if token.strip().lower() != RESPOND_ASYNC:
                continue
            if value.strip():
                raise InvalidRequest("'respond-async' takes no value: send 'Prefer: respond-async'.",
                                     param="Prefer", code="invalid_value")
            return True
    return False


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asked, and how: the key, the request's id, its Idempotency-Key, whether it asked for an async job,
    and the event set when it disconnects."""

    principal: Principal
    request_id: str
    idempotency_key: str | None
    asynchronous: bool
    gone: asyncio.Event = field(default_factory=asyncio.Event)


PreferHeader = Annotated[list[str] | None, Header(
    description="respond-async: answer 202 with an async job to poll (RFC 7240).")]


async def get_caller(request: Request, _: BearerDep = None, idempotency: IdempotencyHeader = None,
                     prefer: PreferHeader = None) -> Caller:
    """The key (401 without a valid one), once its requests-per-minute window has room (429 with Retry-After),
    then the headers. One dependency, not one each: FastAPI's resolution costs per dependency, per request."""
    principal = await principal_of(request)
    await services_of(request).limiter.admit(principal)
    gone: asyncio.Event = request.state.gone  # set when the client disconnects (see imagegate.api.observe)
    return Caller(principal, current().request_id, idempotency_key(idempotency), prefers_async(prefer or []), gone)


CallerDep = Annotated[Caller, Depends(get_caller)]


def _take_uploads(form: Form | None) -> Callable[[], None] | None:
    """Hand the request's files over to work that may outlive it: it frees them when it ends (on the loop)."""
    if form is None:
        return None
    taken = Form(images=form.images, mask=form.mask, tmpdir=form.tmpdir, budget=form.budget, held=form.held)
    form.tmpdir, form.held = None, 0
    return taken.release


class Delivery:
    def __init__(self, request: Request) -> None:
        services = services_of(request)
        self.pipeline, self.jobs, self.detached = services.pipeline, services.jobs, services.detached
        self.respond_async, self.keepalive = services.settings.respond_async, services.settings.stream_keepalive

    async def __call__(self, admitted: Admitted, caller: Caller, form: Form | None = None) -> Response:
        """Answer the request; a stream or a job takes the uploads over from ``form``."""
        job = admitted.job
        if caller.asynchronous and job.stream:
            raise InvalidRequest("An async job can't stream: leave out stream=true or 'Prefer: respond-async'.",
                                 param="stream", code="invalid_value")
        asynchronous = caller.asynchronous or (self.respond_async and not job.stream)
        webhook_url = admitted.webhook_url
        if webhook_url is not None:
            if not asynchronous:
                raise InvalidRequest("'webhook_url' is for async jobs: send it with 'Prefer: respond-async'.",
                                     param="webhook_url", code="unsupported_parameter")
            webhook_url = await self.jobs.notifier.check(webhook_url)
        idem = await _idempotent(caller, admitted)
        if asynchronous:
            return await self._submit(admitted, caller, idem, webhook_url)
        cleanup = _take_uploads(form)

        async def work(hooks: Hooks) -> Answer:
            try:
                return await self.pipeline.run(job, caller.principal, caller.request_id, idem, hooks)
            finally:
                if cleanup is not None:
                    cleanup()

        if job.stream:
            return stream_response(job, work, caller.gone, self.detached, self.keepalive,
                                   {**admitted.headers, "x-request-id": caller.request_id})
        answer = await self.detached.shielded(work(Hooks(gone=caller.gone)))
        return image_response(answer, caller.request_id, admitted.headers)

    async def _submit(self, admitted: Admitted, caller: Caller, idem: IdempotentRequest | None,
                      webhook_url: str | None) -> Response:
        job = admitted.job
        sub = Submission(job.endpoint, job.spec.id, admitted.values, [i.upload for i in job.images],
                         job.mask.upload if job.mask else None, webhook_url, idem)
        created = await self.jobs.submit(sub, caller.principal)
        response = json_response(accepted(created), status=202)
        response.headers.update({**admitted.headers, "x-request-id": caller.request_id,
                                 "Location": f"/v1/images/jobs/{created.id}", "Preference-Applied": RESPOND_ASYNC})
        return response


async def _idempotent(caller: Caller, admitted: Admitted) -> IdempotentRequest | None:
    """The request's Idempotency-Key with the fingerprint of its fields and files (hashed off the loop)."""
    if not caller.idempotency_key:
        return None
    job = admitted.job
    files = [i.upload.source for i in job.images] + ([job.mask.upload.source] if job.mask is not None else [])
    digest = fingerprint(job.endpoint, admitted.values) if not files else \
        await asyncio.to_thread(fingerprint, job.endpoint, admitted.values, files)
    return IdempotentRequest(caller.idempotency_key, digest)
