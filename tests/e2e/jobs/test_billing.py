"""Async jobs go through the ledger like any request: a budgeted key's job is held and settled once, a job
over budget fails with the budget error, and an Idempotency-Key makes a repeated job replay the first
answer without charging again."""

from __future__ import annotations

import sqlite3
from typing import Any

from tests.e2e.jobs.helpers import ASYNC, wait
from tests.e2e.ledger_tools import new_key
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway

BODY = {"model": "dall-e-2", "prompt": "a cat", "size": "256x256", "response_format": "b64_json"}  # $0.016


def ledger(gateway: Gateway, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(gateway.data_dir / "imagegate.db") as db:
        return [tuple(row) for row in db.execute(sql, params).fetchall()]


def test_budgeted_job_is_charged_once(gateway: Gateway, upstream: FakeOpenAI) -> None:
    key, record = new_key(gateway, budget_usd="0.02")
    with gateway.http(key) as http:
        first = http.post("/v1/images/generations", json=BODY, headers=ASYNC).json()
        second = http.post("/v1/images/generations", json=BODY, headers=ASYNC).json()
        done, refused = wait(http, first["id"]), wait(http, second["id"])
    assert done["status"] == "succeeded" and done["result"]["usage"]["cost_usd"] == 0.016
    assert refused["status"] == "failed" and refused["error"]["code"] == "insufficient_quota"
    assert ledger(gateway, "select spent_micros, reserved_micros from api_keys where id = ?", record["id"]) == [
        (16_000, 0)]
    assert ledger(gateway, "select request_id, price_micros from usage where key_id = ? and price_micros > 0",
                  record["id"]) == [(first["id"], 16_000)]
    assert len(upstream.image_requests) == 1


def test_idempotent_jobs_run_and_charge_once(gateway: Gateway, upstream: FakeOpenAI) -> None:
    key, record = new_key(gateway)
    headers = {**ASYNC, "Idempotency-Key": "job-once"}
    with gateway.http(key) as http:
        first = http.post("/v1/images/generations", json=BODY, headers=headers).json()
        first_done = wait(http, first["id"])
        again = http.post("/v1/images/generations", json=BODY, headers=headers).json()
        again_done = wait(http, again["id"])
    assert first["id"] != again["id"]
    assert first_done["status"] == again_done["status"] == "succeeded"
    assert again_done["result"] == first_done["result"]
    assert len(upstream.image_requests) == 1
    assert ledger(gateway, "select count(*), sum(price_micros) from usage where key_id = ?", record["id"]) == [
        (1, 16_000)]
