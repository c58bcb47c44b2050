"""The prices in force: the providers' shipped list prices overlaid with ``[prices."<model>"]``, checked when
the config loads.

Every model a channel serves must resolve to a price that covers every size and quality its
spec accepts, or the gateway refuses to start with a message saying what to add. The price of a
public model id is, in order: its configured price, its shipped price, then the same for the
upstream model a channel maps it to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..catalog import Catalog, ModelSpec
from ..config import PriceConfig
from .pricing import Price, from_config

if TYPE_CHECKING:
    from ..job import ImageJob
    from ..providers.base import TokenUsage


def _options(spec: ModelSpec) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """Every size and quality a normalised job for ``spec`` can carry (``None``: not sent)."""
    sizes: tuple[str | None, ...] = spec.sizes + (("auto",) if spec.size_auto else ())
    if spec.size_rule is not None:  # any other size the rule allows, e.g. its widest
        sizes += (spec.size_rule.for_ratio(spec.size_rule.max_ratio),)
    if spec.resolutions:
        sizes = spec.resolutions
    elif spec.default_size is None:
        sizes += (None,)
    return sizes, (*spec.qualities, None)


class PriceTable:
    def __init__(self, prices: dict[str, Price]) -> None:
        self._prices = prices

    def __getitem__(self, model_id: str) -> Price:
        return self._prices[model_id]

    def items(self) -> list[tuple[str, Price]]:
        """Every served model id with its price in force, by id."""
        return sorted(self._prices.items())

    def hold_for(self, job: ImageJob) -> int:
        return self._prices[job.spec.id].hold(job)

    def charge_for(self, job: ImageJob, usage: TokenUsage | None, images: int) -> int:
        return self._prices[job.spec.id].charge(job, usage, images)

    @classmethod
    def build(cls, configured: dict[str, PriceConfig], catalog: Catalog, served: dict[str, str],
              shipped: Mapping[str, Price]) -> PriceTable:
        """Prices for every served public id (``served``: public id → upstream model), from ``configured`` over
        the providers' ``shipped`` list prices; ValueError if any is missing."""
        for model_id in configured:
            if model_id not in catalog:
                raise ValueError(f"[prices.{model_id!r}]: unknown model {model_id!r}")
        given = {m: from_config(c, shipped.get(m) or shipped.get(served.get(m, ""))) for m, c in configured.items()}
        prices: dict[str, Price] = {}
        for public, upstream in served.items():
            price = given.get(public) or shipped.get(public) or given.get(upstream) or shipped.get(upstream)
            if price is None:
                raise ValueError(f"model {public!r} has no price: add [prices.{public!r}] with per_image = <USD> "
                                 "or text_input, image_input and image_output (USD per 1M tokens)")
            missing = price.uncovered(*_options(catalog.get(public)))
            if missing:
                raise ValueError(f"[prices.{public!r}] does not cover {', '.join(missing)}: add \"SIZE/QUALITY\", "
                                 "\"SIZE\" or \"*\" entries to its per_image (or output_tokens) table")
            prices[public] = price
        return cls(prices)
