"""The local result store: put, get (only names it made), and the sweep of old files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from imagegate.store import LocalStore


async def test_local_store_put_get_sweep(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "results")
    name = await store.put(b"\x89PNG...", "png")
    stored = await store.get(name)
    assert stored is not None and stored.path is not None and stored.path.read_bytes() == b"\x89PNG..."
    assert stored.content_type == "image/png"
    assert await store.get("../secret") is None and await store.get("short.png") is None
    old = await store.put(b"old", "jpeg")
    past = time.time() - 7200
    os.utime(tmp_path / "results" / old, (past, past))
    assert await store.sweep(3600) == 1
    assert await store.get(old) is None and await store.get(name) is not None
