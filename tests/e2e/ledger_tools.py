"""Helpers for ledger end-to-end tests: keys through the admin API, the ledger read directly, costs summed."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.harness import Gateway


def new_key(gateway: Gateway, **limits: Any) -> tuple[str, dict[str, Any]]:
    """A key with a unique name and these limits: (the key, its admin record)."""
    with gateway.http() as http:
        response = http.post("/admin/keys", json={"name": f"k-{uuid.uuid4().hex[:8]}", **limits})
    assert response.status_code == 201, response.text
    body = response.json()
    return body.pop("key"), body


def query(gateway: Gateway, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows from the gateway's ledger database, read directly."""
    async def run() -> list[tuple[Any, ...]]:
        engine = create_async_engine(gateway.env["IMAGEGATE_DATABASE_URL"])
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in (await conn.execute(sa.text(sql), params)).all()]
        finally:
            await engine.dispose()
    return asyncio.run(run())


def execute(gateway: Gateway, statement: sa.Executable) -> None:
    """Change the gateway's ledger directly (committed)."""
    async def run() -> None:
        engine = create_async_engine(gateway.env["IMAGEGATE_DATABASE_URL"])
        try:
            async with engine.begin() as conn:
                await conn.execute(statement)
        finally:
            await engine.dispose()
    asyncio.run(run())


def wait_for_rows(gateway: Gateway, sql: str, count: int, **params: Any) -> list[tuple[Any, ...]]:
    """The rows once there are ``count`` of them (the batch writer is asynchronous); not a timing assert."""
    deadline = time.monotonic() + 30
    rows = query(gateway, sql, **params)
    while len(rows) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        rows = query(gateway, sql, **params)
    return rows


def micros(response: httpx.Response) -> int:
    """The cost a response reported in its body, in micro-dollars (checked against its header)."""
    reported = Decimal(str(response.json()["usage"]["cost_usd"]))
    assert reported == Decimal(response.headers["x-imagegate-cost"])
    return int(reported * 1_000_000)


def generate(gateway: Gateway, key: str, **body: Any) -> httpx.Response:
    with gateway.http(key) as http:
        return http.post("/v1/images/generations", json={"prompt": "a cat", **body})
