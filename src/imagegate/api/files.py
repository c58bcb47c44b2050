"""``/v1/files/images/{name}``: hosted results, reachable with a valid signed link and no API key."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import FileResponse, Response

from ..errors import NotFound
from ..schema import error_responses
from .deps import JobsDep, SignerDep, StoreDep

router = APIRouter(prefix="/v1/files", tags=["files"])


@router.get("/images/{name}", response_class=FileResponse, responses={
    200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}, "description": "The image."},
    **error_responses(403, 404, 410)})
async def image(name: str, signer: SignerDep, store: StoreDep, jobs: JobsDep, expires: Annotated[str, Query()] = "",
                signature: Annotated[str, Query()] = "") -> Response:
    signer.verify(name, expires, signature)
    stored = await store.get(name) or await jobs.results.get(name)
    if stored is None or stored.path is None:
        raise NotFound("This image no longer exists.", code="file_not_found")
    max_age = max(0, int(expires) - int(time.time()))
    return FileResponse(stored.path, media_type=stored.content_type,
                        headers={"Cache-Control": f"private, max-age={max_age}"})
