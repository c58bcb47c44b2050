"""The declarative table of models: what each public model id can do.

A :class:`ModelSpec` says which endpoints a model serves, which sizes, qualities, styles
and output formats it accepts, how many images one request may ask for (``n_max``) and one
upstream call can make (``upstream_n_max``; the pipeline fans out beyond it, and a provider
may allow fewer), and which optional fields (``options``) it honours (``option_values`` narrows an option's choices for
it). The normaliser rejects everything else. Ratio-driven models list ``aspect_ratios`` instead of ``sizes``; a
model without masks may name a ``mask_model`` that masked edits are routed to; for them a ``WxH``
``size`` picks the nearest ratio, and ``aspect_ratio`` wins over it unless ``size_wins``. Models with
``resolutions`` (``1K``/``2K``/``4K`` tiers) take ``image_size``, or the tier nearest the long edge
of ``size``. A model with a ``size_rule`` takes any ``WxH`` the rule allows besides its listed ``sizes``
(which are then suggestions), and an ``aspect_ratio`` maps to the allowed size nearest it
(:meth:`SizeRule.for_ratio`). ``deadline`` bounds one request, retries included (``None``: the global setting). An
``alias_of`` model is another id for the model it names (``deprecated``: answered with a
``Deprecation`` header).
Each provider declares its models (:attr:`~imagegate.providers.spec.ProviderSpec.models`);
configuration can add model ids or override fields (``[models.<id>]`` in TOML).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .config import ModelOverride
from .errors import NotFound

MB = 1024 * 1024


RATIO_TOLERANCE = 0.001  # sizes whose ratios differ by less than 0.1% are equally close to an aspect ratio


@dataclass(frozen=True, slots=True)
class SizeRule:
    """Flexible sizes: any ``WxH`` whose edges are multiples of ``multiple`` between ``min_edge`` and
    ``max_edge``, with ``min_pixels`` to ``max_pixels`` pixels and a long edge at most ``max_ratio`` times the
    short one. ``default_pixels`` is the pixel budget an aspect ratio is mapped at."""

    max_edge: int
    min_pixels: int
    max_pixels: int
    max_ratio: float
    default_pixels: int
    multiple: int = 1
    min_edge: int = 1

    def refusal(self, width: int, height: int) -> str | None:
        """Why ``width`` × ``height`` breaks the rule, or ``None`` if it keeps it."""
        if width % self.multiple or height % self.multiple:
            return f"both edges must be multiples of {self.multiple}"
        if min(width, height) < self.min_edge or max(width, height) > self.max_edge:
            return f"each edge must be {self.min_edge} to {self.max_edge} pixels"
        if not self.min_pixels <= width * height <= self.max_pixels:
            return f"width × height must be {self.min_pixels:,} to {self.max_pixels:,} pixels"
        if max(width, height) > self.max_ratio * min(width, height):
            return f"the long edge may be at most {self.max_ratio:g} times the short one"
        return None

    def for_ratio(self, ratio: float) -> str:
        """The allowed ``WxH`` nearest ``ratio`` (width / height, within the rule's bound; to
        :data:`RATIO_TOLERANCE`), and among those the one whose pixel count is nearest ``default_pixels``."""
        return _nearest(self, min(max(ratio, 1 / self.max_ratio), self.max_ratio))

    def describe(self) -> dict[str, int | float]:
        return {"multiple_of": self.multiple, "min_edge": self.min_edge, "max_edge": self.max_edge,
                "min_pixels": self.min_pixels, "max_pixels": self.max_pixels, "max_aspect_ratio": self.max_ratio,
                "default_pixels": self.default_pixels}


@lru_cache(maxsize=256)
def _nearest(rule: SizeRule, ratio: float) -> str:
    best: tuple[tuple[int, float], str] | None = None
    step = rule.multiple
    for height in range(_ceil_to(rule.min_edge, step), rule.max_edge + 1, step):
        exact = height * ratio
        for width in {_floor_to(exact, step), _floor_to(exact, step) + step}:
            if width <= 0 or rule.refusal(width, height) is not None:
                continue
            miss = abs(math.log(width / height / ratio))
            key = (int(miss / RATIO_TOLERANCE), abs(math.log(width * height / rule.default_pixels)))
            if best is None or key < best[0]:
                best = (key, f"{width}x{height}")
    if best is None:
        raise ValueError("the size rule allows no size at all")
    return best[1]


def _floor_to(value: float, step: int) -> int:
    return int(value // step) * step


def _ceil_to(value: int, step: int) -> int:
    return -(-value // step) * step


@dataclass(frozen=True, slots=True)
class ModelSpec:
    id: str
    endpoints: frozenset[str]
    sizes: tuple[str, ...]
    size_auto: bool
    default_size: str | None
    prompt_max: int
    qualities: tuple[str, ...]
    default_response_format: str
    n_max: int = 10
    upstream_n_max: int = 10
    styles: tuple[str, ...] = ()
    output_formats: tuple[str, ...] = ()
    options: frozenset[str] = frozenset()
    option_values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # an option whose choices this model narrows
    quality_aliases: tuple[tuple[str, str], ...] = ()
    edit_max_images: int = 16
    edit_max_bytes: int = 25 * MB
    edit_formats: frozenset[str] = frozenset({"png", "jpeg", "webp"})
    edit_square_png: bool = False
    mask: bool = True
    mask_model: str | None = None
    mask_or_alpha: bool = False
    aspect_ratios: tuple[str, ...] = ()
    size_wins: bool = False
    size_rule: SizeRule | None = None
    resolutions: tuple[str, ...] = ()
    default_resolution: str | None = None
    report_pixels: bool = False
    upstream_response_format: bool = False
    owned_by: str = "openai"
    created: int = 1_700_000_000
    deadline: float | None = None
    alias_of: str | None = None
    deprecated: str | None = None  # the ISO date the id was deprecated (an alias of its replacement)
    marks: tuple[str, ...] = ()  # flags every answer carries: a body field set to true and an x-imagegate-<mark> header


_TUPLE_FIELDS = ("sizes", "qualities", "styles", "output_formats", "aspect_ratios", "resolutions")
_SET_FIELDS = ("options", "endpoints")


def apply_override(model_id: str, base: ModelSpec, override: ModelOverride) -> ModelSpec:
    """``base`` renamed to ``model_id`` with the override's non-empty fields replacing its own."""
    changes: dict[str, Any] = {"id": model_id}
    for name, value in override.model_dump(exclude={"like"}, exclude_none=True).items():
        if name == "deprecated":
            value = value.isoformat()
        elif name in _TUPLE_FIELDS:
            value = tuple(value)
        elif name in _SET_FIELDS:
            value = frozenset(value)
        changes[name] = value
    return replace(base, **changes)


