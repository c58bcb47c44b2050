"""The model catalog: ``[models.*]`` overrides built ``like`` a known model, and channel aliases."""

from __future__ import annotations

import pytest

from imagegate.catalog import Catalog, SizeRule, apply_override
from imagegate.config import ModelOverride
from imagegate.errors import NotFound
from tests.factories import BUILTIN


def test_catalog_overrides_and_aliases() -> None:
    catalog = Catalog.build(BUILTIN, {"tiny": ModelOverride(like="dall-e-2", sizes=["256x256"], n_max=2)},
                            {"alias": "dall-e-3"})
    assert catalog.get("tiny").sizes == ("256x256",) and catalog.get("tiny").n_max == 2
    assert catalog.get("alias").styles == ("vivid", "natural")
    with pytest.raises(NotFound):
        catalog.get("nope")
    with pytest.raises(ValueError, match="like"):
        Catalog.build(BUILTIN, {"x": ModelOverride(like="unknown")}, {})
    spec = apply_override("y", BUILTIN["gpt-image-1"], ModelOverride(options=["background"]))
    assert spec.options == frozenset({"background"}) and spec.id == "y"


RULE = SizeRule(max_edge=3840, min_pixels=655_360, max_pixels=8_294_400, max_ratio=3.0, default_pixels=1024 * 1024,
                multiple=16, min_edge=16)


@pytest.mark.parametrize(("width", "height", "reason"), [
    (1000, 1008, "multiples of 16"), (3856, 1536, "16 to 3840"), (512, 512, "655,360 to 8,294,400"),
    (3840, 2400, "655,360 to 8,294,400"), (2400, 784, "at most 3 times"),
])
def test_a_size_rule_names_what_a_size_breaks(width: int, height: int, reason: str) -> None:
    refusal = RULE.refusal(width, height)
    assert refusal is not None and reason in refusal


@pytest.mark.parametrize(("width", "height"), [(1024, 1024), (3840, 2160), (1776, 592), (816, 816), (1920, 1088)])
def test_a_size_rule_allows_what_keeps_its_bounds(width: int, height: int) -> None:
    assert RULE.refusal(width, height) is None


@pytest.mark.parametrize(("ratio", "size"), [
    (1.0, "1024x1024"), (16 / 9, "1280x720"), (9 / 16, "720x1280"), (4 / 3, "1152x864"), (21 / 9, "1568x672"),
    (3.0, "1776x592"), (10.0, "1776x592"), (0.1, "592x1776"),  # beyond the bound: the widest (tallest) allowed
])
def test_an_aspect_ratio_maps_to_the_nearest_allowed_size_near_the_pixel_budget(ratio: float, size: str) -> None:
    assert RULE.for_ratio(ratio) == size
    width, height = map(int, size.split("x"))
    assert RULE.refusal(width, height) is None


def test_a_size_rule_that_allows_nothing_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="no size"):
        SizeRule(max_edge=100, min_pixels=1_000_000, max_pixels=2_000_000, max_ratio=2.0,
                 default_pixels=1_000_000).for_ratio(1.0)
