"""/admin/keys and /admin/usage: master key only, every bad input a 400 naming its field.

Runs on each ledger backend (SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.harness import Gateway

from .ledger_tools import generate, micros, new_key


def test_create_get_update_list_and_revoke(ledger: Gateway) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    key, record = new_key(ledger, budget_usd="2.5", budget_period="week", models=["dall-e-2"], rpm=100,
                          expires_at=expires)
    assert key.startswith("ig-") and key.startswith(record["prefix"])
    assert {k: record[k] for k in ("status", "budget_usd", "budget_period", "models", "rpm")} == {
        "status": "active", "budget_usd": 2.5, "budget_period": "week", "models": ["dall-e-2"], "rpm": 100}
    assert record["expires_at"] == int(datetime.fromisoformat(expires).replace(tzinfo=UTC).timestamp())
    spent = micros(generate(ledger, key, model="dall-e-2", size="256x256"))
    with ledger.http() as http:
        got = http.get(f"/admin/keys/{record['name']}").json()
        assert (got["spent_usd"], got["spent_total_usd"], got["requests"], got["reserved_usd"]) == \
            (spent / 1e6, spent / 1e6, 1, 0)
        changed = http.patch(f"/admin/keys/{record['id']}", json={"rpm": None, "models": None}).json()
        assert (changed["rpm"], changed["models"], changed["budget_usd"]) == (None, None, 2.5)
        listed = http.get("/admin/keys").json()
        assert record["id"] in [k["id"] for k in listed["data"]]
        assert all("key" not in k for k in listed["data"])
        revoked = http.delete(f"/admin/keys/{record['id']}").json()
    assert revoked["status"] == "revoked"
    denied = generate(ledger, key, model="dall-e-2")
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "invalid_api_key"


def test_admin_needs_the_master_key(ledger: Gateway) -> None:
    key, _ = new_key(ledger)
    with ledger.http(key) as http:
        response = http.get("/admin/keys")
    assert response.status_code == 403 and response.json()["error"]["code"] == "master_key_required"
    with ledger.http(None) as http:
        assert http.post("/admin/keys", json={"name": "x"}).status_code == 401


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"name": "x", "budget_usd": -1}, "budget_usd", "invalid_value"),
    ({"name": "x", "budget_usd": "lots"}, "budget_usd", "invalid_value"),
    ({"name": "x", "budget_usd": 0.0000001}, "budget_usd", "invalid_value"),
    ({"name": "x", "budget_usd": 1, "budget_period": "year"}, "budget_period", "invalid_value"),
    ({"name": "x", "budget_period": "day"}, "budget_period", "invalid_value"),
    ({"name": "x", "rpm": 0}, "rpm", "invalid_value"),
    ({"name": "x", "rpm": 1.5}, "rpm", "invalid_value"),
    ({"name": "x", "expires_at": "2001-01-01"}, "expires_at", "invalid_value"),
    ({"name": "x", "expires_at": "soon"}, "expires_at", "invalid_value"),
    ({"name": "x", "models": []}, "models", "invalid_value"),
    ({"name": "x", "models": ["gpt-image-9"]}, "models", "unknown_model"),
    ({"name": ""}, "name", "invalid_value"),
    ({}, "name", "missing_required_parameter"),
    ({"name": "x", "owner": "me"}, "owner", "unknown_parameter"),
])
def test_bad_key_input_is_400_naming_the_field(ledger: Gateway, body: dict[str, Any], param: str,
                                               code: str) -> None:
    with ledger.http() as http:
        response = http.post("/admin/keys", json=body)
    assert response.status_code == 400, response.text
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)


@pytest.mark.parametrize(("body", "param"), [({"name": None}, "name"), ({"budget_period": None}, "budget_period"),
                                             ({"rpm": -3}, "rpm"), ({"models": ["nope"]}, "models")])
def test_bad_update_is_400_naming_the_field(ledger: Gateway, body: dict[str, Any], param: str) -> None:
    _, record = new_key(ledger)
    with ledger.http() as http:
        response = http.patch(f"/admin/keys/{record['id']}", json=body)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_unknown_key_is_404_and_a_taken_name_409(ledger: Gateway) -> None:
    _, record = new_key(ledger)
    with ledger.http() as http:
        missing = http.patch("/admin/keys/999999", json={"rpm": 5})
        taken = http.post("/admin/keys", json={"name": record["name"]})
        bad_since = http.get("/admin/usage", params={"since": "yesterday"})
        bad_by = http.get("/admin/usage", params={"by": "colour"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "key_not_found"
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "name_taken"
    assert bad_since.status_code == 400 and bad_since.json()["error"]["param"] == "since"
    assert bad_by.status_code == 400 and bad_by.json()["error"]["param"] == "by"


def test_usage_reports_for_admin_and_for_the_key_itself(ledger: Gateway) -> None:
    key, record = new_key(ledger, budget_usd=1, budget_period="month")
    costs = [micros(generate(ledger, key, model=m, size=s)) for m, s in [("dall-e-2", "256x256"),
                                                                         ("dall-e-2", "512x512"),
                                                                         ("dall-e-3", "1024x1024")]]
    with ledger.http() as http:
        admin = http.get("/admin/usage", params={"key": record["name"], "by": "model"}).json()
        by_key = http.get("/admin/usage", params={"by": "key", "since": datetime.now(UTC).date().isoformat()}).json()
    with ledger.http(key) as http:
        own = http.get("/v1/usage", params={"by": "day"}).json()
    assert [(g["group"], g["requests"], g["cost_usd"]) for g in admin["data"]] == [
        ("dall-e-2", 2, (costs[0] + costs[1]) / 1e6), ("dall-e-3", 1, costs[2] / 1e6)]
    assert admin["total"]["cost_usd"] == sum(costs) / 1e6 and admin["key"] == record["name"]
    assert record["name"] in [g["group"] for g in by_key["data"]]
    assert own["data"][0]["group"] == datetime.now(UTC).date().isoformat()
    assert own["total"]["cost_usd"] == sum(costs) / 1e6
    assert own["budget"] == {"budget_usd": 1.0, "budget_period": "month", "spent_usd": sum(costs) / 1e6,
                             "reserved_usd": 0.0}


def test_openapi_documents_the_admin_and_usage_api(ledger: Gateway) -> None:
    with ledger.http(None) as http:
        doc = http.get("/openapi.json").json()
    paths = doc["paths"]
    assert {"/admin/keys", "/admin/keys/{key}", "/admin/usage", "/v1/usage"} <= set(paths)
    create = paths["/admin/keys"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/KeyCreate")
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/KeyCreated")
    assert {"get", "patch", "delete"} <= set(paths["/admin/keys/{key}"])
    headers = [p["name"] for p in paths["/v1/images/generations"]["post"]["parameters"] if p["in"] == "header"]
    assert "Idempotency-Key" in headers
    usage_fields = doc["components"]["schemas"]["ImagesUsage"]["properties"]
    assert "cost_usd" in usage_fields


@pytest.mark.parametrize(("params", "param"), [({"by": "key"}, "by"), ({"since": "31/12/2025"}, "since")])
def test_bad_usage_query_is_400(ledger: Gateway, params: dict[str, str], param: str) -> None:
    key, _ = new_key(ledger)
    with ledger.http(key) as http:
        response = http.get("/v1/usage", params=params)
    assert response.status_code == 400 and response.json()["error"]["param"] == param
