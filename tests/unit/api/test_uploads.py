"""Multipart uploads stay in memory within the per-file and per-process budgets, and go to temp files past them."""

from __future__ import annotations

import asyncio

import pytest

from imagegate.api import uploads
from imagegate.api.uploads import read_form
from imagegate.errors import InvalidRequest
from imagegate.membudget import MemoryBudget

from .fake_requests import pieces, request

BOUNDARY = "uploadsunittest"
MB = 1024 * 1024


def body(*files: tuple[str, bytes]) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n'.encode()]
    for name, data in files:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"\r\n'
                     "Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


async def parse(raw: bytes, budget: MemoryBudget | None, chunk: int = 64 * 1024) -> uploads.Form:
    req = request(pieces(raw, chunk), len(raw), f"multipart/form-data; boundary={BOUNDARY}")
    return await read_form(req, max_body=100 * MB, max_file=25 * MB, budget=budget)


async def test_files_within_the_budget_stay_in_memory_and_are_given_back() -> None:
    first, second = bytes(range(256)) * 1000, b"\x89PNG" * 5000
    budget = MemoryBudget(10 * MB)
    form = await parse(body(("image[]", first), ("mask", second)), budget)
    assert form.fields == {"prompt": "a cat"}
    assert [u.data for u in form.images] == [first] and form.mask is not None and form.mask.data == second
    assert form.tmpdir is None and all(u.path is None for u in [*form.images, form.mask])
    assert budget.held == form.held == len(first) + len(second)
    form.release()
    assert budget.held == 0


async def test_a_file_past_the_budget_goes_to_a_temp_file() -> None:
    small, large = b"a" * 100_000, b"b" * 300_000
    budget = MemoryBudget(200_000)
    form = await parse(body(("image[]", small), ("image[]", large)), budget)
    kept, spilled = form.images
    assert kept.data == small and kept.path is None
    assert spilled.data is None and spilled.path is not None and spilled.path.read_bytes() == large
    assert spilled.read() == large and spilled.size == len(large)
    assert budget.held == len(small)  # what the spilled file had taken was given back when it moved to disk
    folder = spilled.path.parent
    form.release()
    for _ in range(200):  # the temp folder is removed in a worker thread: wait for it (a guard, not a timing assert)
        if not folder.exists():
            break
        await asyncio.sleep(0.05)
    assert budget.held == 0 and not folder.exists()


async def test_a_file_over_the_per_file_size_goes_to_disk_even_with_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "SPOOL_BYTES", 50_000)
    data = b"c" * 120_000
    budget = MemoryBudget(10 * MB)
    form = await parse(body(("image", data)), budget, chunk=10_000)
    (upload,) = form.images
    assert upload.data is None and upload.path is not None and upload.read() == data
    assert budget.held == 0
    form.cleanup()


async def test_without_a_budget_every_small_file_stays_in_memory() -> None:
    form = await parse(body(("image", b"d" * 1000)), None)
    assert form.images[0].data == b"d" * 1000 and form.held == 0


async def test_a_body_that_ends_inside_a_file_is_malformed() -> None:
    raw, budget = body(("image", b"e" * 5000)), MemoryBudget(MB)
    with pytest.raises(InvalidRequest) as info:
        await parse(raw[:-40], budget)
    assert info.value.code == "invalid_multipart"
    assert budget.held == 0  # what the unfinished file held is given back
