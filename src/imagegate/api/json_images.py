"""JSON edits (OpenAI's ``images`` / ``mask`` as ``{"image_url": "data:..."}``) into the same temp-file form.

Only base64 data URLs are taken: fetching arbitrary URLs for a client would make the gateway an
open proxy into its own network, and ``file_id`` refers to OpenAI's file store, which we don't have.

The body is read by :func:`~imagegate.api.bodies.read_spilled_json`, which leaves each long
string (a data URL, in practice) in a spill file; the data URLs are then checked and decoded in a
worker thread, a piece at a time, straight into the temp files, so no image is ever held whole in
memory and the event loop does no decoding or disk writes.
"""

from __future__ import annotations

import asyncio
import binascii
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pybase64
from starlette.requests import Request

from ..errors import InvalidRequest, PayloadTooLarge
from ..job import Upload
from .bodies import Spilled, SpilledJson, read_spilled_json
from .uploads import MAX_IMAGES, Form

_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.-]+)*;base64,", re.I)
HEAD = 64 * 1024  # bytes of a long data URL read to find its header
PIECE = 1024 * 1024  # base64 characters decoded at a time (a multiple of 4)


def _bad_base64(param: str) -> InvalidRequest:
    return InvalidRequest("The data URL is not valid base64.", param=param, code="invalid_image")


def _url(ref: Any, param: str) -> Any:
    """The ``image_url`` of a reference, once its shape is right."""
    if not isinstance(ref, dict) or set(ref) - {"image_url", "file_id"}:
        raise InvalidRequest(f"'{param}' must be an object with 'image_url'.", param=param, code="invalid_type")
    if "file_id" in ref:
        raise InvalidRequest("'file_id' references are not supported; send the image as a base64 data URL.",
                             param=param, code="unsupported_value")
    return ref.get("image_url")


def _header(url: Any, param: str, max_file: int, chars: int | None = None) -> re.Match[str]:
    """The data URL's header; 400 if ``url`` is not a base64 data URL, 413 if its data is too large."""
    match = _DATA_URL.match(url) if isinstance(url, str) else None
    if match is None or not isinstance(url, str):
        raise InvalidRequest("Images must be base64 data URLs ('data:image/png;base64,...').", param=param,
                             code="invalid_image_url")
    if ((len(url) if chars is None else chars) - match.end()) * 3 // 4 > max_file:
        raise PayloadTooLarge(f"Each file must be at most {max_file // (1024 * 1024)} MB.", param=param,
                              code="file_too_large")
    return match


def _save_inline(url: str, match: re.Match[str], param: str, path: Path) -> int:
    try:
        data = pybase64.b64decode(url[match.end():], validate=True)
    except (binascii.Error, ValueError):
        raise _bad_base64(param) from None
    path.write_bytes(data)
    return len(data)


def _decode_to(spill: IO[bytes], length: int, param: str, path: Path) -> int:
    """Decode ``length`` bytes of base64 from ``spill`` into ``path``, a piece at a time; the size written."""
    written = 0
    with path.open("wb") as out:
        while length > 0:
            piece = spill.read(min(PIECE, length))
            if not piece:
                raise OSError("The spill file ended early.")
            length -= len(piece)
            if length > 0 and b"=" in piece:  # padding before the end: as invalid as in one decode
                raise _bad_base64(param)
            try:
                data = pybase64.b64decode(piece, validate=True)
            except (binascii.Error, ValueError):
                raise _bad_base64(param) from None
            out.write(data)
            written += len(data)
    return written


def _save_spilled(body: SpilledJson, where: Spilled, param: str, max_file: int, path: Path) -> tuple[str, int]:
    with body.path.open("rb") as spill:
        spill.seek(where.offset)
        head = spill.read(min(where.size, HEAD)).decode("utf-8", "ignore")  # drops a character cut in two
        match = _header(head, param, max_file, where.chars)
        start = len(head[:match.end()].encode())
        spill.seek(where.offset + start)
        return match.group(1) or "application/octet-stream", _decode_to(spill, where.size - start, param, path)


def _save(form: Form, body: SpilledJson, ref: Any, param: str, max_file: int) -> Upload:
    """Check one image (or the mask) and decode it into the form's next temp file."""
    assert form.tmpdir is not None
    path = Path(form.tmpdir.name) / f"part{len(form.images) + (form.mask is not None)}"
    url = _url(ref, param)
    where = body.strings.get(url) if isinstance(url, str) else None
    if where is not None:
        content_type, size = _save_spilled(body, where, param, max_file, path)
    else:
        match = _header(url, param, max_file)
        content_type, size = match.group(1) or "application/octet-stream", _save_inline(url, match, param, path)
    field = "mask" if param == "mask" else "image"
    return Upload(field, field, content_type, path, size)


def json_form(body: SpilledJson, max_file: int, tmpdir: tempfile.TemporaryDirectory[str]) -> Form:
    """A :class:`Form` from a JSON edit body, its files in ``tmpdir`` (blocking: run it in a thread)."""
    value = body.value
    images = value.pop("images", None)
    mask = value.pop("mask", None)
    if not isinstance(images, list) or not images:
        raise InvalidRequest("Missing required parameter: 'images'.", param="images",
                             code="missing_required_parameter")
    if len(images) > MAX_IMAGES:
        raise InvalidRequest(f"At most {MAX_IMAGES} images may be sent.", param="images", code="too_many_images")
    form = Form(fields=body.restore(value), tmpdir=tmpdir)
    for ref in images:
        form.images.append(_save(form, body, ref, "images", max_file))
    if mask is not None:
        form.mask = _save(form, body, mask, "mask", max_file)
    body.path.unlink(missing_ok=True)
    return form


def _cleanup_when_done(tmpdir: tempfile.TemporaryDirectory[str]) -> Callable[[asyncio.Future[Form]], None]:
    def done(work: asyncio.Future[Form]) -> None:
        if not work.cancelled():
            work.exception()  # nobody waits for it any more
        asyncio.get_running_loop().run_in_executor(None, tmpdir.cleanup)
    return done


async def read_json_edit(request: Request, *, max_body: int, max_file: int) -> Form:
    """A :class:`Form` from a JSON edit request; the caller must ``cleanup()`` it."""
    tmpdir = tempfile.TemporaryDirectory(prefix="imagegate-")
    loop = asyncio.get_running_loop()
    try:
        body = await read_spilled_json(request, limit=max_body, spill=Path(tmpdir.name) / "body")
    except BaseException:
        loop.run_in_executor(None, tmpdir.cleanup)
        raise
    work = loop.run_in_executor(None, json_form, body, max_file, tmpdir)
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        work.add_done_callback(_cleanup_when_done(tmpdir))  # the thread may still be writing files
        raise
    except BaseException:
        loop.run_in_executor(None, tmpdir.cleanup)
        raise
