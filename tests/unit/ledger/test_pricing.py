"""Price calculators: exact micro-dollars per image or per token, holds ≥ charges, no silent zeros."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from imagegate.job import ImageJob
from imagegate.ledger.pricing import PerImage, PerToken
from imagegate.providers.base import TokenUsage
from tests import factories
from tests.factories import PRICES


def job(model: str, **values: Any) -> ImageJob:
    return factories.job(model=model, prompt="a cat", **values)


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
    price = PRICES[model]
    j = job(model, **values)
    assert price.hold(j) == micros == price.charge(j, None, j.n)


def test_per_image_charges_the_images_that_came_back() -> None:
    j = job("dall-e-2", n=4, size="256x256")
    assert PRICES["dall-e-2"].charge(j, None, 3) == 48_000


def test_gpt_image_tokens_each_at_their_own_rate() -> None:
    usage = TokenUsage(input_tokens=50, output_tokens=4160, text_tokens=40, image_tokens=10)
    # 40 × $5/M + 10 × $10/M + 4160 × $40/M = $0.0002 + $0.0001 + $0.1664
    assert PRICES["gpt-image-1"].charge(job("gpt-image-1"), usage, 1) == 166_700


def test_input_tokens_without_details_are_text_for_generations_and_image_for_edits() -> None:
    usage = TokenUsage(input_tokens=1000, output_tokens=0)
    gen = job("gpt-image-1")
    assert PRICES["gpt-image-1"].charge(gen, usage, 1) == 5_000
    gen = replace(gen, images=(object(),))  # type: ignore[arg-type]
    assert PRICES["gpt-image-1"].charge(gen, usage, 1) == 10_000


def test_token_hold_covers_the_largest_output_the_upstream_may_choose() -> None:
    price = PRICES["gpt-image-1"]
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
    price = PRICES["gpt-image-1"]
    assert price.charge(j, None, 2) == price.hold(j) > 0
    assert price.charge(j, None, 1) == price.hold(j) // 2


def test_lookup_prefers_the_most_specific_entry() -> None:
    table = PerImage({"*": 1, "*/hd": 2, "1024x1024": 3, "1024x1024/hd": 4})
    assert [table.unit(s, q) for s, q in [("512x512", None), ("512x512", "hd"), ("1024x1024", None),
                                          ("1024x1024", "hd")]] == [1, 2, 3, 4]


@pytest.mark.parametrize(("size", "extra", "output_tokens"), [
    ("1024x1024", {}, 1120), ("1536x1024", {}, 1120), ("3840x2160", {}, 2000), (None, {"image_size": "4K"}, 2000),
    (None, {}, 1120),
])
def test_a_tiered_token_hold_uses_the_tier_s_tokens(size: str | None, extra: dict[str, Any],
                                                    output_tokens: int) -> None:
    values = {"size": size, **extra} if size else extra
    pro = factories.job(model="gemini-3-pro-image", prompt="a cat", n=2, **values)
    assert PRICES["gemini-3-pro-image"].hold(pro) == round((5 * 2 + 2 * output_tokens * 120) / 1_000_000 * 10**6)


def test_output_text_tokens_are_charged_at_the_text_rate() -> None:
    price = PRICES["gemini-3-pro-image"]
    usage = TokenUsage(input_tokens=100, output_tokens=1320, text_tokens=100, output_text_tokens=200)
    assert price.charge(factories.job(model="gemini-3-pro-image", prompt="p"), usage, 1) == \
        round((100 * 2 + 1120 * 120 + 200 * 12) / 1_000_000 * 10**6)
    flat = PRICES["gemini-2.5-flash-image"]  # no text rate of its own: the image rate
    assert flat.charge(factories.job(model="gemini-2.5-flash-image", prompt="p"), usage, 1) == \
        round((100 * 0.30 + 1320 * 30) / 1_000_000 * 10**6)


def test_a_flexible_size_holds_the_square_tokens_scaled_by_pixels() -> None:
    price = PRICES["gpt-image-2"]
    assert isinstance(price, PerToken)
    # 2048x1152 is 2.25 megapixels: 4160 high-quality square tokens × 2.25 = 9360, at $30/M; "a cat" at $5/M
    assert price.hold(job("gpt-image-2", size="2048x1152", quality="high")) == 5 * 5 + 9360 * 30
    # a listed size is in OpenAI's table as it is
    assert price.hold(job("gpt-image-2", size="1024x1536", quality="low")) == 5 * 5 + 408 * 30
    # auto: the largest listed size at the highest quality (3840x2160 high: ceil(4160 × 7.91) = 32_907 tokens)
    assert price.hold(job("gpt-image-2")) == 5 * 5 + 32_907 * 30
