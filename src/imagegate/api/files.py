"""``/v1/files/images/{name}``: hosted results, reachable with a valid signed link and no API key."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import FileResponse, Response

from ..errors import NotFound
from ..schema import error_responses
from ..store.base import ACTIVE_TYPES
from .deps import JobsDep, SignerDep, StoreDep

router = APIRouter(prefix="/v1/files", tags=["files"])
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/svg+xml")
# What a link the gateway signed carries; anything else is a 403 (or a 410 once expired).
Expires = Annotated[str, Query(description="When the link expires (Unix time).",
                               json_schema_extra={"pattern": "^[0-9]{1,12}$"})]
Signature = Annotated[str, Query(description="The link's HMAC-SHA256 (hex).",
                                 json_schema_extra={"pattern": "^[0-9a-f]{64}$"})]


@router.get("/images/{name}", response_class=FileResponse, responses={
    200: {"content": {media: {"schema": {"type": "string", "format": "binary"}} for media in IMAGE_TYPES},
          "description": "The image."},
    **error_responses(403, 404, 410)})
async def image(name: str, signer: SignerDep, store: StoreDep, jobs: JobsDep, expires: Expires = "",
                signature: Signature = "") -> Response:
    signer.verify(name, expires, signature)
    stored = await store.get(name) or await jobs.results.get(name)
    if stored is None or stored.path is None:
        raise NotFound("This image no longer exists.", code="file_not_found")
    max_age = max(0, int(expires) - int(time.time()))
    headers = {"Cache-Control": f"private, max-age={max_age}", "X-Content-Type-Options": "nosniff"}
    if stored.content_type in ACTIVE_TYPES:  # may carry script: a download, sandboxed, never a page of ours
        headers |= {"Content-Disposition": f'attachment; filename="{stored.name}"',
                    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'"}
    return FileResponse(stored.path, media_type=stored.content_type, headers=headers)
