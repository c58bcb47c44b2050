"""Every answer says what it cost; the ledger holds exactly those amounts; failures and departures are handled.

Runs on each ledger backend (SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import httpx
import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.harness import MASTER, SINGLE_CHANNEL_ENV, Gateway, openai_env, running
from tests.openai_schema import validate

from .ledger_tools import generate, micros, new_key, query, wait_for_rows


def test_usage_carries_cost_beside_the_openai_token_fields(ledger: Gateway) -> None:
    key, _ = new_key(ledger)
    with ledger.client(key) as client:
        result = client.images.generate(model="gpt-image-1", prompt="a cat", size="1024x1024", quality="high")
    assert result.usage is not None and result.usage.input_tokens_details.text_tokens == 40
    # 40 text tokens × $5/M + 10 image tokens × $10/M + 4160 image output tokens × $40/M
    assert result.usage.model_extra == {"images": 1, "cost_usd": 0.1667}


@pytest.mark.parametrize(("body", "cost"), [
    ({"model": "dall-e-2", "size": "256x256", "n": 2}, "0.032"),
    ({"model": "dall-e-3", "size": "1792x1024", "quality": "hd"}, "0.12"),
    ({"model": "dall-e-3", "n": 3}, "0.12"),
    ({"model": "gpt-image-1", "n": 2, "quality": "low"}, "0.3331"),
])
def test_cost_header_and_body_by_model_size_and_quality(ledger: Gateway, body: dict[str, object],
                                                        cost: str) -> None:
    key, _ = new_key(ledger)
    response = generate(ledger, key, **body)
    assert response.status_code == 200, response.text
    validate(response.json(), "ImagesResponse")
    assert response.headers["x-imagegate-cost"] == cost
    assert micros(response) == int(Decimal(cost) * 1_000_000)


def test_ledger_sum_equals_what_the_answers_reported_and_failures_cost_nothing(
        ledger: Gateway, upstream: FakeOpenAI) -> None:
    key, record = new_key(ledger, budget_usd=5)
    reported = 0
    statuses = []
    for i, body in enumerate([{"model": "dall-e-2", "size": "512x512", "n": 3}, {"model": "gpt-image-1"},
                              {"model": "dall-e-3", "quality": "hd"}, {"model": "dall-e-2"}]):
        if i % 2:
            upstream.fail_next("status", status=500)
            statuses.append(generate(ledger, key, **body).status_code)
        response = generate(ledger, key, **body)
        assert response.status_code == 200, response.text
        reported += micros(response)
    assert statuses == [502, 502]
    rows = query(ledger, "SELECT status, price_micros FROM usage WHERE key_id = :k", k=record["id"])
    assert sorted(s for s, _ in rows) == [200, 200, 200, 200, 502, 502]
    assert sum(p for _, p in rows) == reported and all(p == 0 for s, p in rows if s != 200)
    assert query(ledger, "SELECT spent_micros, reserved_micros FROM api_keys WHERE id = :k", k=record["id"]) == [
        (reported, 0)]
    assert query(ledger, "SELECT count(*) FROM reservations WHERE key_id = :k", k=record["id"]) == [(0,)]


@pytest.mark.parametrize("budgeted", [False, True], ids=["batched", "budgeted"])
def test_a_client_that_leaves_mid_request_is_still_billed_and_its_image_stored(
        ledger: Gateway, slow_upstream: FakeOpenAI, budgeted: bool) -> None:
    key, record = new_key(ledger, **({"budget_usd": 1} if budgeted else {}))
    results = ledger.data_dir / "results"
    before = set(os.listdir(results))
    request_id = f"leaves-{budgeted}-{record['id']}"
    with httpx.Client(base_url=ledger.url, headers={"Authorization": f"Bearer {key}", "x-request-id": request_id},
                      timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
        http.post("/v1/images/generations", json={"model": "dall-e-2", "prompt": "p", "size": "256x256"})
    rows = wait_for_rows(ledger, "SELECT status, price_micros, images FROM usage WHERE request_id = :r", 1,
                         r=request_id)
    assert rows == [(200, 16_000, 1)]
    assert len(set(os.listdir(results)) - before) == 1
    if budgeted:
        assert query(ledger, "SELECT spent_micros, reserved_micros FROM api_keys WHERE id = :k",
                     k=record["id"]) == [(16_000, 0)]


def test_typed_clients_parse_a_costed_answer(ledger: Gateway) -> None:
    key, _ = new_key(ledger)
    with ledger.client(key) as client:
        result = client.images.generate(model="dall-e-2", prompt="p", size="256x256")
    assert result.usage is not None and result.usage.total_tokens == 0
    assert isinstance(result, openai.types.ImagesResponse)


def test_configured_prices_apply_and_a_reload_changes_them(upstream: FakeOpenAI, tmp_path: Path) -> None:
    config = tmp_path / "imagegate.toml"
    config.write_text('[prices."dall-e-2"]\nper_image = 0.5\n')
    env = {**openai_env(upstream), **SINGLE_CHANNEL_ENV}
    with running(tmp_path, env, config) as gateway:
        assert generate(gateway, MASTER, model="dall-e-2", n=2).headers["x-imagegate-cost"] == "1"
        config.write_text('[prices."dall-e-2"]\nper_image = { "256x256" = 0.01, "*" = 0.25 }\n')
        gateway.reset_channels()  # POST /admin/reload
        assert generate(gateway, MASTER, model="dall-e-2", size="256x256").headers["x-imagegate-cost"] == "0.01"
        config.write_text('[prices."dall-e-2"]\nper_image = { "256x256" = 0.01 }\n')
        with gateway.http() as http:
            refused = http.post("/admin/reload")
        assert refused.status_code == 400 and "does not cover" in refused.json()["error"]["message"]
        assert generate(gateway, MASTER, model="dall-e-2").headers["x-imagegate-cost"] == "0.25"
