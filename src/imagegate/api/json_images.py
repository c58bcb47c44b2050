"""JSON edits (OpenAI's ``images`` / ``mask`` as ``{"image_url": "data:..."}``) into the same temp-file form.

Only base64 data URLs are taken: fetching arbitrary URLs for a client would make the gateway an
open proxy into its own network, and ``file_id`` refers to OpenAI's file store, which we don't have.
"""

from __future__ import annotations

import binascii
import re
import tempfile
from pathlib import Path
from typing import Any

import pybase64

from ..errors import InvalidRequest, PayloadTooLarge
from ..job import Upload
from .uploads import MAX_IMAGES, Form

_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.-]+)*;base64,", re.I)


def _decode(ref: Any, param: str, max_file: int) -> tuple[str, bytes]:
    if not isinstance(ref, dict) or set(ref) - {"image_url", "file_id"}:
        raise InvalidRequest(f"'{param}' must be an object with 'image_url'.", param=param, code="invalid_type")
    if "file_id" in ref:
        raise InvalidRequest("'file_id' references are not supported; send the image as a base64 data URL.",
                             param=param, code="unsupported_value")
    url = ref.get("image_url")
    match = _DATA_URL.match(url) if isinstance(url, str) else None
    if match is None or not isinstance(url, str):
        raise InvalidRequest("Images must be base64 data URLs ('data:image/png;base64,...').", param=param,
                             code="invalid_image_url")
    if (len(url) - match.end()) * 3 // 4 > max_file:
        raise PayloadTooLarge(f"Each file must be at most {max_file // (1024 * 1024)} MB.", param=param,
                              code="file_too_large")
    try:
        data = pybase64.b64decode(url[match.end():], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("The data URL is not valid base64.", param=param, code="invalid_image") from None
    return match.group(1) or "application/octet-stream", data


def _save(form: Form, field: str, content_type: str, data: bytes) -> Upload:
    assert form.tmpdir is not None
    path = Path(form.tmpdir.name) / f"part{len(form.images) + (form.mask is not None)}"
    path.write_bytes(data)
    return Upload(field, field, content_type, path, len(data))


def json_form(body: dict[str, Any], max_file: int) -> Form:
    """A :class:`Form` from a JSON edit body; the caller must ``cleanup()`` it."""
    images = body.pop("images", None)
    mask = body.pop("mask", None)
    if not isinstance(images, list) or not images:
        raise InvalidRequest("Missing required parameter: 'images'.", param="images",
                             code="missing_required_parameter")
    if len(images) > MAX_IMAGES:
        raise InvalidRequest(f"At most {MAX_IMAGES} images may be sent.", param="images", code="too_many_images")
    decoded = [_decode(ref, "images", max_file) for ref in images]
    mask_decoded = _decode(mask, "mask", max_file) if mask is not None else None
    form = Form(fields=body, tmpdir=tempfile.TemporaryDirectory(prefix="imagegate-"))
    try:
        for content_type, data in decoded:
            form.images.append(_save(form, "image", content_type, data))
        if mask_decoded is not None:
            form.mask = _save(form, "mask", *mask_decoded)
    except OSError:
        form.cleanup()
        raise
    return form
