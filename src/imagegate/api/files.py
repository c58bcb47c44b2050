"""``/v1/files/images/{name}``: hosted results, reachable with a valid signed link and no API key.

Any node serves any link: the bytes are streamed from the result store (local folder or bucket), never read
whole, with ``Content-Length``, ``ETag`` and single byte ranges (``Range`` → 206, or 416)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Header, Query
from starlette.responses import Response, StreamingResponse

from ..errors import NotFound
from ..schema import error_responses
from ..store.base import ACTIVE_TYPES, ResultStore, StoredObject
from ..store.ranges import byte_range
from .deps import JobsDep, SignerDep, StoreDep

router = APIRouter(prefix="/v1/files", tags=["files"])
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/svg+xml")
# What a link the gateway signed carries; anything else is a 403 (or a 410 once expired).
Expires = Annotated[str, Query(description="When the link expires (Unix time).",
                               json_schema_extra={"pattern": "^[0-9]{1,12}$"})]
Signature = Annotated[str, Query(description="The link's HMAC-SHA256 (hex).",
                                 json_schema_extra={"pattern": "^[0-9a-f]{64}$"})]
Range = Annotated[str | None, Header(alias="Range", description="One byte range, `bytes=first-last`, `bytes=first-` or "
                                                 "`bytes=-suffix`: answered with 206 and `Content-Range`.")]
BINARY = {"schema": {"type": "string", "format": "binary"}}


def _headers(stored: StoredObject, expires: str) -> dict[str, str]:
    max_age = max(0, int(expires) - int(time.time()))
    headers = {"Cache-Control": f"private, max-age={max_age}", "X-Content-Type-Options": "nosniff",
               "ETag": stored.etag, "Accept-Ranges": "bytes"}
    if stored.content_type in ACTIVE_TYPES:  # may carry script: a download, sandboxed, never a page of ours
        headers |= {"Content-Disposition": f'attachment; filename="{stored.name}"',
                    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'"}
    return headers


@router.get("/images/{name}", response_class=StreamingResponse, responses={
    200: {"content": dict.fromkeys(IMAGE_TYPES, BINARY), "description": "The image."},
    206: {"content": dict.fromkeys(IMAGE_TYPES, BINARY), "description": "The requested byte range of the image."},
    **error_responses(403, 404, 410, 416, 503)})
async def image(name: str, signer: SignerDep, store: StoreDep, jobs: JobsDep, expires: Expires = "",
                signature: Signature = "", range_: Range = None) -> Response:
    signer.verify(name, expires, signature)
    source: ResultStore = store
    stored = await store.head(name)
    if stored is None:
        source, stored = jobs.results, await jobs.results.head(name)
    if stored is None:
        raise NotFound("This image no longer exists.", code="file_not_found")
    span = byte_range(range_, stored.size)
    start, end = span or (0, stored.size)
    pieces = await source.open(name, start, end)
    if pieces is None:  # swept since it was looked up
        raise NotFound("This image no longer exists.", code="file_not_found")
    headers = {**_headers(stored, expires), "Content-Length": str(end - start)}
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{stored.size}"
    return StreamingResponse(pieces, status_code=206 if span else 200, media_type=stored.content_type,
                             headers=headers)
