"""A streamed request whose client left keeps running detached; SIGTERM waits for it: its usage row is written,
once, before the process exits."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, SINGLE_CHANNEL_ENV, openai_env, start_gateway


@pytest.fixture
def slow_upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.delay = 1.5
        yield fake


def usage_rows(data_dir: Path) -> list[tuple[str, int, int, int]]:
    with sqlite3.connect(data_dir / "imagegate.db") as db:
        return db.execute("SELECT model, status, images, price_micros FROM usage").fetchall()


def test_sigterm_waits_for_a_stream_whose_client_left(slow_upstream: FakeOpenAI, tmp_path: Path) -> None:
    env = {**openai_env(slow_upstream), "IMAGEGATE_STREAM_KEEPALIVE": "0.05", **SINGLE_CHANNEL_ENV}
    gateway = start_gateway(tmp_path, env)
    try:
        body = {"model": "dall-e-2", "prompt": "a slow lighthouse", "stream": True}
        with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {MASTER}"}) as http, \
                http.stream("POST", "/v1/images/generations", json=body, timeout=30) as response:
            assert response.status_code == 200
            first = next(response.iter_bytes())
            assert first.startswith(b":")  # the stream is open: the client now leaves before any image
        gateway.process.terminate()
        assert gateway.process.wait(30) in (0, -15)  # uvicorn re-raises the signal once it has shut down
    finally:
        if gateway.process.poll() is None:
            gateway.process.kill()
    assert len(slow_upstream.image_requests) == 1
    assert usage_rows(tmp_path) == [("dall-e-2", 200, 1, 20_000)]
