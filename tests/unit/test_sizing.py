"""Sizes and aspect ratios: parsing them, and the nearest one a model offers (by log distance)."""

from __future__ import annotations

import pytest

from imagegate.providers.openai.models import DALL_E_3, GPT_SIZES
from imagegate.sizing import nearest_ratio, nearest_size, parse_ratio, parse_size
from tests.factories import BUILTIN

DALLE3_SIZES = DALL_E_3.sizes

RATIOS = ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21")
FLUX_RATIOS = BUILTIN["flux-kontext-pro"].aspect_ratios


@pytest.mark.parametrize(("text", "expected"), [("1024x1536", (1024, 1536)), ("64x64", (64, 64)),
                                                ("0x10", None), ("10x", None), ("axb", None), ("1024X1024", None),
                                                ("1024x1024 ", None), ("-1x5", None)])
def test_parse_size(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(("text", "ok"), [("16:9", True), ("1:1", True), ("2.39:1", True), ("0:1", False),
                                          ("16/9", False), ("16:", False), ("", False), ("a:b", False)])
def test_parse_ratio(text: str, ok: bool) -> None:
    assert (parse_ratio(text) is not None) is ok


@pytest.mark.parametrize(("ratio", "size"), [(16 / 9, "1536x1024"), (1.0, "1024x1024"), (9 / 16, "1024x1536"),
                                             (1.2, "1024x1024"), (1.3, "1536x1024"), (10.0, "1536x1024")])
def test_nearest_gpt_size(ratio: float, size: str) -> None:
    assert nearest_size(ratio, GPT_SIZES) == size


def test_nearest_dall_e_3_size() -> None:
    assert nearest_size(21 / 9, DALLE3_SIZES) == "1792x1024"
    assert nearest_size(9 / 21, DALLE3_SIZES) == "1024x1792"


@pytest.mark.parametrize(("size", "ratio"), [((1024, 1024), "1:1"), ((1536, 1024), "3:2"), ((1024, 1536), "2:3"),
                                             ((1792, 1024), "16:9"), ((1400, 1000), "4:3"), ((2520, 1080), "21:9"),
                                             ((1000, 3000), "9:21"), ((1300, 1000), "4:3"), ((1450, 1000), "3:2")])
def test_nearest_ratio_by_log_distance(size: tuple[int, int], ratio: str) -> None:
    assert nearest_ratio(*size, RATIOS) == ratio


@pytest.mark.parametrize(("width", "height", "ratio"), [
    (1024, 1024, "1:1"), (1920, 1080, "16:9"), (1080, 1920, "9:16"), (1536, 1024, "3:2"), (1024, 1536, "2:3"),
    (1400, 1050, "4:3"), (1050, 1400, "3:4"), (2520, 1080, "21:9"), (1080, 2520, "9:21"), (5000, 1000, "21:9"),
    (1300, 1000, "4:3"), (1420, 1000, "3:2"), (1100, 1000, "1:1"), (1200, 1000, "4:3"),
])
def test_nearest_ratio_on_a_log_scale(width: int, height: int, ratio: str) -> None:
    assert nearest_ratio(width, height, FLUX_RATIOS) == ratio
