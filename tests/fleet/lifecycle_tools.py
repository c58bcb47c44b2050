"""Helpers for the node-lifecycle fleet tests: a shared PostgreSQL database and Redis prefix per test, nodes
started on them, requests fired from a thread while a test signals a node, and the ledger read directly."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.helpers import wait_for
from tests.e2e.ledger_tools import query
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, POSTGRES, Gateway, openai_env, start_gateway, stop_gateway

REDIS = "redis://127.0.0.1:6379/0"
BODY = {"model": "dall-e-2", "prompt": "a lighthouse", "size": "256x256"}  # $0.016 an image


@dataclass
class Fleet:
    """Gateway nodes on one PostgreSQL database and one Redis prefix; every node started is stopped at the end."""

    root: Path
    env: dict[str, str]
    nodes: list[Gateway] = field(default_factory=list)

    def start(self, name: str, **extra: str) -> Gateway:
        data_dir = self.root / f"{name}-{uuid.uuid4().hex[:6]}"
        data_dir.mkdir()
        node = start_gateway(data_dir, {**self.env, **extra})
        self.nodes.append(node)
        return node

    def start_many(self, *names: str, **extra: str) -> list[Gateway]:
        """Several nodes, started side by side."""
        with ThreadPoolExecutor(len(names)) as pool:
            return list(pool.map(lambda name: self.start(name, **extra), names))

    def stop_all(self) -> None:
        for node in self.nodes:
            stop_gateway(node)


@contextlib.contextmanager
def fleet(root: Path, upstream: FakeOpenAI, **extra: str) -> Iterator[Fleet]:
    if POSTGRES.error is not None:
        pytest.skip(f"POSTGRESQL UNREACHABLE: {POSTGRES.error}")
    prefix = f"imagegate-lifecycle-{uuid.uuid4().hex[:8]}"
    env = {**openai_env(upstream), "IMAGEGATE_DATABASE_URL": POSTGRES.new_database(), "IMAGEGATE_REDIS_URL": REDIS,
           "IMAGEGATE_REDIS_PREFIX": prefix, "IMAGEGATE_JOB_POLL": "0.1", "IMAGEGATE_MAX_ATTEMPTS": "1",
           "IMAGEGATE_UPSTREAM_TIMEOUT": "60", **extra}
    nodes = Fleet(root, env)
    try:
        yield nodes
    finally:
        nodes.stop_all()
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def kill(node: Gateway) -> None:
    """SIGKILL: no drain, no shutdown, nothing flushed."""
    node.process.send_signal(signal.SIGKILL)
    node.process.wait(10)


def terminate(node: Gateway) -> None:
    os.kill(node.process.pid, signal.SIGTERM)


def in_background(work: Any) -> Future[Any]:
    """Run the coroutine ``work`` on its own event loop in a thread; its result through the future."""
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(asyncio.run(work))
        except BaseException as exc:
            future.set_exception(exc)
    threading.Thread(target=run, daemon=True).start()
    return future


async def fire(urls: list[str], count: int, key: str = MASTER, body: dict[str, Any] | None = None,
               ) -> list[httpx.Response]:
    """``count`` image requests at once, spread over ``urls``, each with its own ``x-request-id``."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        calls = [http.post(f"{urls[i % len(urls)]}/v1/images/generations", json=body or BODY,
                           headers={"x-request-id": f"req-{uuid.uuid4().hex}"}) for i in range(count)]
        return list(await asyncio.gather(*calls))


def upstream_saw(upstream: FakeOpenAI, count: int) -> None:
    wait_for(lambda: len(upstream.image_requests) >= count, f"{count} upstream requests")


def usage_of(node: Gateway, request_ids: list[str]) -> dict[str, list[int]]:
    """Each request id's usage rows' prices."""
    rows = query(node, "SELECT request_id, price_micros FROM usage WHERE request_id = ANY(:ids)", ids=request_ids)
    found: dict[str, list[int]] = {}
    for request_id, price in rows:
        found.setdefault(request_id, []).append(price)
    return found
