"""Whole-node metrics: ``imagegate serve --workers 2`` on PostgreSQL and Redis, driven over real HTTP on fresh
connections so that both workers answer; ``/metrics`` adds up both whichever worker answers the scrape, every
series names the node, and a killed worker's counts stay while its live gauges go."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from imagegate import serving
from tests.e2e.helpers import wait_for
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, POSTGRES, Gateway, openai_env

from .obspack_tools import metrics_dir, samples, serving_workers, worker_pids

REQUESTS = 40
NODE = "node-a"


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def gateway(upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    if POSTGRES.error is not None:
        pytest.skip(f"PostgreSQL unreachable: {POSTGRES.error}")
    env = {**openai_env(upstream), "IMAGEGATE_DATABASE_URL": POSTGRES.new_database(),
           "IMAGEGATE_REDIS_URL": "redis://127.0.0.1:6379/0", "IMAGEGATE_REDIS_PREFIX": f"t-{uuid.uuid4().hex}",
           "IMAGEGATE_NODE_NAME": NODE, "IMAGEGATE_JOB_WORKERS": "0"}
    with serving_workers(tmp_path_factory.mktemp("workers"), env, workers=2) as gw:
        yield gw


def scrape(gateway: Gateway) -> str:
    """``/metrics`` on a new connection (any worker may answer)."""
    response = httpx.get(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {MASTER}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def generate(gateway: Gateway, count: int) -> None:
    """``count`` image requests, 8 at a time, each on a connection of its own."""
    def one(_: int) -> int:
        return httpx.post(f"{gateway.url}/v1/images/generations", headers={"Authorization": f"Bearer {MASTER}"},
                          json={"model": "dall-e-2", "prompt": "a lighthouse", "response_format": "b64_json"},
                          timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(count))) == [200] * count


def answered(text: str) -> float:
    return sum(value for labels, value in samples(text, "imagegate_requests_total")
               if labels["model"] == "dall-e-2" and labels["status"] == "200")


def counting_workers(gateway: Gateway) -> set[int]:
    """The workers that have counted something (each writes its counters to a file of its own)."""
    return {int(name.removeprefix("counter_").removesuffix(".db")) for name in os.listdir(metrics_dir(gateway))
            if name.startswith("counter_")}


def test_metrics_add_up_every_worker_whichever_answers(gateway: Gateway) -> None:
    sent = 0
    # Until two workers have answered (uvicorn may replace a worker that is slow to answer its ping on a busy
    # machine: a replaced worker's counts stay, so "two" is counted over every worker that ran).
    while sent < REQUESTS or len(counting_workers(gateway)) < 2:
        assert sent < 20 * REQUESTS, f"one worker took every connection: {counting_workers(gateway)}"
        generate(gateway, 8)
        sent += 8
    texts = [scrape(gateway) for _ in range(8)]
    assert {answered(text) for text in texts} == {sent}
    assert {sum(v for _, v in samples(text, "imagegate_images_total")) for text in texts} == {sent}
    for text in texts:
        series = [line for line in text.splitlines() if line and not line.startswith("#")]
        assert series and all(f'node="{NODE}"' in line for line in series)
        assert samples(text, "imagegate_channel_in_flight") == [({"channel": "openai", "node": NODE}, 0.0)]


def test_a_killed_workers_counts_stay_and_its_live_gauges_go(gateway: Gateway) -> None:
    before = answered(scrape(gateway))
    generate(gateway, 10)
    # a worker that has made upstream calls, so it has live gauges (in flight)
    victim = min(pid for pid in worker_pids(gateway) if (metrics_dir(gateway) / f"gauge_livesum_{pid}.db").exists())
    live = metrics_dir(gateway) / f"gauge_livesum_{victim}.db"
    os.kill(victim, signal.SIGKILL)
    # Reaped and replaced at the supervisor's next look, or, if the kill came while it waited for the worker's
    # answer to a health check, once that wait runs out (serving.WORKER_HEALTHCHECK).
    wait_for(lambda: victim not in worker_pids(gateway) and len(worker_pids(gateway)) == 2, "a new worker",
             timeout=serving.WORKER_HEALTHCHECK + 30)
    texts = [scrape(gateway) for _ in range(4)]  # the replacement worker answers some of them
    assert {answered(text) for text in texts} == {before + 10}
    assert not live.exists()
