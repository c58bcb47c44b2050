"""Key limits: one set of rules for the CLI and the admin API; every bad value names its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from imagegate.ledger.limits import KeyCreate, KeyUpdate


def test_dates_are_midnight_utc_and_times_without_offset_are_utc() -> None:
    year = datetime.now(UTC).year + 1
    assert KeyCreate(name="k", expires_at=f"{year}-01-31").expires_at == datetime(year, 1, 31, tzinfo=UTC)
    assert KeyCreate(name="k", expires_at=f"{year}-01-31T10:00").expires_at == datetime(year, 1, 31, 10, tzinfo=UTC)
    plus_two = KeyCreate(name="k", expires_at=f"{year}-01-31T10:00+02:00").expires_at
    assert plus_two == datetime(year, 1, 31, 8, tzinfo=UTC)


def test_budget_is_exact_and_period_defaults_later() -> None:
    spec = KeyCreate(name="k", budget_usd="12.345678", models=["a", "a", "b"])  # type: ignore[arg-type]
    assert spec.budget_usd == Decimal("12.345678") and spec.models == ["a", "b"] and spec.budget_period is None


@pytest.mark.parametrize(("fields", "field"), [
    ({"budget_usd": "-1"}, "budget_usd"),
    ({"budget_usd": "abc"}, "budget_usd"),
    ({"budget_usd": "0.0000001"}, "budget_usd"),
    ({"budget_usd": "Infinity"}, "budget_usd"),
    ({"budget_usd": "1", "budget_period": "year"}, "budget_period"),
    ({"budget_period": "day"}, "budget_period"),
    ({"rpm": 0}, "rpm"),
    ({"rpm": "many"}, "rpm"),
    ({"models": []}, "models"),
    ({"models": [" "]}, "models"),
    ({"expires_at": "2001-01-01"}, "expires_at"),
    ({"expires_at": "next tuesday"}, "expires_at"),
    ({"name": ""}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_bad_limits_name_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        KeyCreate.model_validate({"name": "k", **fields})
    assert err.value.errors()[0]["loc"][0] == field


def test_update_knows_what_was_sent() -> None:
    changes = KeyUpdate.model_validate({"rpm": None, "budget_usd": "2"})
    assert changes.changes() == {"rpm": None, "budget_usd": Decimal("2")}
    with pytest.raises(ValidationError) as err:
        KeyUpdate.model_validate({"name": None})
    assert err.value.errors()[0]["loc"][0] == "name"
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert KeyUpdate(expires_at=soon).changes()["expires_at"] == soon
