"""Reading JSON request bodies: small ones whole, large ones with their long strings on disk.

:func:`read_json` reads a small body (a generation, 2 MB at most) into memory and parses it with
orjson. :func:`read_spilled_json` is for JSON edits, whose images come as base64 data URLs inside
the JSON and can add up to hundreds of MB: the body is split while it streams in. Every string
longer than :data:`LONG_STRING` is checked and unescaped piece by piece (orjson, on pieces cut
between escape sequences) and written to one spill file; the rest of the document, with each long
string replaced by a random placeholder, stays in memory and is parsed by orjson once the body has
ended. Memory stays at a few MB whatever the body's size, and the placeholders tell the caller where
each long string's text is (:class:`SpilledJson`).

The split only has to find where strings start and end: outside a string a ``"`` opens one, inside
a string a ``"`` not escaped by a backslash closes it. Everything else about JSON's grammar is left
to orjson, so a body is rejected with ``invalid_json`` exactly when orjson would reject it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from starlette.requests import Request

from ..errors import InvalidRequest, PayloadTooLarge

MAX_JSON_BYTES = 2 * 1024 * 1024
LONG_STRING = 64 * 1024  # longer strings go to the spill file
SMALL_BODY = 1024 * 1024  # a body declared this small is read whole
WRITE_BATCH = 1024 * 1024  # spilled text is written in batches this large, off the event loop
_BACKSLASH = 0x5C
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge("The JSON body is too large.")


def _not_json() -> InvalidRequest:
    return InvalidRequest("The body is not valid JSON.", code="invalid_json")


def parse_object(body: bytes | bytearray) -> dict[str, Any]:
    """The JSON object in ``body``; ``invalid_json`` if it is not valid JSON or not an object."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _not_json() from None
    if not isinstance(value, dict):
        raise InvalidRequest("The body must be a JSON object.", code="invalid_json")
    return value


