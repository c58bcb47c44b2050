"""Results on the local disk (the default): one file per image in ``<data_dir>/results``."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from .base import NAME, StoredObject, new_name


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.root / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, self.root / name)

    async def put(self, data: bytes, ext: str) -> str:
        name = new_name(ext)
        await asyncio.to_thread(self._write, name, data)
        return name

    async def get(self, name: str) -> StoredObject | None:
        if not NAME.match(name):
            return None
        path = self.root / name
        return StoredObject(name, path) if path.is_file() else None

    def _sweep(self, max_age: float) -> int:
        cutoff = time.time() - max_age
        removed = 0
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    Path(entry.path).unlink(missing_ok=True)
                    removed += 1
        return removed

    async def sweep(self, max_age: float) -> int:
        return await asyncio.to_thread(self._sweep, max_age)

    def _probe(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            raise OSError(f"the results folder {self.root} is missing or not writable")

    async def probe(self) -> None:
        await asyncio.to_thread(self._probe)
