"""The upstream SSE reader: events split anywhere across chunks, CRLF lines, comments, multi-line data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from imagegate.providers.http import _read_events

STREAM = (b": keep-alive\r\n\r\nevent: image_generation.partial_image\r\ndata: {\"a\": 1}\r\n\r\n"
          b"data: line one\ndata: line two\n\nevent: image_generation.completed\ndata: {\"b64_json\": \"" + b"x" * 5000
          + b"\"}\n\n")


class _Content:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def iter_any(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


class _Response:
    def __init__(self, chunks: list[bytes]) -> None:
        self.content = _Content(chunks)


@pytest.mark.parametrize("size", [1, 7, 64, len(STREAM)])
async def test_events_whatever_the_chunking(size: int) -> None:
    seen: list[tuple[str, str]] = []

    async def on_event(event: str, data: str) -> None:
        seen.append((event, data))

    response: Any = _Response([STREAM[i:i + size] for i in range(0, len(STREAM), size)])
    await _read_events(response, on_event)
    assert seen == [("image_generation.partial_image", '{"a": 1}'), ("message", "line one\nline two"),
                    ("image_generation.completed", '{"b64_json": "' + "x" * 5000 + '"}')]
