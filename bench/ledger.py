"""Ledger figures on SQLite and PostgreSQL: write cost per request, and the 50-concurrent budget test's throughput.

    python bench/ledger.py [--rows 5000] [--settles 500] [--postgres postgresql://postgres@127.0.0.1:5432/test]

1. Batched usage write (unbudgeted keys): ``rows`` usage rows through the background writer; µs per row
   on the request path (handing the row over) and in the background (writing it).
2. Settled request: hold + settle (+ usage row) per request, one after another (budgeted keys), µs each.
3. Budget test: imagegate as a real server against the fake upstream (answering at once), 50 requests in
   flight at a time: 50 at a key whose budget fits 10, 500 at one whose budget fits 100, and 500 at a key
   without a budget for comparison; requests/s.

PostgreSQL runs in a fresh database that is dropped afterwards; it is skipped, saying so, when unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imagegate.ledger import Database, Keys, UsageRecorder, UsageRow
from imagegate.ledger.budget import Budgets, settle
from imagegate.ledger.limits import KeyCreate
from imagegate.ledger.usage import insert
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, openai_env, running

BODY = {"model": "dall-e-2", "prompt": "a cat", "size": "256x256"}  # $0.016


def row(key_id: int, i: int) -> UsageRow:
    return UsageRow(request_id=f"bench-{i}", key_id=key_id, key_name="bench", endpoint="generations",
                    model="dall-e-2", channel="openai", n=1, images=1, size="256x256", quality=None, status=200,
                    latency_ms=1, price_micros=16_000)


async def batched(db: Database, key_id: int, rows: int) -> tuple[float, float]:
    """(µs a request spends handing its row over, µs of background writing per row)."""
    recorder = UsageRecorder(db)
    recorder.start()
    made = [row(key_id, i) for i in range(rows)]
    started = time.perf_counter()
    for r in made:
        recorder.record(r)
    handed = time.perf_counter()
    await recorder.flush()
    written = time.perf_counter()
    await recorder.close()
    return (handed - started) / rows * 1e6, (written - handed) / rows * 1e6


async def settled(db: Database, key_id: int, count: int) -> float:
    budgets = Budgets(db)
    started = time.perf_counter()
    for i in range(count):
        hold = await budgets.reserve(key_id, 16_000, f"bench-{i}")
        assert hold is not None
        async with db.begin() as conn:
            await settle(conn, hold, 16_000, datetime.now(UTC))
            await insert(conn, [row(key_id, i)])
    return (time.perf_counter() - started) / count * 1e6


async def write_costs(url: str, rows: int, settles: int) -> tuple[tuple[float, float], float]:
    db = Database(url)
    try:
        await db.migrate()
        keys = Keys(db)
        plain, _ = await keys.create(KeyCreate(name="plain"))
        budgeted, _ = await keys.create(KeyCreate(name="budgeted", budget_usd=Decimal(1_000_000)))
        return await batched(db, plain.id, rows), await settled(db, budgeted.id, settles)
    finally:
        await db.close()


async def fire(url: str, key: str, count: int, concurrency: int) -> tuple[float, int]:
    """``count`` requests, ``concurrency`` at a time: (requests/s, how many succeeded)."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60,
                                 limits=limits) as http:
        async def one() -> int:
            async with gate:
                return (await http.post("/v1/images/generations", json=BODY)).status_code

        started = time.perf_counter()
        codes = await asyncio.gather(*(one() for _ in range(count)))
    return count / (time.perf_counter() - started), codes.count(200)


def budget_runs(url: str, data_dir: Path, upstream: FakeOpenAI) -> list[tuple[str, float, int]]:
    env = {**openai_env(upstream), "IMAGEGATE_DATABASE_URL": url,
           "IMAGEGATE_KEY_CACHE_TTL": "2"}  # the default; the tests turn the cache off
    results = []
    with running(data_dir, env) as gateway:
        for count, fits in ((50, 10), (500, 100), (500, None)):
            budget = {"budget_usd": str(Decimal("0.016") * fits)} if fits else {}
            response = httpx.post(f"{gateway.url}/admin/keys", headers={"Authorization": f"Bearer {MASTER}"},
                                  json={"name": f"bench-{count}-{fits}", **budget})
            rate, ok = asyncio.run(fire(gateway.url, response.json()["key"], count, 50))
            results.append((f"{count} requests, " + (f"budget fits {fits}" if fits else "no budget"), rate, ok))
    return results


async def create_database(admin_url: str) -> str | None:
    name = f"imagegate_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"POSTGRESQL UNREACHABLE at {admin_url} ({exc}): PostgreSQL figures SKIPPED")
        return None
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def report(backend: str, url: str, args: argparse.Namespace, upstream: FakeOpenAI, directory: Path) -> None:
    (handed_us, batch_us), settle_us = asyncio.run(write_costs(url, args.rows, args.settles))
    print(f"{backend}: ledger write per request: unbudgeted {handed_us:.1f} µs on the request path + "
          f"{batch_us:.1f} µs batched in the background; budgeted (hold + settle) {settle_us:.0f} µs")
    for label, rate, ok in budget_runs(url, directory, upstream):
        print(f"{backend}: {label}: {rate:7.1f} requests/s, {ok} succeeded")


def with_postgres(admin_url: str, work: Callable[[str], None]) -> None:
    name = asyncio.run(create_database(admin_url))
    if name is None:
        return
    try:
        base = admin_url.replace("postgresql://", "postgresql+asyncpg://", 1).rsplit("/", 1)[0]
        work(f"{base}/{name}")
    finally:
        asyncio.run(drop_database(admin_url, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--settles", type=int, default=500)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with FakeOpenAI() as upstream, tempfile.TemporaryDirectory() as tmp:
        sqlite_dir, pg_dir = Path(tmp, "sqlite"), Path(tmp, "postgresql")
        sqlite_dir.mkdir()
        pg_dir.mkdir()
        report("sqlite", f"sqlite+aiosqlite:///{sqlite_dir / 'imagegate.db'}", args, upstream, sqlite_dir)
        with_postgres(args.postgres, lambda url: report("postgresql", url, args, upstream, pg_dir))


if __name__ == "__main__":
    main()
