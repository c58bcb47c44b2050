"""``/v1/images/*``: parse, validate, hand to :func:`~imagegate.api.deliver.deliver`. Nothing else happens here.

The pipeline runs detached from the connection (:meth:`Gateway.detach`): a client that goes
away mid-request doesn't stop it, so the upstream's images are still stored and billed.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..auth import Principal
from ..billing import IdempotentRequest
from ..fields import coerce
from ..gateway import Gateway
from ..inputs import check_inputs
from ..jobs import Submission
from ..ledger.idempotency import fingerprint
from ..normalise import normalise
from ..schema import (
    CreateImageEditJsonRequest,
    CreateImageEditRequest,
    CreateImageRequest,
    CreateImageVariationRequest,
    ImagesResponse,
    error_responses,
    request_body,
)
from .deliver import deliver
from .deps import AdmittedDep, GatewayDep, IdempotencyKeyDep, RequestIdDep, read_json
from .json_images import read_json_edit
from .uploads import Form, read_form

router = APIRouter(prefix="/v1/images", tags=["images"])
ERRORS = error_responses(400, 401, 403, 404, 409, 413, 429, 502, 503, 504)
MB = 1024 * 1024


@router.post("/generations", response_model=ImagesResponse, responses=ERRORS,
             openapi_extra=request_body((CreateImageRequest, "application/json")))
async def generations(request: Request, gateway: GatewayDep, principal: AdmittedDep, request_id: RequestIdDep,
                      idempotency_key: IdempotencyKeyDep) -> Response:
    raw = await read_json(request)
    webhook_url = raw.pop("webhook_url", None)
    values = coerce("generations", raw)
    spec = gateway.model(values.get("model") or gateway.settings.default_model, principal)
    job = normalise("generations", values, spec)
    idem = IdempotentRequest(idempotency_key, fingerprint("generations", values)) if idempotency_key else None
    sub = Submission("generations", spec.id, values, webhook_url=webhook_url, idem=idem)
    return await deliver(request, gateway, job, sub, principal, request_id)


async def _deliver_form(endpoint: str, default_model: str, form: Form, request: Request, gateway: Gateway,
                        principal: Principal, request_id: str, idempotency_key: str | None) -> Response:
    """Validate a parsed edit or variation and deliver it; the uploads are deleted when it ends."""
    try:
        webhook_url = form.fields.pop("webhook_url", None)
        values = coerce(endpoint, form.fields)
        spec = gateway.model(values.get("model") or default_model, principal)
        if endpoint == "edits" and form.mask is not None:
            spec = gateway.for_mask(spec)
        job = normalise(endpoint, values, spec)
        job.images, job.mask = await check_inputs(endpoint, form.images, form.mask, spec,
                                                  gateway.settings.max_image_pixels)
        idem = None
        if idempotency_key:
            files = [u.path for u in form.images] + ([form.mask.path] if form.mask is not None else [])
            idem = IdempotentRequest(idempotency_key, await asyncio.to_thread(fingerprint, endpoint, values, files))
        sub = Submission(endpoint, spec.id, values, webhook_url=webhook_url, idem=idem)
        return await deliver(request, gateway, job, sub, principal, request_id, form)
    finally:
        asyncio.get_running_loop().run_in_executor(None, form.cleanup)  # unlinking is slow; not on the loop


async def _with_files(endpoint: str, default_model: str, request: Request, gateway: Gateway, principal: Principal,
                      request_id: str, idempotency_key: str | None) -> Response:
    """Multipart (or, for edits, JSON with data URLs) into temp files, then delivered."""
    settings = gateway.settings
    if endpoint == "edits" and request.headers.get("content-type", "").startswith("application/json"):
        form = await read_json_edit(request, max_body=settings.max_body_mb * MB, max_file=settings.max_image_mb * MB)
    else:
        form = await read_form(request, max_body=settings.max_body_mb * MB, max_file=settings.max_image_mb * MB)
    return await _deliver_form(endpoint, default_model, form, request, gateway, principal, request_id,
                               idempotency_key)


@router.post("/edits", response_model=ImagesResponse, responses=ERRORS,
             openapi_extra=request_body((CreateImageEditRequest, "multipart/form-data"),
                                        (CreateImageEditJsonRequest, "application/json")))
async def edits(request: Request, gateway: GatewayDep, principal: AdmittedDep, request_id: RequestIdDep,
                idempotency_key: IdempotencyKeyDep) -> Response:
    default = gateway.settings.default_model
    return await _with_files("edits", default, request, gateway, principal, request_id, idempotency_key)


@router.post("/variations", response_model=ImagesResponse, responses=ERRORS,
             openapi_extra=request_body((CreateImageVariationRequest, "multipart/form-data")))
async def variations(request: Request, gateway: GatewayDep, principal: AdmittedDep, request_id: RequestIdDep,
                     idempotency_key: IdempotencyKeyDep) -> Response:
    return await _with_files("variations", "dall-e-2", request, gateway, principal, request_id, idempotency_key)
