"""The local result store: put, head and ranged reads (only names it made), delete, the sweep of old files,
and a write that fails leaving nothing behind."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest

from imagegate.store import LocalStore, StorageUnavailable, local


async def read_all(store: LocalStore, name: str, start: int, end: int) -> bytes:
    pieces = await store.open(name, start, end)
    assert pieces is not None
    return b"".join([piece async for piece in pieces])


async def test_local_store_put_head_read_sweep(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "results")
    name = await store.put(b"\x89PNG...", "png")
    stored = await store.head(name)
    assert stored is not None and stored.size == 7 and stored.etag.startswith('"')
    assert stored.content_type == "image/png"
    assert await read_all(store, name, 0, 7) == b"\x89PNG..." and await read_all(store, name, 1, 4) == b"PNG"
    assert await store.head("../secret") is None and await store.head("short.png") is None
    old = await store.put(b"old", "jpeg")
    past = time.time() - 7200
    os.utime(tmp_path / "results" / old, (past, past))
    assert await store.sweep(3600) == 1
    assert await store.head(old) is None and await store.head(name) is not None
    assert await store.open(old, 0, 3) is None and await store.open("../results", 0, 1) is None


async def test_delete_removes_only_its_names(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "results")
    kept, gone = await store.put(b"a", "png"), await store.put(b"b", "png")
    (tmp_path / "secret").write_text("x")
    await store.delete([gone, "../secret", "missing-name-of-twenty.png"])
    assert await store.head(gone) is None and await store.head(kept) is not None
    assert (tmp_path / "secret").exists()


async def test_a_failed_write_is_storage_unavailable_and_leaves_nothing(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore(tmp_path / "results")

    def disk_full(src: Path, dst: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(local.os, "replace", disk_full)
    with pytest.raises(StorageUnavailable) as err:
        await store.put(b"data", "png")
    assert err.value.status == 503 and err.value.code == "storage_unavailable"
    assert list((tmp_path / "results").iterdir()) == []  # the temp file went too
