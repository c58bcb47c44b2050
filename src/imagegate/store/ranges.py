"""``Range: bytes=...`` on a result link (RFC 9110 §14): one range is served as a 206; several ranges (which no
image viewer sends) get the whole image; a range that is malformed or starts past the end is a 416."""

from __future__ import annotations

import re

from ..errors import ApiError

SPEC = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class RangeNotSatisfiable(ApiError):
    status = 416
    type = "invalid_request_error"
    code = "range_not_satisfiable"


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of the one range ``header`` asks for, or ``None`` for the whole object."""
    if header is None or "," in header:
        return None
    match = SPEC.match(header)
    first, last = match.groups() if match else ("", "")
    if first:
        start = int(first)
        end = min(int(last) + 1, size) if last else size
    elif last and int(last) > 0:  # the last N bytes
        start, end = max(size - int(last), 0), size
    else:
        start, end = size, size  # no usable range
    if start >= end:
        raise RangeNotSatisfiable("The requested range is not satisfiable.", param="Range",
                                  headers={"Content-Range": f"bytes */{size}"})
    return start, end
