"""FLUX fan-out figures: imagegate (a real server) in front of a fake BFL whose tasks take a fixed time.

1. one n=10 flux-kontext-pro generation: all ten tasks should be in flight at once, so the wall
   time is about one task's, not ten;
2. many concurrent n=1 flux-kontext-max requests against BFL's cap of 6 active kontext-max
   tasks: the wall time, and the peak number of tasks the fake saw in flight (never above 6,
   with no 429 refusals).

Polling uses the defaults (0.5 s growing to 3 s), so a task that takes 2 s is seen done at the
poll after it finishes. Run from the repository root: ``python -m bench.flux_fanout``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import openai

from tests.fakes.bfl_upstream import FakeBFL
from tests.harness import MASTER, Gateway, running


async def one_fan_out(gateway: Gateway) -> tuple[float, int]:
    async with openai.AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=MASTER, max_retries=0, timeout=600) as client:
        await client.images.generate(model="flux-kontext-pro", prompt="warm up")
        started = time.perf_counter()
        result = await client.images.generate(model="flux-kontext-pro", prompt="bench", n=10)
        return time.perf_counter() - started, len(result.data)


async def many_requests(gateway: Gateway, count: int) -> tuple[float, int]:
    async with openai.AsyncOpenAI(base_url=f"{gateway.url}/v1", api_key=MASTER, max_retries=0, timeout=600) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(client.images.generate(model="flux-kontext-max", prompt=f"bench {i}")
                                         for i in range(count)))
        return time.perf_counter() - started, sum(len(r.data) for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task-seconds", type=float, default=2.0, help="how long each fake BFL task takes")
    parser.add_argument("--requests", type=int, default=100, help="concurrent n=1 requests in the second run")
    args = parser.parse_args()
    with FakeBFL() as bfl, tempfile.TemporaryDirectory(prefix="imagegate-bench-") as tmp:
        bfl.pending_polls, bfl.task_seconds = 0, args.task_seconds
        bfl.caps = {"flux-kontext-max": 6}
        with running(Path(tmp), {"BFL_API_KEY": bfl.api_key, "BFL_BASE_URL": bfl.origin, "FAL_KEY": ""}) as gateway:
            wall, images = asyncio.run(one_fan_out(gateway))
            print(f"n=10 flux-kontext-pro, tasks of {args.task_seconds:g} s: {wall:.2f} s wall, {images} images, "
                  f"peak {bfl.max_active} tasks in flight")
            bfl.reset()
            bfl.pending_polls, bfl.task_seconds = 0, args.task_seconds
            bfl.caps = {"flux-kontext-max": 6}
            wall, images = asyncio.run(many_requests(gateway, args.requests))
            waves = -(-args.requests // 6)
            print(f"{args.requests} concurrent n=1 flux-kontext-max (cap 6), tasks of {args.task_seconds:g} s: "
                  f"{wall:.2f} s wall ({waves} waves of 6: {wall / waves:.2f} s each), {images} images, "
                  f"peak {bfl.max_by_model['flux-kontext-max']} in flight, {bfl.rejected} refused with 429")


if __name__ == "__main__":
    main()
