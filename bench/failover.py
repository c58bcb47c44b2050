"""Failover under load, and the cost of choosing a channel.

Two fake OpenAI upstreams serve ``gpt-image-1`` as two equal channels. Each answers after
``--delay`` seconds; in the failing scenarios one of them answers 500 to half its requests,
after the same delay (an upstream that works for a while, then fails). The gateway runs as
``imagegate serve`` in its own process, is warmed up with both channels healthy, then
1,000 requests go through it at concurrency 32.

    python bench/failover.py [--requests 1000] [--concurrency 32] [--delay 1.0]

Prints success rate and latency percentiles per scenario, p95 against the healthy case, and
the in-process cost of one channel choice (acquire + release) in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imagegate.health import Health
from imagegate.router import Channel, Router
from tests.e2e.channels import channel, write_config
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, running


@dataclass
class Scenario:
    name: str
    failure_rate: float
    settings: dict[str, object]


SCENARIOS = (
    Scenario("healthy", 0.0, {}),
    Scenario("one channel 50% 500s (defaults)", 0.5, {}),
    Scenario("one channel 50% 500s, cooldown 1 s", 0.5, {"cooldown": 1.0}),
    Scenario("one channel 50% 500s, no cooldown", 0.5, {"allowed_fails": 1_000_000}),
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load(url: str, requests: int, concurrency: int) -> tuple[list[float], int]:
    """Latencies of successful requests, and how many succeeded."""
    latencies: list[float] = []
    todo = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {MASTER}"}, timeout=120,
                                 limits=limits) as client:
        async def worker() -> None:
            for _ in todo:
                started = time.perf_counter()
                response = await client.post("/v1/images/generations",
                                             json={"model": "gpt-image-1", "prompt": "bench", "size": "1024x1024"})
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, len(latencies)


def run(scenario: Scenario, args: argparse.Namespace) -> tuple[float, float, float, float]:
    with FakeOpenAI("sk-bench-a") as steady, FakeOpenAI("sk-bench-b") as flaky, \
            tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp) / "bench.toml", channel("a", steady, ["gpt-image-1"]),
                              channel("b", flaky, ["gpt-image-1"]), **scenario.settings)
        with running(Path(tmp), {}, config) as gateway:
            asyncio.run(load(gateway.url, 2 * args.concurrency, args.concurrency))  # warm-up, both healthy
            for fake in (steady, flaky):
                fake.reset()
                fake.delay = args.delay
            flaky.failure_rate = scenario.failure_rate
            latencies, ok = asyncio.run(load(gateway.url, args.requests, args.concurrency))
        upstream_calls = len(steady.image_requests) + len(flaky.image_requests)
    print(f"  {scenario.name:<38} success {ok / args.requests:7.2%}  p50 {percentile(latencies, .5) * 1000:6.0f} ms"
          f"  p95 {percentile(latencies, .95) * 1000:6.0f} ms  p99 {percentile(latencies, .99) * 1000:6.0f} ms"
          f"  mean {statistics.fmean(latencies) * 1000:6.0f} ms  upstream calls {upstream_calls}")
    return ok / args.requests, percentile(latencies, .5), percentile(latencies, .95), percentile(latencies, .99)


async def choice_cost(channels: int, rounds: int) -> float:
    """Microseconds per acquire + release on an idle router with ``channels`` channels in two tiers."""
    router = Router([Channel(f"c{i}", "openai", "http://u", "k", {"m": "m"}, priority=i % 2, weight=1 + i,
                             health=Health()) for i in range(channels)])
    tiers = router.tiers("m")
    started = time.perf_counter()
    for _ in range(rounds):
        lease = await router.acquire("m", tiers, (), 1e18, 5.0)
        lease.release()
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=1.0, help="upstream latency in seconds")
    args = parser.parse_args()
    print(f"{args.requests} requests at concurrency {args.concurrency}, upstream latency {args.delay * 1000:.0f} ms")
    results = [run(scenario, args) for scenario in SCENARIOS]
    healthy_p95 = results[0][2]
    for scenario, (_, _, p95, _) in zip(SCENARIOS[1:], results[1:], strict=True):
        print(f"  p95 {scenario.name}: {p95 / healthy_p95:.2f}x healthy")
    for size in (2, 8, 32):
        cost = asyncio.run(choice_cost(size, 100_000))
        print(f"  channel choice (acquire + release), {size} channels: {cost:.2f} µs")


if __name__ == "__main__":
    main()
