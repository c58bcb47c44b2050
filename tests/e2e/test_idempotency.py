"""Idempotency-Key end to end: one run, one charge, the first answer replayed; conflicts are 409.

Runs on each ledger backend (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import image_file
from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import Gateway

from .ledger_tools import new_key, query

BODY = {"model": "dall-e-2", "prompt": "a cat", "size": "256x256", "response_format": "url"}


def post(gateway: Gateway, key: str, idem: str, body: dict[str, Any] = BODY) -> httpx.Response:
    with gateway.http(key) as http:
        return http.post("/v1/images/generations", json=body, headers={"Idempotency-Key": idem})


def test_a_retry_gets_the_first_answer_and_is_charged_once(ledger: Gateway, upstream: FakeOpenAI) -> None:
    key, record = new_key(ledger, budget_usd=1)
    idem = uuid.uuid4().hex
    first = post(ledger, key, idem)
    again = post(ledger, key, idem, {**BODY, "model": "dall-e-2"})  # same fields, same body
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.json()["data"][0]["url"] == first.json()["data"][0]["url"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert again.headers["x-imagegate-cost"] == first.headers["x-imagegate-cost"] == "0.016"
    assert len(upstream.image_requests) == 1
    assert query(ledger, "SELECT count(*), sum(price_micros) FROM usage WHERE key_id = :k", k=record["id"]) == [
        (1, 16_000)]
    assert query(ledger, "SELECT spent_micros FROM api_keys WHERE id = :k", k=record["id"]) == [(16_000,)]


def test_the_same_key_with_another_body_is_409(ledger: Gateway) -> None:
    key, _ = new_key(ledger)
    idem = uuid.uuid4().hex
    assert post(ledger, key, idem).status_code == 200
    other = post(ledger, key, idem, {**BODY, "prompt": "a dog"})
    assert other.status_code == 409
    assert (other.json()["error"]["code"], other.json()["error"]["param"]) == ("idempotency_key_reused",
                                                                               "Idempotency-Key")


def test_concurrent_duplicates_run_once(ledger: Gateway, slow_upstream: FakeOpenAI) -> None:
    key, record = new_key(ledger)
    idem = uuid.uuid4().hex

    async def both() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": idem}
        async with httpx.AsyncClient(base_url=ledger.url, headers=headers, timeout=30) as http:
            first = asyncio.create_task(http.post("/v1/images/generations", json=BODY))
            async with asyncio.timeout(30):  # a guard against hanging, not a timing assert
                while not slow_upstream.image_requests:
                    await asyncio.sleep(0.01)
            second = await http.post("/v1/images/generations", json=BODY)
            return [await first, second]

    first, second = asyncio.run(both())
    assert first.status_code == 200
    assert second.status_code == 409 and second.json()["error"]["code"] == "idempotency_key_in_use"
    assert second.headers["retry-after"] == "1"
    assert post(ledger, key, idem).json() == first.json()
    assert len(slow_upstream.image_requests) == 1
    assert query(ledger, "SELECT count(*) FROM usage WHERE key_id = :k", k=record["id"]) == [(1,)]


def test_a_failed_request_is_not_replayed(ledger: Gateway, upstream: FakeOpenAI) -> None:
    key, _ = new_key(ledger)
    idem = uuid.uuid4().hex
    upstream.fail_next("status", status=500)
    assert post(ledger, key, idem).status_code == 502
    retried = post(ledger, key, idem)
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers


def test_keys_belong_to_one_api_key(ledger: Gateway, upstream: FakeOpenAI) -> None:
    (one, _), (two, _) = new_key(ledger), new_key(ledger)
    idem = uuid.uuid4().hex
    assert post(ledger, one, idem).json() != post(ledger, two, idem).json()
    assert len(upstream.image_requests) == 2


def test_edits_fingerprint_the_uploaded_files(ledger: Gateway, upstream: FakeOpenAI) -> None:
    key, _ = new_key(ledger)
    idem = uuid.uuid4().hex

    def edit(color: tuple[int, ...]) -> httpx.Response:
        with ledger.http(key) as http:
            return http.post("/v1/images/edits", headers={"Idempotency-Key": idem},
                             data={"model": "gpt-image-1", "prompt": "p"},
                             files=[("image[]", image_file(64, 64, color=color, name="a.png"))])

    first = edit((1, 2, 3, 255))
    assert first.status_code == 200, first.text
    assert edit((1, 2, 3, 255)).json() == first.json()
    changed = edit((9, 9, 9, 255))
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "idempotency_key_reused"
    assert len(upstream.image_requests) == 1


@pytest.mark.parametrize("value", [b"x" * 256, "caf\u00e9".encode(), b""])
def test_a_malformed_idempotency_key_is_400(ledger: Gateway, value: bytes) -> None:
    key, _ = new_key(ledger)
    with ledger.http(key) as http:
        response = http.post("/v1/images/generations", json=BODY, headers={"Idempotency-Key": value})
    assert response.status_code == 400 and response.json()["error"]["param"] == "Idempotency-Key"
