"""The HTTP client every provider uses: one pooled aiohttp session per channel.

aiohttp rather than httpx: on the gateway's hot path (one JSON POST, a response of up to a few
megabytes) it spends a fraction of httpx's CPU per request (bench/README.md has the figures).
Providers see only :class:`Http` and :class:`Reply`, so the choice stays in this file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from .. import tracing
from ..errors import UpstreamError, UpstreamTimeout

INLINE_BYTES = 8 * 1024 * 1024  # file parts up to this size are sent from memory, larger ones from disk


@dataclass(frozen=True, slots=True)
class FilePart:
    """A multipart file part: bytes in memory, or a file on disk."""

    field: str
    filename: str
    source: Path | bytes
    content_type: str


@dataclass(slots=True)
class Reply:
    """What came back: status, headers, the whole body, and where the request went (never shown to clients):
    the address, the credential it carried, and the vendors' key prefixes, so a message can be scrubbed."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    credential: str = field(default="", repr=False)
    key_prefixes: tuple[str, ...] = field(default=(), repr=False)
    key_patterns: tuple[str, ...] = field(default=(), repr=False)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


OnEvent = Callable[[str, str], Awaitable[None]]


def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, sock_connect=min(seconds, 10.0), sock_read=seconds)


class Http:
    """One connection pool; connect fails fast, a read may wait as long as a slow model takes.

    ``secret_header`` is the header that carries the channel's credential (``Authorization``'s scheme is
    dropped): replies remember its value so that it is never echoed; the key shapes go with them too."""

    def __init__(self, timeout: float, max_connections: int | None = None, *, secret_header: str = "Authorization",
                 key_prefixes: tuple[str, ...] = (), key_patterns: tuple[str, ...] = ()) -> None:
        self.timeout = timeout
        self.max_connections = max_connections or 0
        self.secret_header = secret_header
        self.key_prefixes = key_prefixes
        self.key_patterns = key_patterns
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:  # created lazily: it must belong to the running event loop
            connector = aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=30, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=_timeout(self.timeout),
                                                  json_serialize=lambda v: orjson.dumps(v).decode(),
                                                  auto_decompress=True)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(self, method: str, url: str, *, json: Any = None, content: bytes | None = None,
                      data: dict[str, str] | None = None, files: list[FilePart] | None = None,
                      headers: Mapping[str, str] | None = None, on_event: OnEvent | None = None) -> Reply:
        """Send one request and read the whole answer; transport failures become 502/504 errors.

        With ``on_event``, a 200 ``text/event-stream`` answer is read event by event instead, each handed to
        ``on_event(event, data)`` as it arrives (the reply's body is then empty).
        """
        body: Any = content
        headers = dict(headers or {})
        if json is not None:
            body = orjson.dumps(json)
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        tracing.outgoing(headers)  # the attempt's traceparent, when tracing is on
        secret = headers.get(self.secret_header, "")
        credential = secret.partition(" ")[2] or secret if self.secret_header.lower() == "authorization" else secret
        try:
            with ExitStack() as stack:
                if body is None and (files or data is not None):
                    body = _form(data or {}, files or [], await _payloads(files or [], stack))
                async with self.session.request(method, url, data=body, headers=headers) as response:
                    tracing.answered(response.status)
                    if on_event is not None and response.status == 200 \
                            and response.content_type == "text/event-stream":
                        await _read_events(response, on_event)
                        return Reply(response.status, response.headers, b"", url, credential, self.key_prefixes,
                                     self.key_patterns)
                    content = await response.read()
                    return Reply(response.status, response.headers, content, url, credential, self.key_prefixes,
                                     self.key_patterns)
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise UpstreamTimeout("The upstream did not answer in time.") from None
        except (aiohttp.ClientError, OSError):
            raise UpstreamError("The connection to the upstream failed.", code="upstream_unreachable") from None


async def _read_events(response: aiohttp.ClientResponse, on_event: OnEvent) -> None:
    """Server-sent events as they arrive (lines of any length; comments and ids ignored)."""
    buffer, event, data = bytearray(), "", list[str]()
    async for chunk in response.content.iter_any():
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start:end]).rstrip(b"\r").decode()
            start = end + 1
            if not line:
                if data:
                    await on_event(event or "message", "\n".join(data))
                event, data = "", []
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        del buffer[:start]
    if data:
        await on_event(event or "message", "\n".join(data))


def _load(source: Path | bytes, stack: ExitStack) -> Any:
    if isinstance(source, bytes):
        return source
    return source.read_bytes() if source.stat().st_size <= INLINE_BYTES else stack.enter_context(source.open("rb"))


async def _payloads(files: list[FilePart], stack: ExitStack) -> list[Any]:
    """File parts for one attempt: bytes as they are; files on disk (read again by a retry) in one thread hop,
    small ones as bytes, large ones as open handles that aiohttp streams, so a 400 MB edit is never held in
    memory."""
    if all(isinstance(part.source, bytes) for part in files):
        return [part.source for part in files]
    return await asyncio.to_thread(lambda: [_load(part.source, stack) for part in files])


def _form(data: dict[str, str], files: list[FilePart], payloads: list[Any]) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in data.items():
        form.add_field(name, value)
    for part, payload in zip(files, payloads, strict=True):
        form.add_field(part.field, payload, filename=part.filename, content_type=part.content_type)
    return form
