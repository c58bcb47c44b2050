"""The model catalog: ``[models.*]`` overrides built ``like`` a known model, and channel aliases."""

from __future__ import annotations

import pytest

from imagegate.catalog import Catalog, apply_override
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
