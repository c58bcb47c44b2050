"""``/v1/images/*``: read the body, admit the request, deliver it. Nothing else happens here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from ..ledger.idempotency import HEADER
from ..schema import ImagesResponse
from .deliver import Caller, CallerDep, Delivery, get_caller
from .deps import read_json, services_of
from .json_images import read_json_edit
from .openapi import image_responses
from .request_schemas import request_body
from .uploads import Form, read_form

MB = 1024 * 1024
Endpoint = Callable[[Request, Caller], Awaitable[Response]]


class ImagesRoute(APIRoute):
    """These routes take the request and its :class:`Caller` only, so they are called with them directly:
    FastAPI's dependency resolution (its documented ``get_route_handler`` hook is replaced) cost more per
    request than anything the routes do before the upstream call. The signatures still declare the
    dependency, so the OpenAPI document lists the security scheme and the headers as before."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            caller = await get_caller(request, None, request.headers.get(HEADER), request.headers.getlist("prefer"))
            return await endpoint(request, caller)

        return handle


router = APIRouter(prefix="/v1/images", tags=["images"], route_class=ImagesRoute)


@router.post("/generations", response_model=ImagesResponse, responses=image_responses(stream=True),
             openapi_extra=request_body("CreateImageRequest"))
async def generations(request: Request, caller: CallerDep) -> Response:
    admitted = await services_of(request).admission.admit("generations", await read_json(request), caller.principal)
    return await Delivery(request)(admitted, caller)


async def _read_files(endpoint: str, request: Request) -> Form:
    """Multipart into memory and temp files (or, for edits, JSON with data URLs into temp files)."""
    services = services_of(request)
    max_body, max_file = services.settings.max_body_mb * MB, services.settings.max_image_mb * MB
    if endpoint == "edits" and request.headers.get("content-type", "").startswith("application/json"):
        return await read_json_edit(request, max_body=max_body, max_file=max_file)
    return await read_form(request, max_body=max_body, max_file=max_file, budget=services.uploads)


async def _with_files(endpoint: str, request: Request, caller: CallerDep) -> Response:
    """Admit and deliver an edit or a variation; the uploads are freed when the work that owns them ends."""
    form = await _read_files(endpoint, request)
    try:
        admitted = await services_of(request).admission.admit(endpoint, form.fields, caller.principal, form.images,
                                                              form.mask)
        return await Delivery(request)(admitted, caller, form)
    finally:
        form.release()


@router.post("/edits", response_model=ImagesResponse, responses=image_responses(stream=True),
             openapi_extra=request_body("CreateImageEditRequest", "CreateImageEditJsonRequest"))
async def edits(request: Request, caller: CallerDep) -> Response:
    return await _with_files("edits", request, caller)


@router.post("/variations", response_model=ImagesResponse, responses=image_responses(stream=False),
             openapi_extra=request_body("CreateImageVariationRequest"))
async def variations(request: Request, caller: CallerDep) -> Response:
    return await _with_files("variations", request, caller)
