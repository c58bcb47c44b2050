"""The declarative table of models: what each public model id can do.

A :class:`ModelSpec` says which endpoints a model serves, which sizes, qualities, styles
and output formats it accepts, how many images one request may ask for (``n_max``) and one
upstream call can make (``upstream_n_max``; the pipeline fans out beyond it, and a provider
may allow fewer), and which optional fields (``options``) it honours. The normaliser rejects
everything else. Ratio-driven models list ``aspect_ratios`` instead of ``sizes``; a
model without masks may name a ``mask_model`` that masked edits are routed to; for them a ``WxH``
``size`` picks the nearest ratio, and ``aspect_ratio`` wins over it unless ``size_wins``. Models with
``resolutions`` (``1K``/``2K``/``4K`` tiers) take ``image_size``, or the tier nearest the long edge
of ``size``. ``deadline`` bounds one request, retries included (``None``: the global setting). An
``alias_of`` model is another id for the model it names (``deprecated``: answered with a
``Deprecation`` header).
Each provider declares its models (:attr:`~imagegate.providers.spec.ProviderSpec.models`);
configuration can add model ids or override fields (``[models.<id>]`` in TOML).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .config import ModelOverride
from .errors import NotFound

MB = 1024 * 1024


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
    resolutions: tuple[str, ...] = ()
    default_resolution: str | None = None
    report_pixels: bool = False
    upstream_response_format: bool = False
    owned_by: str = "openai"
    created: int = 1_700_000_000
    deadline: float | None = None
    alias_of: str | None = None
    deprecated: str | None = None  # the ISO date the id was deprecated (an alias of its replacement)


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
