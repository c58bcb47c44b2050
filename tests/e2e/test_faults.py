"""Faults driven from inside the process: a request cancelled mid-way, the database going away mid-request.

The gateway runs in-process (the ASGI app behind ``httpx.ASGITransport``, lifespan and all) against
the real fake upstream, on each ledger backend.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from imagegate.app import create_app
from imagegate.bootstrap import Services as Gateway
from imagegate.config import Settings
from imagegate.ledger.limits import KeyCreate
from imagegate.ledger.tables import api_keys, reservations, usage
from tests.factories import break_database
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import openai_env

UNREACHABLE = "postgresql+asyncpg://nobody:secret@127.0.0.1:1/none"


@dataclass
class Running:
    gateway: Gateway
    client: httpx.AsyncClient
    key: str
    key_id: int


@pytest.fixture
async def running(db_url: str, tmp_path: Path, upstream: FakeOpenAI) -> AsyncIterator[Running]:
    settings = Settings(master_key="master", data_dir=tmp_path, database_url=db_url, secret="s", key_cache_ttl=0,
                        upstream_timeout=5)
    app = create_app(settings, environ=openai_env(upstream))
    async with app.router.lifespan_context(app):
        gateway: Gateway = app.state.services
        record, key = await gateway.keys.create(KeyCreate(name="k", budget_usd=Decimal(1)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway",
                                     headers={"Authorization": f"Bearer {key}"}) as client:
            yield Running(gateway, client, key, record.id)
    # A connection an aborted request still held is closed when it is collected, on the loop it belongs
    # to: collect it now, while this test's loop runs, not during a later test's (where its close would
    # wait for a loop that is gone).
    gc.collect()
    await asyncio.sleep(0)


async def ledger_state(gateway: Gateway, key_id: int) -> tuple[tuple[int, int], list[tuple[int, int]], int]:
    """((spent, reserved), [(status, price)] of usage rows, reservation rows) for a key."""
    async with asyncio.timeout(30):  # a guard against hanging, not a timing assert
        await gateway.usage.flush()
    async with gateway.db.connect() as conn:
        counters = (await conn.execute(sa.select(api_keys.c.spent_micros, api_keys.c.reserved_micros)
                                       .where(api_keys.c.id == key_id))).one()
        rows = (await conn.execute(sa.select(usage.c.status, usage.c.price_micros)
                                   .where(usage.c.key_id == key_id))).all()
        held = (await conn.execute(sa.select(sa.func.count()).select_from(reservations))).scalar_one()
    return (counters[0], counters[1]), [(r[0], r[1]) for r in rows], held


async def wait_until_upstream_has(upstream: FakeOpenAI, count: int) -> None:
    async with asyncio.timeout(30):  # a guard against hanging, not a timing assert
        while len(upstream.image_requests) < count:
            await asyncio.sleep(0.01)


async def test_a_cancelled_request_still_finishes_stores_and_bills(running: Running,
                                                                   slow_upstream: FakeOpenAI) -> None:
    results = running.gateway.settings.data_dir / "results"
    body = {"model": "dall-e-2", "prompt": "p", "size": "256x256", "response_format": "url"}
    call = asyncio.create_task(running.client.post("/v1/images/generations", json=body))
    await wait_until_upstream_has(slow_upstream, 1)
    call.cancel()  # cancels the request handler itself, while the upstream works
    with pytest.raises(asyncio.CancelledError):
        await call
    await asyncio.wait(running.gateway.detached.tasks, timeout=30)
    assert await ledger_state(running.gateway, running.key_id) == ((16_000, 0), [(200, 16_000)], 0)
    assert len(list(results.iterdir())) == 1


async def test_database_gone_mid_request_is_503_and_nothing_half_written(running: Running,
                                                                         slow_upstream: FakeOpenAI) -> None:
    gateway = running.gateway
    call = asyncio.create_task(running.client.post(
        "/v1/images/generations", json={"model": "dall-e-2", "prompt": "p", "size": "256x256"}))
    await wait_until_upstream_has(slow_upstream, 1)
    restore = break_database(gateway.db)
    response = await call
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable" and "secret" not in response.text
    restore()
    (spent, reserved), rows, held = await ledger_state(gateway, running.key_id)
    assert (spent, held) == (0, 1) and reserved == 16_000  # the hold waits for the sweeper
    assert all(price == 0 for _, price in rows)
    assert await gateway.billing.budgets.sweep(older_than=0) == 1
    assert (await ledger_state(gateway, running.key_id))[0] == (0, 0)


async def test_database_gone_before_the_request_is_503(running: Running) -> None:
    restore = break_database(running.gateway.db)
    try:
        response = await running.client.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "p"})
    finally:
        restore()
    assert response.status_code == 503 and response.json()["error"]["code"] == "database_unavailable"
