"""``/v1/images/*``: read the body, admit the request, deliver it. Nothing else happens here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..schema import ImagesResponse
from .deliver import CallerDep, DeliveryDep
from .deps import AdmissionDep, SettingsDep, read_json, services_of
from .json_images import read_json_edit
from .openapi import image_responses
from .request_schemas import request_body
from .uploads import Form, read_form

router = APIRouter(prefix="/v1/images", tags=["images"])
MB = 1024 * 1024


@router.post("/generations", response_model=ImagesResponse, responses=image_responses(stream=True),
             openapi_extra=request_body("CreateImageRequest"))
async def generations(request: Request, admission: AdmissionDep, deliver: DeliveryDep, caller: CallerDep) -> Response:
    admitted = await admission.admit("generations", await read_json(request), caller.principal)
    return await deliver(admitted, caller)


async def _read_files(endpoint: str, request: Request, settings: SettingsDep) -> Form:
    """Multipart into memory and temp files (or, for edits, JSON with data URLs into temp files)."""
    if endpoint == "edits" and request.headers.get("content-type", "").startswith("application/json"):
        return await read_json_edit(request, max_body=settings.max_body_mb * MB, max_file=settings.max_image_mb * MB)
    return await read_form(request, max_body=settings.max_body_mb * MB, max_file=settings.max_image_mb * MB,
                           budget=services_of(request).uploads)


async def _with_files(endpoint: str, request: Request, admission: AdmissionDep, deliver: DeliveryDep,
                      caller: CallerDep, settings: SettingsDep) -> Response:
    """Admit and deliver an edit or a variation; the uploads are deleted when the work that owns them ends."""
    form = await _read_files(endpoint, request, settings)
    try:
        admitted = await admission.admit(endpoint, form.fields, caller.principal, form.images, form.mask)
        return await deliver(admitted, caller, form)
    finally:
        form.release()


@router.post("/edits", response_model=ImagesResponse, responses=image_responses(stream=True),
             openapi_extra=request_body("CreateImageEditRequest", "CreateImageEditJsonRequest"))
async def edits(request: Request, admission: AdmissionDep, deliver: DeliveryDep, caller: CallerDep,
                settings: SettingsDep) -> Response:
    return await _with_files("edits", request, admission, deliver, caller, settings)


@router.post("/variations", response_model=ImagesResponse, responses=image_responses(stream=False),
             openapi_extra=request_body("CreateImageVariationRequest"))
async def variations(request: Request, admission: AdmissionDep, deliver: DeliveryDep, caller: CallerDep,
                     settings: SettingsDep) -> Response:
    return await _with_files("variations", request, admission, deliver, caller, settings)
