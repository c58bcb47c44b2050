from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from imagegate.shared import SharedState
from tests.harness import free_port

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def state() -> AsyncIterator[SharedState]:
    """Shared state on the machine's Redis, under a prefix of this test's own (its keys deleted after)."""
    prefix = f"igtest-{uuid.uuid4().hex[:12]}"
    shared = SharedState.from_url(REDIS, prefix, expected_nodes=3)
    yield shared
    assert shared.redis is not None
    async for key in shared.redis.scan_iter(f"{prefix}:*"):
        await shared.redis.delete(key)
    await shared.aclose()


@pytest.fixture
async def gone_state() -> AsyncIterator[SharedState]:
    """Shared state whose Redis is not there (nothing listens on its port)."""
    shared = SharedState.from_url(f"redis://127.0.0.1:{free_port()}/0", "igtest-gone", expected_nodes=3)
    yield shared
    await shared.aclose()


def redis_of(state: SharedState) -> Redis:
    assert state.redis is not None
    return state.redis
