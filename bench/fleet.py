"""A fleet of imagegate nodes on one PostgreSQL database and one Redis: requests/s of one node against several,
RSS per node, how long a channel's cooldown on one node takes to reach the others, and how long the jobs of a
SIGKILLed node take to be finished by the others.

    python bench/fleet.py [--seconds 10] [--concurrency 32] [--nodes 3] [--lease 5]

Needs the machine's PostgreSQL (``IMAGEGATE_TEST_POSTGRES``, default ``postgresql://postgres@127.0.0.1:5432/test``)
and Redis (``--redis``, default ``redis://127.0.0.1:6379/0``; each run uses a prefix of its own). Every node
runs on this machine, so the figures are CPU-bound: three nodes share the cores one node had.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, POSTGRES, Gateway, openai_env, running

BODY = {"model": "dall-e-2", "prompt": "bench", "size": "256x256", "response_format": "b64_json"}
AUTH = {"Authorization": f"Bearer {MASTER}"}


@contextlib.contextmanager
def fleet(nodes: int, upstream: FakeOpenAI, redis_url: str, extra: dict[str, str]) -> Iterator[list[Gateway]]:
    """``nodes`` gateways on one fresh PostgreSQL database and one Redis prefix."""
    env = {**openai_env(upstream), "IMAGEGATE_DATABASE_URL": POSTGRES.new_database(),
           "IMAGEGATE_REDIS_URL": redis_url, "IMAGEGATE_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}", **extra}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        yield [stack.enter_context(running(directory, env)) for directory in _dirs(Path(tmp), nodes)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def load(urls: list[str], seconds: float, concurrency: int) -> tuple[int, int, list[float]]:
    """(answers 200, other answers, latencies): ``concurrency`` clients, spread over ``urls`` in turn."""
    latencies: list[float] = []
    failed = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=AUTH, timeout=60, limits=limits) as client:
        async def worker(index: int) -> None:
            nonlocal failed
            url = urls[index % len(urls)] + "/v1/images/generations"
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await client.post(url, json=BODY)
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failed += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return len(latencies), failed, latencies


def rss_mb(gateway: Gateway) -> float:
    for line in Path(f"/proc/{gateway.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(args: argparse.Namespace, upstream: FakeOpenAI, nodes: int) -> None:
    with fleet(nodes, upstream, args.redis, {}) as gateways:
        urls = [g.url for g in gateways]
        asyncio.run(load(urls, 1.0, args.concurrency))  # warm-up
        ok, failed, latencies = asyncio.run(load(urls, args.seconds, args.concurrency))
        rss = ", ".join(f"{rss_mb(g):.0f}" for g in gateways)
    print(f"  {nodes} node(s): {ok / args.seconds:7.1f} req/s  p50 {percentile(latencies, .5) * 1000:6.1f} ms"
          f"  p95 {percentile(latencies, .95) * 1000:6.1f} ms  non-200 {failed}  RSS MB per node: {rss}")


def channel_state(client: httpx.Client, gateway: Gateway) -> str:
    return str(client.get(f"{gateway.url}/admin/channels/openai").json().get("state"))


def cooldown_propagation(args: argparse.Namespace, upstream: FakeOpenAI) -> None:
    """Node A sees the upstream fail and cools the channel; how long until the other nodes say so too."""
    extra = {"IMAGEGATE_ALLOWED_FAILS": "1", "IMAGEGATE_COOLDOWN": "60", "IMAGEGATE_MAX_ATTEMPTS": "1"}
    with fleet(args.nodes, upstream, args.redis, extra) as gateways, httpx.Client(headers=AUTH, timeout=30) as http:
        first, others = gateways[0], gateways[1:]
        upstream.fail_next("status", count=5, status=500)
        while channel_state(http, first) != "cooling":
            http.post(f"{first.url}/v1/images/generations", json=BODY)
        seen = time.perf_counter()
        waiting = set(range(len(others)))
        while waiting and time.perf_counter() - seen < 5:
            waiting = {i for i in waiting if channel_state(http, others[i]) != "cooling"}
        elapsed = (time.perf_counter() - seen) * 1000
        upstream.reset()
    verdict = f"{elapsed:.0f} ms" if not waiting else f"not seen by {len(waiting)} node(s) after 5 s"
    print(f"  cooldown on node A reaches the other {len(others)} node(s): {verdict}")


def takeover(args: argparse.Namespace, upstream: FakeOpenAI) -> None:
    """Jobs running on node A when it is SIGKILLed: how long until the other nodes have finished them all."""
    extra = {"IMAGEGATE_JOB_LEASE": str(args.lease), "IMAGEGATE_JOB_POLL": "0.2"}
    upstream.fail_next("hang", count=6, delay=120)  # node A's calls hang; the others' answer at once
    with fleet(1, upstream, args.redis, extra) as (first,), httpx.Client(headers=AUTH, timeout=30) as http:
        ids = [http.post(f"{first.url}/v1/images/generations", json=BODY, headers={"Prefer": "respond-async"})
               .json()["id"] for _ in range(6)]
        while len(upstream.image_requests) < len(ids):
            time.sleep(0.02)
        env = {k: v for k, v in first.env.items() if k.startswith(("IMAGEGATE_DATABASE", "IMAGEGATE_REDIS"))}
        with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
            others = [stack.enter_context(running(directory, {**openai_env(upstream), **extra, **env}))
                      for directory in _dirs(Path(tmp), args.nodes - 1)]
            first.process.kill()
            killed = time.perf_counter()
            pending = set(ids)
            while pending and time.perf_counter() - killed < args.lease * 4 + 30:
                pending = {j for j in pending
                           if http.get(f"{others[0].url}/v1/images/jobs/{j}").json()["status"] != "succeeded"}
                time.sleep(0.05)
            elapsed = time.perf_counter() - killed
    upstream.reset()
    verdict = f"{elapsed:.1f} s" if not pending else f"{len(pending)} job(s) unfinished after {elapsed:.0f} s"
    print(f"  {len(ids)} jobs of a SIGKILLed node finished by the others (lease {args.lease:g} s): {verdict}")


def _dirs(root: Path, count: int) -> list[Path]:
    made = [root / f"node{i}" for i in range(count)]
    for directory in made:
        directory.mkdir()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--lease", type=float, default=5.0, help="IMAGEGATE_JOB_LEASE for the takeover run")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    POSTGRES.probe()
    if POSTGRES.error is not None:
        sys.exit(f"PostgreSQL unreachable: {POSTGRES.error}")
    try:
        with FakeOpenAI("sk-bench-fleet") as upstream:
            print(f"dall-e-2 256x256 b64_json, {args.seconds:g} s at concurrency {args.concurrency}")
            for nodes in sorted({1, args.nodes}):
                throughput(args, upstream, nodes)
            cooldown_propagation(args, upstream)
            takeover(args, upstream)
    finally:
        POSTGRES.drop_all()


if __name__ == "__main__":
    main()
