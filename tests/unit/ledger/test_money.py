"""Money: exact micro-dollars from decimal text, and back to text and JSON numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from imagegate.ledger.money import round_micros, to_micros, usd_number, usd_text


def test_money_is_exact() -> None:
    assert to_micros("0.042") == 42_000 and to_micros(Decimal("12.5")) == 12_500_000
    assert usd_text(42_000) == "0.042" and usd_text(0) == "0" and usd_text(10_000_000) == "10"
    assert usd_text(1) == "0.000001" and usd_number(166_700) == 0.1667
    assert round_micros(0.0333333) == 33_333 and round_micros(0.04) == 40_000
    for bad in ("0.0000001", "x", "inf"):
        with pytest.raises(ValueError):
            to_micros(bad)
