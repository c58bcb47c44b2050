"""Streaming multipart parser: text fields into a dict, files kept in memory (or spilled to temp files),
limits enforced while reading.

A file part stays in memory while it is at most :data:`SPOOL_BYTES` and the process's uploads in
memory stay within their budget (:mod:`imagegate.membudget`); past either,
what was read of it goes to a temp file and the rest follows it there, so a 400 MB edit is never held
in memory. The parse stops with 413 the moment a file or the whole body passes its cap. ``image``,
``image[]`` and ``image[N]`` all mean "one more input image".
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ..errors import InvalidRequest, PayloadTooLarge, unknown
from ..job import Upload
from ..membudget import MemoryBudget

MAX_FIELD_BYTES = 256 * 1024
MAX_FIELDS = 64
MAX_IMAGES = 16
SPOOL_BYTES = 8 * 1024 * 1024  # a file part larger than this goes to a temp file
_IMAGE_FIELD = re.compile(r"^image(\[\d*\])?$")


@dataclass(slots=True)
class Form:
    fields: dict[str, Any] = field(default_factory=dict)
    images: list[Upload] = field(default_factory=list)
    mask: Upload | None = None
    tmpdir: tempfile.TemporaryDirectory[str] | None = None
    budget: MemoryBudget | None = None
    held: int = 0  # bytes of ``budget`` this form's files hold

    def temp_path(self, index: int) -> Path:
        """Where part ``index`` goes on disk (the temp folder is made on first use)."""
        if self.tmpdir is None:
            self.tmpdir = tempfile.TemporaryDirectory(prefix="imagegate-")
        return Path(self.tmpdir.name) / f"part{index}"

    def cleanup(self) -> None:
        """Delete the temp files (blocking)."""
        if self.tmpdir is not None:
            self.tmpdir.cleanup()
            self.tmpdir = None

    def release(self) -> None:
        """Free the files: memory at once, temp files in a worker thread (unlinking is slow). On the event loop."""
        if self.budget is not None:
            self.budget.give(self.held)
            self.held = 0
        if self.tmpdir is not None:
            asyncio.get_running_loop().run_in_executor(None, self.cleanup)


class _Collector:
    """Parser callbacks: route each part to a field buffer or a temp file."""

    def __init__(self, form: Form, max_file: int) -> None:
        self.form = form
        self.max_file = max_file
        self.headers: dict[bytes, bytes] = {}
        self.header_field = b""
        self.header_value = b""
        self.name = ""
        self.buffer = bytearray()
        self.upload: Upload | None = None
        self.file: IO[bytes] | None = None
        self.chunks: list[bytes | memoryview] = []  # the current file part, while it is kept in memory
        self.in_memory = False
        self.in_part = False  # between a part's start and its end

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin, "on_header_field": self.header_field_data,
            "on_header_value": self.header_value_data, "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers, self.buffer, self.upload, self.file = {}, bytearray(), None, None
        self.chunks, self.in_memory, self.in_part = [], False, True

    def header_field_data(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def header_value_data(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = self.header_value = b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        self.upload = self._new_upload(options[b"filename"].decode("utf-8", "replace"))
        self.in_memory = True

    def _new_upload(self, filename: str) -> Upload:
        is_image = _IMAGE_FIELD.match(self.name) is not None
        if not is_image and self.name != "mask":
            raise unknown(self.name)
        if is_image and len(self.form.images) >= MAX_IMAGES:
            raise InvalidRequest(f"At most {MAX_IMAGES} images may be sent.", param="image", code="too_many_images")
        if self.name == "mask" and self.form.mask is not None:
            raise InvalidRequest("Only one mask may be sent.", param="mask")
        content_type = self.headers.get(b"content-type", b"application/octet-stream").decode("latin-1")
        upload = Upload(self.name, filename, content_type)
        if self.name == "mask":
            self.form.mask = upload
        else:
            self.form.images.append(upload)
        return upload

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.upload is None:
            self.buffer += data[start:end]
            if len(self.buffer) > MAX_FIELD_BYTES:
                raise PayloadTooLarge(f"The field '{self.name}' is too large.", param=self.name, code="field_too_large")
            return
        size = end - start
        self.upload.size += size
        if self.upload.size > self.max_file:
            param = "mask" if self.upload.field == "mask" else "image"
            mb = self.max_file // (1024 * 1024)
            raise PayloadTooLarge(f"Each file must be at most {mb} MB.", param=param, code="file_too_large")
        piece = memoryview(data)[start:end] if start or end != len(data) else data  # not copied: joined once
        if self.in_memory and self.upload.size <= SPOOL_BYTES and self._take(size):
            self.chunks.append(piece)
            return
        if self.file is None:
            self._spill()
        assert self.file is not None
        self.file.write(piece)

    def _take(self, size: int) -> bool:
        """Whether ``size`` more bytes may stay in memory (held against the budget if so)."""
        budget = self.form.budget
        if budget is None:
            return True
        if not budget.take(size):
            return False
        self.form.held += size
        return True

    def _spill(self) -> None:
        """Move the part read so far to its temp file; the rest of it goes there too."""
        assert self.upload is not None
        index = len(self.form.images) + (self.form.mask is not None)
        self.upload.path = self.form.temp_path(index)
        self.file = self.upload.path.open("wb")
        kept = sum(len(chunk) for chunk in self.chunks)
        self.file.writelines(self.chunks)
        self.chunks, self.in_memory = [], False
        if self.form.budget is not None:
            self.form.budget.give(kept)
            self.form.held -= kept

    def part_end(self) -> None:
        self.in_part = False
        if self.upload is not None and self.in_memory:
            self.upload.data = b"".join(self.chunks)
            self.chunks = []
            return
        if self.file is not None:
            self.file.close()
            self.file = None
            return
        if len(self.form.fields) >= MAX_FIELDS:
            raise InvalidRequest("Too many form fields.", param=self.name)
        if self.name in self.form.fields:
            raise InvalidRequest(f"The field '{self.name}' was sent more than once.", param=self.name)
        self.form.fields[self.name] = self.buffer.decode("utf-8", "replace")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _boundary(request: Request) -> bytes:
    ctype, options = parse_options_header(request.headers.get("content-type"))
    if ctype != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidRequest("This endpoint takes multipart/form-data.", code="invalid_content_type")
    return options[b"boundary"]


async def read_form(request: Request, *, max_body: int, max_file: int, budget: MemoryBudget | None = None) -> Form:
    """Parse a multipart body into a :class:`Form`, its files in memory as far as ``budget`` allows (all of them
    without one); the caller must ``release()`` it."""
    boundary = _boundary(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_body:
        raise PayloadTooLarge(f"The request body may be at most {max_body // (1024 * 1024)} MB.")
    form = Form(budget=budget)
    collector = _Collector(form, max_file)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_body:
                raise PayloadTooLarge(f"The request body may be at most {max_body // (1024 * 1024)} MB.")
            parser.write(chunk)
        parser.finalize()
        if collector.in_part:
            raise MultipartParseError("the body ends inside a part")
    except Exception as exc:
        collector.close()
        form.release()
        if isinstance(exc, MultipartParseError):
            raise InvalidRequest("The multipart body is malformed.", code="invalid_multipart") from None
        raise
    collector.close()
    return form