class Catalog:
    """Model ids → specs, built from the built-in table and configuration."""

    def __init__(self, specs: dict[str, ModelSpec]) -> None:
        self._specs = specs
        self._aliases = {spec.id: spec.alias_of for spec in specs.values() if spec.alias_of is not None}

    @classmethod
    def build(cls, builtin: Mapping[str, ModelSpec], overrides: dict[str, ModelOverride],
              aliases: dict[str, str]) -> Catalog:
        """The providers' models (``builtin``), then ``[models.*]`` overrides, then channel aliases (public id →
        upstream id)."""
        specs = dict(builtin)
        for model_id, override in overrides.items():
            like = override.like or override.alias_of or model_id
            base = specs.get(like) or builtin.get(like)
            if base is None:
                raise ValueError(f"[models.{model_id!r}]: 'like' must name a known model, not {like!r}")
            specs[model_id] = apply_override(model_id, base, override)
        for public, upstream in aliases.items():
            if public not in specs and upstream in specs:
                specs[public] = replace(specs[upstream], id=public)
        return cls(specs)

    def __contains__(self, model_id: str) -> bool:
        return model_id in self._specs

    def unknown(self, model_ids: list[str] | None) -> list[str]:
        """The ids in ``model_ids`` that name no model."""
        return [m for m in model_ids or () if m not in self._specs]

    def aliases(self) -> dict[str, str]:
        """Alias id → the id of the model it names."""
        return self._aliases

    def get(self, model_id: str) -> ModelSpec:
        spec = self._specs.get(model_id)
        if spec is None:
            raise NotFound(f"The model '{model_id}' does not exist.", param="model", code="model_not_found")
        return spec
