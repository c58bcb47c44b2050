"""Three gateway processes on one PostgreSQL database and one Redis share channel health and upstream caps,
and say so when Redis goes away.

- a channel that starts failing on node A is avoided by B and C within a second, and a key an upstream
  rejects on node C is disabled on A and B as soon;
- a BFL account capped at 6 never sees more than 6 tasks from three nodes of two workers each, and every one
  of 60 concurrent requests is served;
- Redis stopped mid-run: no request fails, every node says ``degraded`` (health answer, metric, log line)
  and serves on its share of the cap; Redis back: every node is ``shared`` again.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.channels import channel, channel_state, metric, write_config
from tests.fakes.bfl_upstream import FakeBFL
from tests.fakes.openai_upstream import FakeOpenAI
from tests.fleet.shared_tools import RedisServer, fleet, generate_all, health, wait_until
from tests.harness import SINGLE_CHANNEL_ENV, Gateway

BFL_MODEL = "flux-kontext-pro"


@pytest.fixture
def bfl() -> Iterator[FakeBFL]:
    with FakeBFL() as fake:
        fake.task_seconds = 0.1
        fake.caps = {None: 6}  # over the cap the fake answers 429, as BFL does, and counts it
        yield fake


def bfl_config(path: Path, fake: FakeBFL) -> Path:
    path.write_text(f'''
[[channels]]
name = "bfl"
provider = "bfl"
base_url = "{fake.origin}"
api_key = "{fake.api_key}"
models = ["{BFL_MODEL}"]
max_concurrency = 6
poll = {{ interval = 0.02, max_interval = 0.05, deadline = 30 }}
''')
    return path


def state_of(gateway: Gateway, name: str) -> str:
    state: str = channel_state(gateway, name)["state"]
    return state


def test_a_channel_failing_on_one_node_is_avoided_by_the_others(tmp_path: Path) -> None:
    with FakeOpenAI() as primary, FakeOpenAI() as backup:
        config = write_config(tmp_path / "imagegate.toml", channel("primary", primary, priority=1),
                              channel("backup", backup), allowed_fails=1, cooldown=60, max_attempts=2,
                              retry_backoff=0.01)
        with fleet(tmp_path, config, {}) as (a, b, c):
            primary.fail_next("status", status=500)
            with a.client() as sdk:
                sdk.images.generate(model="gpt-image-1", prompt="on node A")  # primary fails, backup serves
            assert state_of(a, "primary") == "cooling"
            wait_until(lambda: state_of(b, "primary") == state_of(c, "primary") == "cooling",
                       "nodes B and C to see the primary channel cooling", timeout=1.0)
            served_by_primary = len(primary.image_requests)
            for node in (b, c):
                with node.client() as sdk:
                    sdk.images.generate(model="gpt-image-1", prompt="on another node")
            assert len(primary.image_requests) == served_by_primary
            assert len(backup.image_requests) == 3
            assert channel_state(b, "primary")["reason"] == "failures"

            backup.fail_next("status", status=401)  # the backup's key rejected, seen on node C only
            with c.client() as sdk:
                sdk.images.generate(model="gpt-image-1", prompt="on node C")  # the cooling primary serves
            assert state_of(c, "backup") == "disabled"
            wait_until(lambda: state_of(a, "backup") == state_of(b, "backup") == "disabled",
                       "nodes A and B to see the backup channel disabled", timeout=1.0)
            assert channel_state(a, "backup")["reason"] == "auth"


def test_an_account_cap_holds_across_nodes_and_workers(tmp_path: Path, bfl: FakeBFL) -> None:
    env = {**SINGLE_CHANNEL_ENV, "IMAGEGATE_EXPECTED_NODES": "6"}
    with fleet(tmp_path, bfl_config(tmp_path / "imagegate.toml", bfl), env, workers=2) as nodes:
        errors = generate_all(nodes, 60, BFL_MODEL)
        assert errors == []
        assert len(bfl.submitted()) == 60
        assert bfl.rejected == 0
        assert 1 <= bfl.max_active <= 6


def modes(nodes: list[Gateway]) -> list[Any]:
    return [health(node)["shared_state"] for node in nodes]


def test_a_redis_outage_is_a_stated_mode_and_requests_go_on(tmp_path: Path, bfl: FakeBFL) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        # the gateway's own retries (as configured by default): an upstream 429 while nodes switch to their
        # share is retried, as it would be at any time
        env = {"IMAGEGATE_EXPECTED_NODES": "3", "IMAGEGATE_RETRY_AFTER_MAX": "1", "IMAGEGATE_RETRY_BACKOFF": "0.05"}
        config = bfl_config(tmp_path / "imagegate.toml", bfl)
        with fleet(tmp_path, config, env, redis_url=redis.url) as nodes:
            assert modes(nodes) == ["shared"] * 3
            bfl.held = True  # tasks in flight while Redis goes away
            with ThreadPoolExecutor(1) as pool:
                batch = pool.submit(generate_all, nodes, 12, BFL_MODEL)
                wait_until(lambda: bfl.active >= 6, "six tasks in flight", 30)
                redis.stop()
                wait_until(lambda: modes(nodes) == ["degraded"] * 3, "every node to say degraded", 10)
                bfl.held = False
                assert batch.result(60) == []
            assert all(metric(node, "imagegate_shared_state_degraded") == 1.0 for node in nodes)
            assert all("SHARED STATE DEGRADED" in node.log.read_text() for node in nodes)

            bfl.max_active = bfl.rejected = 0
            assert generate_all(nodes, 30, BFL_MODEL) == []  # each node on its share: 6 / 3 nodes
            assert 1 <= bfl.max_active <= 6
            assert bfl.rejected == 0

            redis.start()
            wait_until(lambda: modes(nodes) == ["shared"] * 3, "every node to be shared again", 10)
            assert all(metric(node, "imagegate_shared_state_degraded") == 0.0 for node in nodes)
            bfl.max_active = bfl.rejected = 0
            assert generate_all(nodes, 18, BFL_MODEL) == []
            assert bfl.max_active <= 6 and bfl.rejected == 0
    finally:
        redis.stop()
