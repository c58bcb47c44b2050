"""Results on the local disk (the default): one file per image in ``<data_dir>/results``."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from .base import CHUNK, NAME, StoredObject, new_name, unavailable


async def _pieces(handle: anyio.AsyncFile[bytes], start: int, end: int) -> AsyncIterator[bytes]:
    async with handle:
        await handle.seek(start)
        left = end - start
        while left > 0:
            piece = await handle.read(min(CHUNK, left))
            if not piece:
                return
            left -= len(piece)
            yield piece


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.root / f".{name}.tmp"
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.root / name)
        finally:
            tmp.unlink(missing_ok=True)

    async def put(self, data: bytes, ext: str) -> str:
        name = new_name(ext)
        try:
            await asyncio.to_thread(self._write, name, data)
        except OSError as exc:
            raise unavailable() from exc
        return name

    def _head(self, name: str) -> StoredObject | None:
        try:
            stat = (self.root / name).stat()
        except FileNotFoundError:
            return None
        return StoredObject(name, stat.st_size, f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"')

    async def head(self, name: str) -> StoredObject | None:
        return await asyncio.to_thread(self._head, name) if NAME.match(name) else None

    async def open(self, name: str, start: int, end: int) -> AsyncIterator[bytes] | None:
        try:
            handle = await anyio.open_file(self.root / name, "rb") if NAME.match(name) else None
        except FileNotFoundError:
            return None
        return None if handle is None else _pieces(handle, start, end)

    def _delete(self, names: list[str]) -> None:
        for name in names:
            if NAME.match(name):
                (self.root / name).unlink(missing_ok=True)

    async def delete(self, names: list[str]) -> None:
        await asyncio.to_thread(self._delete, names)

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
