"""Long-generation figures: imagegate (a real server) in front of fakes that take their time.

1. time to first byte of ``stream=true`` for a generation that takes ``--seconds`` (60 by default): a
   GPT image model streaming two partial images (the first at a third of the time) and a FLUX model
   that can't stream (keep-alive comments every 15 s); the first byte, the first event, the end;
2. jobs per second the queue sustains against an instant fake (in-process queue, then Redis):
   ``--jobs`` async jobs submitted at once, timed until the last has succeeded;
3. memory per 1,000 queued jobs: a gateway without workers takes ``--queued`` jobs; the growth of
   its RSS, of the SQLite file, and of the Redis stream.

Run from the repository root: ``python -m bench.jobs`` (Redis at 127.0.0.1:6379 for the Redis rows).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis

from tests.fakes.bfl_upstream import FakeBFL
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, Gateway, openai_env, running

REDIS = "redis://127.0.0.1:6379/0"
AUTH = {"Authorization": f"Bearer {MASTER}"}


@contextmanager
def gateway(env: dict[str, str]) -> Iterator[Gateway]:
    with tempfile.TemporaryDirectory(prefix="imagegate-bench-") as tmp, running(Path(tmp), env) as gw:
        yield gw


def first_byte(gw: Gateway, body: dict[str, object]) -> tuple[float, float, float]:
    """Seconds to the first byte, to the first event, and to the end of the stream."""
    started = time.perf_counter()
    first = event = 0.0
    with httpx.stream("POST", f"{gw.url}/v1/images/generations", json=body, headers=AUTH, timeout=600) as response:
        for line in response.iter_lines():
            now = time.perf_counter() - started
            first = first or now
            if line.startswith("event: ") and not event:
                event = now
    return first, event, time.perf_counter() - started


def streaming(seconds: float) -> None:
    with FakeOpenAI() as openai_fake, FakeBFL() as bfl:
        openai_fake.stream_gap = seconds / 3
        bfl.pending_polls, bfl.task_seconds = 0, seconds
        env = {**openai_env(openai_fake), "BFL_API_KEY": bfl.api_key, "BFL_BASE_URL": bfl.origin, "FAL_KEY": ""}
        with gateway(env) as gw:
            for label, body in (("gpt-image-1, 2 partials", {"model": "gpt-image-1", "partial_images": 2}),
                                ("flux-kontext-pro (keep-alives)", {"model": "flux-kontext-pro"})):
                ttfb, event, total = first_byte(gw, {**body, "prompt": "bench", "stream": True})
                print(f"stream, {label}, {seconds:g} s generation: first byte {ttfb * 1000:.1f} ms, "
                      f"first event {event:.2f} s, done {total:.2f} s")


async def submit_all(gw: Gateway, count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=gw.url, headers={**AUTH, "Prefer": "respond-async"}, timeout=60,
                                 limits=httpx.Limits(max_connections=32)) as http:
        async def one(i: int) -> str:
            response = await http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": f"j{i}"})
            assert response.status_code == 202, response.text
            return str(response.json()["id"])
        return await asyncio.gather(*(one(i) for i in range(count)))


def count_done(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "imagegate.db") as db:
        return int(db.execute("select count(*) from image_jobs where status = 'succeeded'").fetchone()[0])


def throughput(count: int) -> None:
    with FakeOpenAI() as fake:
        base = {**openai_env(fake), "IMAGEGATE_JOB_WORKERS": "32"}
        for label, extra in (("in-process queue", {}),
                             ("Redis stream", {"IMAGEGATE_REDIS_URL": REDIS,
                                               "IMAGEGATE_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:6]}"})):
            with gateway({**base, **extra}) as gw:
                started = time.perf_counter()
                asyncio.run(submit_all(gw, count))
                submitted = time.perf_counter() - started
                while count_done(gw.data_dir) < count:
                    time.sleep(0.05)
                wall = time.perf_counter() - started
                print(f"jobs, {label}: {count} jobs submitted in {submitted:.2f} s, all succeeded after "
                      f"{wall:.2f} s: {count / wall:.0f} jobs/s")
            if "IMAGEGATE_REDIS_PREFIX" in extra:
                redis.Redis.from_url(REDIS).delete(f"{extra['IMAGEGATE_REDIS_PREFIX']}:jobs")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def checkpointed_size(db: Path) -> int:
    """The database file's size once the write-ahead log is folded into it."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.stat().st_size


def memory(count: int) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    env = {"OPENAI_API_KEY": "sk-unused", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "IMAGEGATE_JOB_WORKERS": "0",
           "IMAGEGATE_REDIS_URL": REDIS, "IMAGEGATE_REDIS_PREFIX": prefix}
    with gateway(env) as gw:
        asyncio.run(submit_all(gw, 50))  # warm up: imports, pools, caches
        db = gw.data_dir / "imagegate.db"
        rss, size = rss_kib(gw.process.pid), checkpointed_size(db)
        asyncio.run(submit_all(gw, count))
        grown = rss_kib(gw.process.pid) - rss
        disk = checkpointed_size(db) - size
        stream = redis.Redis.from_url(REDIS).memory_usage(f"{prefix}:jobs") or 0
    redis.Redis.from_url(REDIS).delete(f"{prefix}:jobs")
    per = 1000 / count
    print(f"memory, {count} queued jobs: gateway RSS +{grown * per / 1024:.1f} MiB per 1,000 (jobs live in the "
          f"database, not in the process), SQLite +{disk * per / 1024:.0f} KiB per 1,000, Redis stream "
          f"{stream * per / 1024:.0f} KiB per 1,000")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the streamed generation takes")
    parser.add_argument("--jobs", type=int, default=1000, help="jobs for the throughput run")
    parser.add_argument("--queued", type=int, default=1000, help="jobs for the memory run")
    args = parser.parse_args()
    streaming(args.seconds)
    throughput(args.jobs)
    memory(args.queued)


if __name__ == "__main__":
    main()
