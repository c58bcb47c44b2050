"""What a key may do: its models, its requests per minute (per process, or shared through Redis), its life.

Runs on each ledger backend (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import openai
import pytest
import redis
import sqlalchemy as sa

from imagegate.ledger.tables import api_keys
from tests.harness import Gateway, running

from .ledger_tools import execute, generate, new_key

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_model_outside_the_allow_list_is_403(ledger: Gateway) -> None:
    key, _ = new_key(ledger, models=["dall-e-2"])
    assert generate(ledger, key, model="dall-e-2", size="256x256").status_code == 200
    with ledger.client(key) as client:
        with pytest.raises(openai.PermissionDeniedError) as err:
            client.images.generate(model="gpt-image-1", prompt="p")
        assert [m.id for m in client.models.list()] == ["dall-e-2"]
    assert err.value.body["code"] == "model_not_allowed" and err.value.body["param"] == "model"  # type: ignore[index]
    with ledger.http(key) as http:
        assert http.get("/v1/models/dall-e-3").json()["error"]["code"] == "model_not_allowed"


def test_requests_per_minute_then_429_with_retry_after(ledger: Gateway) -> None:
    key, _ = new_key(ledger, rpm=2)
    assert [generate(ledger, key, model="dall-e-2", size="256x256").status_code for _ in range(2)] == [200, 200]
    refused = generate(ledger, key, model="dall-e-2", size="256x256")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_revoked_and_expired_keys_are_401(ledger: Gateway) -> None:
    revoked, record = new_key(ledger)
    with ledger.http() as http:
        http.delete(f"/admin/keys/{record['id']}")
    expired, other = new_key(ledger, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    past = datetime.now(UTC) - timedelta(minutes=1)
    execute(ledger, sa.update(api_keys).where(api_keys.c.id == other["id"]).values(expires_at=past))
    for key, message in ((revoked, "revoked"), (expired, "expired")):
        response = generate(ledger, key, model="dall-e-2")
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"
        assert message in response.json()["error"]["message"]


@pytest.fixture(scope="module")
def redis_pair(ledger: Gateway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Gateway]]:
    """Two gateway processes on one ledger, sharing rate limits through Redis."""
    try:
        with redis.Redis.from_url(REDIS_URL) as probe:
            probe.ping()
    except (redis.RedisError, OSError) as exc:
        pytest.skip(f"REDIS UNREACHABLE at {REDIS_URL}: {exc}")
    env = {k: v for k, v in ledger.env.items() if k.startswith(("OPENAI_", "IMAGEGATE_DATABASE_URL",
                                                                     "IMAGEGATE_MAX_ATTEMPTS"))}
    env["IMAGEGATE_REDIS_URL"] = REDIS_URL
    with running(tmp_path_factory.mktemp("redis-a"), env) as first, \
            running(tmp_path_factory.mktemp("redis-b"), env) as second:
        yield first, second


def test_redis_shares_the_window_between_processes(redis_pair: tuple[Gateway, Gateway]) -> None:
    first, second = redis_pair
    key, _ = new_key(first, rpm=3)
    codes = [generate(gw, key, model="dall-e-2", size="256x256").status_code
             for gw in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]
