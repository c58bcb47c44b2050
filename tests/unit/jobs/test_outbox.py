"""The webhook outbox on SQLite and PostgreSQL: written with the job's end, claimed by one node at a time,
deleted once delivered, put off with backoff when the receiver is down, dropped when its job is gone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from imagegate.jobs import JobRow, JobStore
from imagegate.jobs.outbox import BATCH, Outbox, backoff
from imagegate.jobs.store import new_id
from imagegate.jobs.tables import QUEUED, webhook_outbox
from imagegate.ledger import Database
from imagegate.store import Signer

URL = "https://receiver.test/hook"


class ScriptedNotifier:
    """Answers ``send`` from a script of outcomes (``True``: the receiver took it); records the payloads."""

    def __init__(self, *outcomes: bool) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, url: str, payload: dict[str, Any]) -> bool:
        self.sent.append((url, payload))
        return self.outcomes.pop(0)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


def outbox(db: Database, notifier: ScriptedNotifier, retry_max: float = 600) -> Outbox:
    return Outbox(db, JobStore(db, 3600, 30), notifier, Signer(b"s", 60, "http://gw.test"),  # type: ignore[arg-type]
                  poll=0.05, retry_max=retry_max, lease=30)


async def ended_job(store: JobStore, webhook_url: str | None = URL) -> str:
    """A job that failed (its end recorded by the worker holding it)."""
    now = time.time()
    job = JobRow(new_id(), None, "master", True, "generations", "dall-e-2", QUEUED, {"values": {}}, {}, None, None,
                 None, None, webhook_url, now, None, now + 3600, 0)
    await store.create(job)
    claimed = await store.claim(job.id)
    assert claimed is not None
    error = {"error": {"message": "no", "type": "upstream_error", "param": None, "code": "x"}}
    assert await store.fail(job.id, claimed[1], 502, error)
    return job.id


async def rows(db: Database) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        return [dict(row._mapping) for row in (await conn.execute(sa.select(webhook_outbox))).all()]


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, 30) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]


async def test_a_finished_job_with_a_webhook_is_delivered_once_and_removed(db: Database) -> None:
    notifier = ScriptedNotifier(True)
    box = outbox(db, notifier)
    job_id = await ended_job(box.jobs)
    await ended_job(box.jobs, webhook_url=None)
    assert [row["job_id"] for row in await rows(db)] == [job_id]  # only the job that asked for one
    assert await box.run_once() == 1
    assert notifier.sent[0][0] == URL
    assert notifier.sent[0][1]["id"] == job_id and notifier.sent[0][1]["status"] == "failed"
    assert await rows(db) == []
    assert await box.run_once() == 0 and len(notifier.sent) == 1


async def test_a_receiver_that_is_down_is_tried_again_after_the_backoff(db: Database) -> None:
    notifier = ScriptedNotifier(False, True)
    box = outbox(db, notifier)
    job_id = await ended_job(box.jobs)
    before = time.time()
    assert await box.run_once() == 1
    [row] = await rows(db)
    assert row["attempts"] == 1 and row["owner"] is None and row["next_at"] >= before + backoff(1, 600)
    assert await box.claim("other") == []  # not due yet
    assert await box.claim("later", now=row["next_at"]) == [(job_id, URL, 1)]


async def test_a_claimed_row_is_no_other_node_s_until_its_lease_ends(db: Database) -> None:
    box = outbox(db, ScriptedNotifier())
    job_id = await ended_job(box.jobs)
    assert await box.claim("a") == [(job_id, URL, 0)]
    assert await box.claim("b") == []
    assert await box.claim("c", now=time.time() + 31) == [(job_id, URL, 0)]  # node a died: its lease ran out


async def test_nodes_claiming_at_once_get_disjoint_rows(db: Database) -> None:
    first, second = outbox(db, ScriptedNotifier()), outbox(db, ScriptedNotifier())
    ids = {await ended_job(first.jobs) for _ in range(BATCH + 4)}
    a, b = await asyncio.gather(first.claim("a"), second.claim("b"))
    assert not {due[0] for due in a} & {due[0] for due in b}
    assert {due[0] for due in a} | {due[0] for due in b} == ids


async def test_a_row_whose_job_expired_is_dropped_unsent(db: Database) -> None:
    notifier = ScriptedNotifier()
    box = outbox(db, notifier)
    job_id = await ended_job(box.jobs)
    await box.jobs.delete([job_id])
    assert await box.run_once() == 1
    assert notifier.sent == [] and await rows(db) == []
