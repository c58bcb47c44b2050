"""Starlette requests whose body comes from an iterable of chunks, as uvicorn would hand it over."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import Message


def request(chunks: Iterable[bytes], length: int | None = None, content_type: str = "application/json") -> Request:
    """A ``POST /v1/images/edits`` with a JSON body (or one of ``content_type``); ``length`` is its Content-Length,
    if any."""
    source = iter(chunks)

    async def receive() -> Message:
        chunk = next(source, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    headers = [(b"content-type", content_type.encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {"type": "http", "method": "POST", "path": "/v1/images/edits", "headers": headers}
    return Request(scope, receive)


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]
