"""Where result images live. Routes and the pipeline see only this interface; :mod:`.open` picks the
implementation from ``storage_url``: :mod:`.local` (``file://``, the default) or :mod:`.s3` (``s3://``)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import ServiceUnavailable

NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(png|jpeg|webp|svg)$")
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}
# Served only as a download in a sandbox: an SVG can carry script, and must never run on the gateway's origin.
ACTIVE_TYPES = frozenset({"image/svg+xml"})
CHUNK = 256 * 1024  # bytes per piece of a streamed read


def new_name(ext: str) -> str:
    """An unguessable object name: 144 random bits, URL-safe."""
    return f"{secrets.token_urlsafe(18)}.{ext}"


def content_type(name: str) -> str:
    return CONTENT_TYPES[name.rsplit(".", 1)[1]]


class StorageUnavailable(ServiceUnavailable):
    """The result store failed (unreachable, refused, disk full): the request fails, nothing is charged."""

    code = "storage_unavailable"


def unavailable() -> StorageUnavailable:
    return StorageUnavailable("The result storage is unavailable; nothing was charged. Please retry.")


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a stored image's link serves: its size and a validator that changes if its bytes do."""

    name: str
    size: int
    etag: str

    @property
    def content_type(self) -> str:
        return content_type(self.name)


class ResultStore(Protocol):
    async def put(self, data: bytes, ext: str) -> str:
        """Save an image and return its object name; :class:`StorageUnavailable` if it can't be saved (then
        nothing of it is left)."""
        ...

    async def head(self, name: str) -> StoredObject | None:
        """The stored object, or ``None`` when it doesn't exist (or was swept)."""
        ...

    async def open(self, name: str, start: int, end: int) -> AsyncIterator[bytes] | None:
        """The bytes ``start`` to ``end`` (exclusive), in pieces, without holding the object in memory; ``None``
        if the object is gone. The object is opened (or its download started) before this returns."""
        ...

    async def delete(self, names: list[str]) -> None:
        """Remove objects (missing ones are no error)."""
        ...

    async def sweep(self, max_age: float) -> int:
        """Delete objects older than ``max_age`` seconds; return how many went."""
        ...

    async def probe(self) -> None:
        """Raise when the store can't take a write (the ``storage`` readiness check)."""
        ...


class Mirror(Protocol):
    """Where an async job's uploads also wait, so a worker on another node can run the job (S3 only)."""

    async def keep(self, job_id: str, folder: Path) -> None:
        """Copy every file of ``folder`` to the store; :class:`StorageUnavailable` if it can't (then nothing
        of it is left there)."""
        ...

    async def fetch(self, job_id: str, folder: Path, names: list[str]) -> None:
        """Bring the job's files ``names`` into ``folder`` (those already there are kept)."""
        ...

    async def drop(self, job_id: str) -> None:
        """Remove the job's files from the store."""
        ...
