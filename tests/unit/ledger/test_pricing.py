"""Price calculators and the price table: exact micro-dollars, holds ≥ charges, no silent zeros."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from imagegate.catalog import Catalog
from imagegate.config import PriceConfig
from imagegate.ledger.money import round_micros, to_micros, usd_number, usd_text
from imagegate.ledger.prices import PriceTable
from imagegate.ledger.pricing import PerImage, PerToken
from imagegate.providers.base import TokenUsage
from tests.factories import BUILTIN, REGISTRY, normalise

DEFAULT_PRICES = REGISTRY.prices()

CATALOG = Catalog.build(BUILTIN, {}, {})


def job(model: str, **values: object):  # type: ignore[no-untyped-def]
    return normalise("generations", {"prompt": "a cat", **values}, CATALOG.get(model))


@pytest.mark.parametrize(("model", "values", "micros"), [
    ("dall-e-2", {"size": "256x256"}, 16_000),
    ("dall-e-2", {"size": "512x512", "n": 3}, 54_000),
    ("dall-e-2", {}, 20_000),
    ("dall-e-3", {}, 40_000),
    ("dall-e-3", {"quality": "standard", "size": "1792x1024"}, 80_000),
    ("dall-e-3", {"quality": "hd", "size": "1024x1792"}, 120_000),
    ("dall-e-3", {"quality": "hd", "n": 2}, 160_000),
])
def test_per_image_prices_by_size_and_quality(model: str, values: dict[str, object], micros: int) -> None:
    price = DEFAULT_PRICES[model]
    j = job(model, **values)
    assert price.hold(j) == micros == price.charge(j, None, j.n)


def test_per_image_charges_the_images_that_came_back() -> None:
    j = job("dall-e-2", n=4, size="256x256")
    assert DEFAULT_PRICES["dall-e-2"].charge(j, None, 3) == 48_000


def test_gpt_image_tokens_each_at_their_own_rate() -> None:
    usage = TokenUsage(input_tokens=50, output_tokens=4160, text_tokens=40, image_tokens=10)
    # 40 × $5/M + 10 × $10/M + 4160 × $40/M = $0.0002 + $0.0001 + $0.1664
    assert DEFAULT_PRICES["gpt-image-1"].charge(job("gpt-image-1"), usage, 1) == 166_700


def test_input_tokens_without_details_are_text_for_generations_and_image_for_edits() -> None:
    usage = TokenUsage(input_tokens=1000, output_tokens=0)
    gen = job("gpt-image-1")
    assert DEFAULT_PRICES["gpt-image-1"].charge(gen, usage, 1) == 5_000
    gen = replace(gen, images=(object(),))  # type: ignore[arg-type]
    assert DEFAULT_PRICES["gpt-image-1"].charge(gen, usage, 1) == 10_000


def test_token_hold_covers_the_largest_output_the_upstream_may_choose() -> None:
    price = DEFAULT_PRICES["gpt-image-1"]
    assert isinstance(price, PerToken)
    # "a cat" is 5 bytes ≥ its text tokens, at $5/M; auto size and quality: 1024x1536 high, 6240 tokens, at $40/M
    assert price.hold(job("gpt-image-1", n=2)) == (5 * 5 + 2 * 6240 * 40)  # 499_225 micro-dollars
    assert price.hold(job("gpt-image-1", size="1024x1024", quality="low")) == 5 * 5 + 272 * 40
    assert price.hold(job("gpt-image-1", size="1024x1024", quality="high")) == 5 * 5 + 4160 * 40
    edit = job("gpt-image-1", size="1024x1024", quality="high")
    edit = replace(edit, images=(object(), object()))  # type: ignore[arg-type]
    assert price.hold(edit) == 5 * 5 + 2 * 8000 * 10 + 4160 * 40


def test_token_price_without_token_counts_is_the_hold_never_zero() -> None:
    j = job("gpt-image-1", size="1024x1024", quality="high", n=2)
    price = DEFAULT_PRICES["gpt-image-1"]
    assert price.charge(j, None, 2) == price.hold(j) > 0
    assert price.charge(j, None, 1) == price.hold(j) // 2


def test_lookup_prefers_the_most_specific_entry() -> None:
    table = PerImage({"*": 1, "*/hd": 2, "1024x1024": 3, "1024x1024/hd": 4})
    assert [table.unit(s, q) for s, q in [("512x512", None), ("512x512", "hd"), ("1024x1024", None),
                                          ("1024x1024", "hd")]] == [1, 2, 3, 4]


def test_configured_prices_override_and_aliases_fall_back_to_their_upstream() -> None:
    configured = {"dall-e-2": PriceConfig(per_image=Decimal("0.5"))}
    table = PriceTable.build(configured, Catalog.build(BUILTIN, {}, {"house": "dall-e-3"}),
                             {"dall-e-2": "dall-e-2", "house": "dall-e-3"}, DEFAULT_PRICES)
    assert table["dall-e-2"] == PerImage({"*": 500_000})
    assert table["house"] is DEFAULT_PRICES["dall-e-3"]


def test_a_served_model_without_a_price_is_a_config_error() -> None:
    catalog = Catalog.build(BUILTIN, {}, {"house": "gpt-image-1"})
    with pytest.raises(ValueError, match="model 'house' has no price"):
        PriceTable.build({}, catalog, {"house": "some-upstream-name"}, DEFAULT_PRICES)


def test_a_table_that_misses_a_size_is_a_config_error() -> None:
    configured = {"dall-e-3": PriceConfig(per_image={"1024x1024": Decimal("0.04")})}
    with pytest.raises(ValueError, match="does not cover 1792x1024/standard"):
        PriceTable.build(configured, CATALOG, {"dall-e-3": "dall-e-3"}, DEFAULT_PRICES)


def test_a_price_for_an_unknown_model_is_a_config_error() -> None:
    with pytest.raises(ValueError, match=r"\[prices.'nope'\]: unknown model"):
        PriceTable.build({"nope": PriceConfig(per_image=Decimal(1))}, CATALOG, {}, DEFAULT_PRICES)


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "give per_image, or all of"),
    ({"per_image": 1, "text_input": 1}, "not both"),
    ({"text_input": 1, "image_input": 1}, "give per_image, or all of"),
    ({"per_image": -1}, "greater than or equal to 0"),
    ({"per_image": "0.0000001"}, "decimal places"),
    ({"per_image": "nan"}, "finite"),
])
def test_bad_price_config_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PriceConfig.model_validate(fields)


def test_money_is_exact() -> None:
    assert to_micros("0.042") == 42_000 and to_micros(Decimal("12.5")) == 12_500_000
    assert usd_text(42_000) == "0.042" and usd_text(0) == "0" and usd_text(10_000_000) == "10"
    assert usd_text(1) == "0.000001" and usd_number(166_700) == 0.1667
    assert round_micros(0.0333333) == 33_333 and round_micros(0.04) == 40_000
    for bad in ("0.0000001", "x", "inf"):
        with pytest.raises(ValueError):
            to_micros(bad)
