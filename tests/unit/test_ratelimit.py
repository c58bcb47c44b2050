"""The requests-per-minute window: exact counting, Retry-After from the oldest counted request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from imagegate import ratelimit
from imagegate.auth import Principal
from imagegate.errors import RateLimited, ServiceUnavailable
from imagegate.ratelimit import LocalWindow, RateLimiter, RedisWindow

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", fake)
    return fake


def principal(rpm: int | None) -> Principal:
    return Principal(1, "k", key_hash=uuid.uuid4().hex, rpm=rpm)


async def test_local_window_slides(clock: Clock) -> None:
    limiter, who = RateLimiter(LocalWindow()), principal(3)
    for step in (0, 10, 20):
        clock.now = 1000 + step
        await limiter.admit(who)
    clock.now = 1030
    with pytest.raises(RateLimited) as err:
        await limiter.admit(who)
    assert err.value.status == 429 and err.value.code == "rate_limit_exceeded"
    assert err.value.headers["Retry-After"] == "30"  # the request at t=0 leaves the window at t=60
    clock.now = 1060
    await limiter.admit(who)
    with pytest.raises(RateLimited):
        await limiter.admit(who)


async def test_no_rpm_means_no_limit(clock: Clock) -> None:
    limiter, who = RateLimiter(LocalWindow()), principal(None)
    for _ in range(1000):
        await limiter.admit(who)


@pytest.fixture
async def redis_window() -> AsyncIterator[RedisWindow]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        pytest.skip(f"REDIS UNREACHABLE at {REDIS_URL}: {exc}")
    window = RedisWindow(client)
    yield window
    await window.aclose()


async def test_redis_window_is_shared_by_every_limiter(redis_window: RedisWindow) -> None:
    other = RedisWindow.from_url(REDIS_URL)
    who = principal(2)
    try:
        await RateLimiter(redis_window).admit(who)
        await RateLimiter(other).admit(who)
        with pytest.raises(RateLimited) as err:
            await RateLimiter(other).admit(who)
        assert 1 <= int(err.value.headers["Retry-After"]) <= 60
    finally:
        await other.aclose()


async def test_unreachable_redis_is_503() -> None:
    window = RedisWindow.from_url("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(ServiceUnavailable) as err:
            await RateLimiter(window).admit(principal(5))
    finally:
        await window.aclose()
    assert err.value.status == 503 and err.value.code == "rate_limiter_unavailable"
