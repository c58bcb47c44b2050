"""The price table: configured prices over the providers' own, aliases priced as their upstream model, and every
served model priced in full or the configuration refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from imagegate.catalog import Catalog
from imagegate.config import PriceConfig
from imagegate.ledger.prices import PriceTable
from imagegate.ledger.pricing import PerImage
from tests.factories import BUILTIN, PRICES

CATALOG = Catalog.build(BUILTIN, {}, {})


def test_configured_prices_override_and_aliases_fall_back_to_their_upstream() -> None:
    configured = {"dall-e-2": PriceConfig(per_image=Decimal("0.5"))}
    table = PriceTable.build(configured, Catalog.build(BUILTIN, {}, {"house": "dall-e-3"}),
                             {"dall-e-2": "dall-e-2", "house": "dall-e-3"}, PRICES)
    assert table["dall-e-2"] == PerImage({"*": 500_000})
    assert table["house"] is PRICES["dall-e-3"]


def test_a_served_model_without_a_price_is_a_config_error() -> None:
    catalog = Catalog.build(BUILTIN, {}, {"house": "gpt-image-1"})
    with pytest.raises(ValueError, match="model 'house' has no price"):
        PriceTable.build({}, catalog, {"house": "some-upstream-name"}, PRICES)


def test_a_table_that_misses_a_size_is_a_config_error() -> None:
    configured = {"dall-e-3": PriceConfig(per_image={"1024x1024": Decimal("0.04")})}
    with pytest.raises(ValueError, match="does not cover 1792x1024/standard"):
        PriceTable.build(configured, CATALOG, {"dall-e-3": "dall-e-3"}, PRICES)


def test_a_price_for_an_unknown_model_is_a_config_error() -> None:
    with pytest.raises(ValueError, match=r"\[prices.'nope'\]: unknown model"):
        PriceTable.build({"nope": PriceConfig(per_image=Decimal(1))}, CATALOG, {}, PRICES)
