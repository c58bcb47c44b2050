"""Where result images live. Routes and the pipeline see only this interface."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(png|jpeg|webp|svg)$")
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}
# Served only as a download in a sandbox: an SVG can carry script, and must never run on the gateway's origin.
ACTIVE_TYPES = frozenset({"image/svg+xml"})


def new_name(ext: str) -> str:
    """An unguessable object name: 144 random bits, URL-safe."""
    return f"{secrets.token_urlsafe(18)}.{ext}"


@dataclass(frozen=True, slots=True)
class StoredObject:
    name: str
    path: Path | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.name.rsplit(".", 1)[1]]


class ResultStore(Protocol):
    async def put(self, data: bytes, ext: str) -> str:
        """Save an image and return its object name."""
        ...

    async def get(self, name: str) -> StoredObject | None:
        """The stored object, or ``None`` when it doesn't exist (or was swept)."""
        ...

    async def sweep(self, max_age: float) -> int:
        """Delete objects older than ``max_age`` seconds; return how many went."""
        ...

    async def probe(self) -> None:
        """Raise when the store can't take a write (the ``storage`` readiness check)."""
        ...