async def read_json(request: Request, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The body as a JSON object, read whole: for small bodies (413 past ``limit`` bytes)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise _too_large()
    return parse_object(bytes(chunks))


@dataclass(frozen=True, slots=True)
class Spilled:
    """Where a long string's text (UTF-8) is in the spill file."""

    offset: int
    size: int  # bytes
    chars: int  # characters, as ``len()`` of the string


@dataclass
class SpilledJson:
    """A JSON object whose long strings are placeholders, each a key of ``strings``."""

    value: dict[str, Any]
    path: Path  # the spill file; absent when no string was long
    strings: dict[str, Spilled] = field(default_factory=dict)

    def text(self, placeholder: str) -> str:
        """The long string a placeholder stands for (blocking: read from disk)."""
        where = self.strings[placeholder]
        with self.path.open("rb") as file:
            file.seek(where.offset)
            return file.read(where.size).decode("utf-8")

    def restore(self, value: Any) -> Any:
        """``value`` with every placeholder in it (keys too) replaced by its text (blocking)."""
        if isinstance(value, str):
            return self.text(value) if value in self.strings else value
        if isinstance(value, dict):
            return {self.restore(k): self.restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.restore(v) for v in value]
        return value


def _run_start(data: bytes | bytearray, end: int, floor: int = 0) -> int:
    """Where the run of backslashes that ends just before ``end`` starts (not before ``floor``)."""
    start = end
    while start > floor and data[start - 1] == _BACKSLASH:
        start -= 1
    return start


def _escape_starts_at(data: bytes | bytearray, index: int) -> bool:
    """Whether the backslash at ``index`` starts an escape (``data`` starts between escapes)."""
    return (index - _run_start(data, index)) % 2 == 0


def _utf8_cut(data: bytes | bytearray, end: int) -> int:
    """``end``, or less so that a UTF-8 sequence is not cut in two."""
    for back in range(1, min(4, end) + 1):
        byte = data[end - back]
        if byte < 0x80:
            return end
        if byte >= 0xC0:  # a lead byte: the sequence is 2, 3 or 4 bytes long
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return end - back if back < length else end
    return end


def clean_cut(data: bytes | bytearray) -> int:
    """Where to cut ``data`` (string content that starts between escapes) so that both parts parse alone.

    Escape sequences are 2 or 6 bytes (12 for a surrogate pair), so only the last 12 bytes can hold
    one that is still incomplete: the cut goes before the first backslash there (after it, when it
    is the second of an escaped backslash), then before a high surrogate whose pair it would split;
    with no backslash there, before a UTF-8 sequence that is not complete. At most 19 bytes are left.
    """
    window = max(0, len(data) - 12)
    first = data.find(b"\\", window)
    if first < 0:
        return _utf8_cut(data, len(data))
    cut = first if _escape_starts_at(data, first) else first + 1
    if cut >= 6 and _HIGH_SURROGATE.fullmatch(data, cut - 6, cut) and _escape_starts_at(data, cut - 6):
        cut -= 6
    return cut


def _unescape(piece: bytes) -> tuple[bytes, int]:
    """The text of a piece of string content as UTF-8, and its length in characters.

    ``invalid_json`` if orjson refuses the piece as a string's content.
    """
    try:
        text: str = orjson.loads(b'"' + piece + b'"')
    except orjson.JSONDecodeError:
        raise _not_json() from None
    if len(text) == len(piece):  # no escapes and all ASCII: the piece is its own text
        return piece, len(piece)
    return text.encode(), len(text)


class Splitter:
    """Splits a JSON text, fed in chunks, into a small skeleton and the text of its long strings."""

    def __init__(self, max_skeleton: int = MAX_JSON_BYTES) -> None:
        self.max_skeleton = max_skeleton
        self.skeleton = bytearray()
        self.pending = bytearray()  # spilled text not yet written
        self.strings: dict[str, Spilled] = {}
        self._nonce = secrets.token_hex(16)
        self._spilled = 0  # bytes of text spilled so far
        self._in_string = False
        self._odd_backslashes = False  # the string so far ends with an odd run of backslashes
        self._text = bytearray()  # the current string's content (a short one) or its unspilled tail
        self._long: tuple[int, int, int] | None = None  # offset, bytes, characters of a long string

    def feed(self, chunk: bytes) -> None:
        """The next chunk of the body; ``invalid_json`` for a long string orjson refuses, 413 past the cap."""
        pos = 0
        while pos < len(chunk):
            if not self._in_string:
                quote = chunk.find(b'"', pos)
                self._add_skeleton(chunk[pos:] if quote < 0 else chunk[pos:quote])
                if quote < 0:
                    return
                self._in_string, self._odd_backslashes, pos = True, False, quote + 1
                continue
            end = self._string_end(chunk, pos)
            self._add_text(chunk[pos:] if end < 0 else chunk[pos:end])
            if end < 0:
                return
            self._close_string()
            pos = end + 1

    def finish(self) -> bytearray:
        """The skeleton, once the whole body has been fed (``invalid_json`` if it ends in a string)."""
        if self._in_string:
            raise _not_json()
        return self.skeleton

    def take(self) -> bytearray:
        """The spilled text not yet taken, to be written to the spill file."""
        out, self.pending = self.pending, bytearray()
        return out

    def _add_skeleton(self, data: bytes | bytearray) -> None:
        self.skeleton += data
        if len(self.skeleton) > self.max_skeleton:
            raise _too_large()

    def _string_end(self, chunk: bytes, pos: int) -> int:
        """The index of the quote that closes the current string, or -1 if it goes on past ``chunk``."""
        quote = chunk.find(b'"', pos)
        while quote >= 0:
            start = _run_start(chunk, quote, pos)
            odd = (quote - start) % 2 == 1
            if start == pos and self._odd_backslashes:
                odd = not odd
            if not odd:
                return quote
            quote = chunk.find(b'"', quote + 1)
        return -1

    def _add_text(self, data: bytes) -> None:
        if data:
            start = _run_start(data, len(data))
            run_odd = (len(data) - start) % 2 == 1
            self._odd_backslashes = run_odd != (start == 0 and self._odd_backslashes)
        self._text += data
        if self._long is None and len(self._text) > LONG_STRING:
            self._long = (self._spilled, 0, 0)
        if self._long is not None:
            self._spill(clean_cut(self._text))

    def _spill(self, cut: int) -> None:
        """Check and unescape the first ``cut`` bytes of the long string's tail, and queue its text."""
        assert self._long is not None
        if cut == 0:
            return
        piece = bytes(self._text[:cut])
        del self._text[:cut]
        text, length = _unescape(piece)
        offset, size, chars = self._long
        self._long = offset, size + len(text), chars + length
        self.pending += text
        self._spilled += len(text)

    def _close_string(self) -> None:
        self._in_string = False
        if self._long is None:
            self._add_skeleton(b'"' + self._text + b'"')
        else:
            self._spill(len(self._text))
            placeholder = f"\u0000{self._nonce}:{len(self.strings)}"
            self.strings[placeholder] = Spilled(*self._long)
            self._long = None
            self._add_skeleton(orjson.dumps(placeholder))
        self._text = bytearray()


class _SpillFile:
    """The spill file, opened on the first write; written in a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[bytes] | None = None

    def _write(self, data: bytearray) -> None:
        if self.file is None:
            self.file = self.path.open("wb")
        self.file.write(data)

    async def write(self, data: bytearray) -> None:
        if data:
            await asyncio.to_thread(self._write, data)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


async def read_spilled_json(request: Request, *, limit: int, spill: Path) -> SpilledJson:
    """The body as a JSON object whose long strings are in the file ``spill`` (413 past ``limit`` bytes).

    A body declared at most :data:`SMALL_BODY` long is read whole, with no spill file. Otherwise
    the JSON outside the long strings may be :data:`MAX_JSON_BYTES` at most (413), and a body that
    is not valid JSON is still read to its end, so that one that is also too large is a 413, as it
    would be if it were read whole before being parsed.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()
    if declared.isdigit() and int(declared) <= SMALL_BODY:
        return SpilledJson(await read_json(request, limit), spill)
    splitter, out = Splitter(), _SpillFile(spill)
    received, error = 0, None
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large()
            if error is None:
                try:
                    splitter.feed(chunk)
                except InvalidRequest as exc:
                    error = exc
            if len(splitter.pending) >= WRITE_BATCH:
                await out.write(splitter.take())
        await out.write(splitter.take())
    finally:
        out.close()
    if error is not None:
        raise error
    return SpilledJson(parse_object(splitter.finish()), spill, splitter.strings)
