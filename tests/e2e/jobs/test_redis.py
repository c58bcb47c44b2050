"""With ``IMAGEGATE_REDIS_URL`` jobs go through a Redis stream: a node without workers takes jobs that
another node's workers run; an entry a dead consumer read is taken over by another."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from imagegate.jobs.queue import RedisQueue
from tests.e2e.jobs.helpers import submit, wait
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, openai_env, running

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"imagegate-test-{uuid.uuid4().hex[:8]}"
    yield name
    redis.Redis.from_url(REDIS).delete(f"{name}:jobs")


@pytest.fixture
def nodes(upstream: FakeOpenAI, tmp_path: Path, prefix: str) -> Iterator[tuple[Gateway, Gateway]]:
    shared = {**openai_env(upstream), "IMAGEGATE_REDIS_URL": REDIS, "IMAGEGATE_REDIS_PREFIX": prefix,
              "IMAGEGATE_JOB_POLL": "0.1",
              "IMAGEGATE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"}
    (tmp_path / "front").mkdir()
    (tmp_path / "back").mkdir()
    with running(tmp_path / "front", {**shared, "IMAGEGATE_JOB_WORKERS": "0"}) as front, \
            running(tmp_path / "back", {**shared, "IMAGEGATE_JOB_WORKERS": "2"}) as back:
        yield front, back


def test_jobs_taken_on_one_node_run_on_another(nodes: tuple[Gateway, Gateway], prefix: str,
                                               upstream: FakeOpenAI) -> None:
    front, _ = nodes
    with front.http() as http:
        ids = [submit(http, {"model": "gpt-image-1", "prompt": f"p{i}"})["id"] for i in range(4)]
        done = [wait(http, job_id) for job_id in ids]
    assert [job["status"] for job in done] == ["succeeded"] * 4
    assert all(job["result"]["data"][0]["b64_json"] for job in done)
    assert len(upstream.image_requests) == 4
    client = redis.Redis.from_url(REDIS)
    assert client.xlen(f"{prefix}:jobs") == 0  # every entry acknowledged and removed
    assert client.xpending(f"{prefix}:jobs", "workers")["pending"] == 0


async def test_an_entry_a_dead_consumer_read_is_taken_over(prefix: str) -> None:
    dead, alive = RedisQueue(REDIS, prefix, idle=0.05), RedisQueue(REDIS, prefix, idle=0.05)
    try:
        await dead.start()
        await alive.start()
        await dead.push("imgjob_1")
        assert await dead.next(0.5) == "imgjob_1"  # read, never acknowledged: its node dies
        for _ in range(100):
            taken = await alive.next(0.05)
            if taken is not None:
                break
            await asyncio.sleep(0.01)
        assert taken == "imgjob_1"
        await alive.done("imgjob_1")
        assert await alive.next(0.05) is None
    finally:
        await dead.close()
        await alive.close()
