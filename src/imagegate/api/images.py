"""``/v1/images/*``: parse, validate, hand to the pipeline, answer. Nothing else happens here."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..fields import coerce
from ..inputs import check_inputs
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
from .deps import GatewayDep, PrincipalDep, RequestIdDep, json_response, read_json
from .json_images import json_form
from .uploads import read_form

router = APIRouter(prefix="/v1/images", tags=["images"])
ERRORS = error_responses(400, 401, 403, 404, 413, 429, 502, 504)
MB = 1024 * 1024


@router.post("/generations", response_model=ImagesResponse, responses=ERRORS,
             openapi_extra=request_body((CreateImageRequest, "application/json")))
async def generations(request: Request, gateway: GatewayDep, principal: PrincipalDep,
                      request_id: RequestIdDep) -> Response:
    values = coerce("generations", await read_json(request))
    spec = gateway.model(values.get("model") or gateway.settings.default_model)
    job = normalise("generations", values, spec)
    return json_response(await gateway.pipeline.run(job, principal, request_id), request_id)


async def _multipart(endpoint: str, default_model: str, request: Request, gateway: GatewayDep,
                     principal: PrincipalDep, request_id: str) -> dict[str, Any]:
    settings = gateway.settings
    if endpoint == "edits" and request.headers.get("content-type", "").startswith("application/json"):
        form = json_form(await read_json(request, settings.max_body_mb * MB), settings.max_image_mb * MB)
    else:
        form = await read_form(request, max_body=settings.max_body_mb * MB, max_file=settings.max_image_mb * MB)
    try:
        values = coerce(endpoint, form.fields)
        spec = gateway.model(values.get("model") or default_model)
        if endpoint == "edits" and form.mask is not None:
            spec = gateway.for_mask(spec)
        job = normalise(endpoint, values, spec)
        job.images, job.mask = await check_inputs(endpoint, form.images, form.mask, spec,
                                                  settings.max_image_pixels)
        return await gateway.pipeline.run(job, principal, request_id)
    finally:
        asyncio.get_running_loop().run_in_executor(None, form.cleanup)  # unlinking is slow; not on the loop


@router.post("/edits", response_model=ImagesResponse, responses=ERRORS,
             openapi_extra=request_body((CreateImageEditRequest, "multipart/form-data"),
                                                       (CreateImageEditJsonRequest, "application/json")))
async def edits(request: Request, gateway: GatewayDep, principal: PrincipalDep,
                request_id: RequestIdDep) -> Response:
    body = await _multipart("edits", gateway.settings.default_model, request, gateway, principal, request_id)
    return json_response(body, request_id)


@router.post("/variations", response_model=ImagesResponse, responses=ERRORS,
             openapi_extra=request_body((CreateImageVariationRequest, "multipart/form-data")))
async def variations(request: Request, gateway: GatewayDep, principal: PrincipalDep,
                     request_id: RequestIdDep) -> Response:
    body = await _multipart("variations", "dall-e-2", request, gateway, principal, request_id)
    return json_response(body, request_id)
