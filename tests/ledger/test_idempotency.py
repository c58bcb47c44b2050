"""Idempotency claims: one runner per key, the stored answer for repeats, 409 for another body."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from imagegate.errors import Conflict
from imagegate.ledger import Database
from imagegate.ledger.idempotency import Claim, Idempotency, Replay, complete, fingerprint
from imagegate.ledger.tables import idempotency


async def test_first_claim_runs_and_a_repeat_gets_the_stored_answer(db: Database) -> None:
    store = Idempotency(db, stale_after=600)
    claim = await store.claim("key:1", "abc", "digest-1", "req-1")
    assert claim == Claim("key:1", "abc", "req-1")
    async with db.begin() as conn:
        await complete(conn, claim, b'{"data": []}', 42_000)
    assert await store.claim("key:1", "abc", "digest-1", "req-2") == Replay(b'{"data": []}', 42_000)


async def test_another_body_with_the_same_key_is_409_reused(db: Database) -> None:
    store = Idempotency(db, stale_after=600)
    await store.claim("key:1", "abc", "digest-1", "req-1")
    with pytest.raises(Conflict) as err:
        await store.claim("key:1", "abc", "digest-2", "req-2")
    assert err.value.code == "idempotency_key_reused" and err.value.param == "Idempotency-Key"


async def test_concurrent_duplicates_run_once_and_the_rest_get_409_in_use(db: Database) -> None:
    store = Idempotency(db, stale_after=600)

    async def attempt(i: int) -> Claim | str:
        try:
            found = await store.claim("key:1", "abc", "digest-1", f"req-{i}")
        except Conflict as exc:
            return str(exc.code)
        assert isinstance(found, Claim)
        return found

    results = await asyncio.gather(*(attempt(i) for i in range(20)))
    assert sum(isinstance(r, Claim) for r in results) == 1
    assert {r for r in results if not isinstance(r, Claim)} == {"idempotency_key_in_use"}


async def test_keys_are_per_api_key(db: Database) -> None:
    store = Idempotency(db, stale_after=600)
    assert isinstance(await store.claim("key:1", "abc", "d", "r1"), Claim)
    assert isinstance(await store.claim("key:2", "abc", "d", "r2"), Claim)


async def test_abandoned_claims_can_be_retried(db: Database) -> None:
    store = Idempotency(db, stale_after=600)
    claim = await store.claim("key:1", "abc", "digest-1", "req-1")
    assert isinstance(claim, Claim)
    await store.abandon(claim)
    assert isinstance(await store.claim("key:1", "abc", "digest-2", "req-2"), Claim)


async def _age(db: Database, hours: float) -> None:
    async with db.begin() as conn:
        await conn.execute(sa.update(idempotency).values(created_at=datetime.now(UTC) - timedelta(hours=hours)))


async def test_a_dead_runner_is_taken_over_and_old_answers_expire(db: Database) -> None:
    store = Idempotency(db, stale_after=600)
    await store.claim("key:1", "abc", "digest-1", "req-1")
    await _age(db, 1)  # running for an hour: its process died
    assert await store.claim("key:1", "abc", "digest-1", "req-2") == Claim("key:1", "abc", "req-2")
    async with db.begin() as conn:
        await complete(conn, Claim("key:1", "abc", "req-2"), b"{}", 0)
    await _age(db, 25)
    assert await store.sweep() == 1
    assert isinstance(await store.claim("key:1", "abc", "digest-9", "req-3"), Claim)


def test_fingerprint_covers_fields_in_any_order_and_file_bytes(tmp_path: Path) -> None:
    one, two = tmp_path / "a.png", tmp_path / "b.png"
    one.write_bytes(b"first")
    two.write_bytes(b"second")
    base = fingerprint("edits", {"prompt": "p", "n": 2}, [one])
    assert base == fingerprint("edits", {"n": 2, "prompt": "p"}, [one])
    assert base != fingerprint("edits", {"prompt": "p", "n": 2}, [two])
    assert base != fingerprint("generations", {"prompt": "p", "n": 2}, [one])
