"""Budgets under fire: 50 concurrent requests at a key whose budget fits 10, from one process and from two.

Runs on each ledger backend (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway, running

from .ledger_tools import generate, micros, new_key, query

BODY = {"model": "dall-e-2", "prompt": "a cat", "size": "256x256"}  # $0.016 each: $0.16 fits exactly 10


async def fire(urls: list[str], key: str, count: int) -> list[httpx.Response]:
    """``count`` requests at once, spread over ``urls``."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        calls = [http.post(f"{urls[i % len(urls)]}/v1/images/generations", json=BODY) for i in range(count)]
        return await asyncio.gather(*calls)


def check_exactly_ten(gateway: Gateway, key_id: int, responses: list[httpx.Response]) -> None:
    outcomes = Counter((r.status_code, r.json()["error"]["code"] if r.status_code != 200 else "ok")
                       for r in responses)
    assert outcomes == {(200, "ok"): 10, (429, "insufficient_quota"): 40}
    reported = sum(micros(r) for r in responses if r.status_code == 200)
    assert reported == 160_000
    assert query(gateway, "SELECT spent_micros, reserved_micros FROM api_keys WHERE id = :k", k=key_id) == [
        (160_000, 0)]
    assert query(gateway, "SELECT count(*), sum(price_micros) FROM usage WHERE key_id = :k", k=key_id) == [
        (10, 160_000)]
    assert query(gateway, "SELECT count(*) FROM reservations WHERE key_id = :k", k=key_id) == [(0,)]


def test_fifty_concurrent_requests_on_a_budget_for_ten(ledger: Gateway, slow_upstream: FakeOpenAI) -> None:
    key, record = new_key(ledger, budget_usd="0.16")
    check_exactly_ten(ledger, record["id"], asyncio.run(fire([ledger.url], key, 50)))


@pytest.fixture(scope="module")
def twin(ledger: Gateway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A second gateway process on the same ledger database."""
    env = {k: v for k, v in ledger.env.items() if k.startswith(("OPENAI_", "IMAGEGATE_DATABASE_URL",
                                                                     "IMAGEGATE_UPSTREAM", "IMAGEGATE_MAX_ATTEMPTS"))}
    with running(tmp_path_factory.mktemp("twin"), env) as gw:
        yield gw


def test_two_processes_share_one_budget(ledger: Gateway, twin: Gateway, slow_upstream: FakeOpenAI) -> None:
    key, record = new_key(ledger, budget_usd="0.16")
    check_exactly_ten(ledger, record["id"], asyncio.run(fire([ledger.url, twin.url], key, 50)))


def test_a_failed_request_gives_its_hold_back(ledger: Gateway, upstream: FakeOpenAI) -> None:
    key, record = new_key(ledger, budget_usd="0.016")
    upstream.fail_next("status", status=500)
    assert generate(ledger, key, **BODY).status_code == 502
    assert generate(ledger, key, **BODY).status_code == 200
    refused = generate(ledger, key, **BODY)
    assert refused.status_code == 429 and refused.json()["error"]["type"] == "insufficient_quota"
    assert query(ledger, "SELECT spent_micros, reserved_micros FROM api_keys WHERE id = :k", k=record["id"]) == [
        (16_000, 0)]


def test_a_request_that_may_cost_more_than_what_is_left_is_refused_before_the_upstream(
        ledger: Gateway, upstream: FakeOpenAI) -> None:
    key, _ = new_key(ledger, budget_usd="0.03")
    response = generate(ledger, key, **{**BODY, "n": 2})
    assert response.status_code == 429 and response.json()["error"]["code"] == "insufficient_quota"
    assert "may cost up to $0.032" in response.json()["error"]["message"]
    assert upstream.image_requests == []
