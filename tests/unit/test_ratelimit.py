"""The requests-per-minute window: exact counting, Retry-After from the oldest counted request."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from imagegate.auth import Principal
from imagegate.errors import RateLimited, ServiceUnavailable
from imagegate.ratelimit import LocalWindow, RateLimiter, RedisWindow
from tests.factories import Clock

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Fake wall-clock time: the window stamps requests with ``time.time()``."""
    fake = Clock(1_000_000.0)
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
async def local() -> AsyncIterator[LocalWindow]:
    window = LocalWindow()
    yield window
    await window.aclose()


def principal(rpm: int | None, key_hash: str | None = None) -> Principal:
    return Principal(1, "k", key_hash=key_hash or uuid.uuid4().hex, rpm=rpm)


async def test_local_window_slides(clock: Clock, local: LocalWindow) -> None:
    limiter, who, start = RateLimiter(local), principal(3), clock.now
    for step in (0, 10, 20):
        clock.now = start + step
        await limiter.admit(who)
    clock.now = start + 30
    with pytest.raises(RateLimited) as err:
        await limiter.admit(who)
    assert err.value.status == 429 and err.value.code == "rate_limit_exceeded"
    assert err.value.headers["Retry-After"] == "30"  # the request at t=0 leaves the window at t=60
    clock.now = start + 59.5
    with pytest.raises(RateLimited) as err:
        await limiter.admit(who)
    assert err.value.headers["Retry-After"] == "1"  # half a second, rounded up
    clock.now = start + 60.5
    await limiter.admit(who)
    with pytest.raises(RateLimited) as err:
        await limiter.admit(who)
    assert err.value.headers["Retry-After"] == "10"  # now the request at t=10 is the oldest


async def test_refused_requests_are_not_counted(clock: Clock, local: LocalWindow) -> None:
    limiter, who, start = RateLimiter(local), principal(1), clock.now
    await limiter.admit(who)
    for step in range(1, 60, 5):
        clock.now = start + step
        with pytest.raises(RateLimited):
            await limiter.admit(who)
    clock.now = start + 61
    await limiter.admit(who)


async def test_keys_have_their_own_windows(clock: Clock, local: LocalWindow) -> None:
    limiter, first, second = RateLimiter(local), principal(1), principal(1)
    await limiter.admit(first)
    await limiter.admit(second)
    with pytest.raises(RateLimited):
        await limiter.admit(first)


async def test_a_changed_rpm_keeps_the_window(clock: Clock, local: LocalWindow) -> None:
    limiter, key = RateLimiter(local), uuid.uuid4().hex
    for _ in range(2):
        await limiter.admit(principal(5, key))
    with pytest.raises(RateLimited):
        await limiter.admit(principal(2, key))  # lowered to 2: the two requests already made count
    await limiter.admit(principal(3, key))


async def test_no_rpm_means_no_limit(clock: Clock, local: LocalWindow) -> None:
    limiter, who = RateLimiter(local), principal(None)
    for _ in range(1000):
        await limiter.admit(who)


@pytest.fixture
async def redis_window() -> AsyncIterator[RedisWindow]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        pytest.skip(f"REDIS UNREACHABLE at {REDIS_URL}: {exc}")
    finally:
        await client.aclose()
    window = RedisWindow.from_url(REDIS_URL)
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


async def test_redis_window_slides(redis_window: RedisWindow, clock: Clock) -> None:
    limiter, who, start = RateLimiter(redis_window), principal(2), clock.now
    await limiter.admit(who)
    clock.now = start + 20
    await limiter.admit(who)
    clock.now = start + 45
    with pytest.raises(RateLimited) as err:
        await limiter.admit(who)
    assert err.value.headers["Retry-After"] == "15"
    clock.now = start + 61
    await limiter.admit(who)


async def test_unreachable_redis_is_503() -> None:
    window = RedisWindow.from_url("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(ServiceUnavailable) as err:
            await RateLimiter(window).admit(principal(5))
    finally:
        await window.aclose()
    assert err.value.status == 503 and err.value.code == "rate_limiter_unavailable"
