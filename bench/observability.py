"""What whole-node metrics and traces cost: ``/metrics`` with one worker and with two (multiprocess mode),
and an image request in-process with tracing off and on (every span kept in memory).

    .venv/bin/python -m bench.observability [--requests 300] [--scrapes 100]

Prints figures; the machine is shared, so compare the rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from imagegate.app import create_app
from imagegate.config import Settings
from imagegate.tracing import Tracing
from tests.fakes.openai_upstream import FakeOpenAI
from tests.fleet.obspack_tools import serving_workers
from tests.harness import MASTER, openai_env, running

BODY = {"model": "dall-e-2", "prompt": "a lighthouse", "response_format": "b64_json", "size": "256x256"}


async def _requests(upstream: FakeOpenAI, tracing: Tracing | None, count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as data:
        app = create_app(Settings(master_key="m", data_dir=Path(data), secret="s"), environ=openai_env(upstream),
                         tracing=tracing)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://g",
                headers={"Authorization": "Bearer m"}) as client:
            times = []
            for _ in range(count + 20):
                started = time.perf_counter()
                assert (await client.post("/v1/images/generations", json=BODY)).status_code == 200
                times.append(time.perf_counter() - started)
    return times[20:]  # warmed up


def _traced() -> Tracing:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    return Tracing(provider)


def _scrapes(url: str, count: int) -> list[float]:
    times = []
    with httpx.Client(headers={"Authorization": f"Bearer {MASTER}"}) as client:
        for _ in range(count):
            started = time.perf_counter()
            assert client.get(f"{url}/metrics").status_code == 200
            times.append(time.perf_counter() - started)
    return times


def _row(name: str, times: list[float]) -> None:
    print(f"{name:<44} median {statistics.median(times) * 1000:7.2f} ms   p90 "
          f"{statistics.quantiles(times, n=10)[-1] * 1000:7.2f} ms   n={len(times)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--scrapes", type=int, default=100)
    options = parser.parse_args()
    with FakeOpenAI() as upstream:
        _row("image request, in-process, tracing off", asyncio.run(_requests(upstream, None, options.requests)))
        _row("image request, in-process, tracing on", asyncio.run(_requests(upstream, _traced(), options.requests)))
        env = {**openai_env(upstream), "IMAGEGATE_JOB_WORKERS": "0"}
        with tempfile.TemporaryDirectory() as one, running(Path(one), env) as gateway:
            _row("/metrics, 1 worker", _scrapes(gateway.url, options.scrapes))
        with tempfile.TemporaryDirectory() as two, serving_workers(Path(two), env, workers=2) as gateway:
            _row("/metrics, 2 workers (multiprocess)", _scrapes(gateway.url, options.scrapes))


if __name__ == "__main__":
    main()
