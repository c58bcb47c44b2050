"""Providers by name: the one place a provider is registered, and what the rest of the gateway derives from
their declarations (built-in models, shipped prices, extension fields, env channels, key prefixes).

``provider_modules`` (a setting) loads providers kept outside this package: each module named there
exports a ``SPEC`` (:class:`~imagegate.providers.spec.ProviderSpec`) that is registered like these.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping

from ..catalog import ModelSpec
from ..fields import FieldSpec
from ..ledger.pricing import Price
from . import ark, azure, bfl, dashscope, fal, gemini, openai, recraft, sketch, vertex, xai
from .spec import ProviderSpec

PROVIDERS: dict[str, ProviderSpec] = {
    "openai": openai.SPEC,
    "bfl": bfl.SPEC,
    "fal": fal.SPEC,
    "azure-openai": azure.SPEC,
    "gemini": gemini.SPEC,
    "vertex": vertex.SPEC,
    "ark": ark.SPEC,
    "dashscope": dashscope.SPEC,
    "recraft": recraft.SPEC,
    "xai": xai.SPEC,
    "sketch": sketch.SPEC,
}


class Registry:
    """The registered providers (with any loaded from ``provider_modules``) and what derives from them."""

    def __init__(self, specs: Mapping[str, ProviderSpec]) -> None:
        self.specs = dict(specs)

    @classmethod
    def load(cls, modules: Iterable[str] = ()) -> Registry:
        specs = dict(PROVIDERS)
        for name in modules:
            spec = getattr(importlib.import_module(name), "SPEC", None)
            if not isinstance(spec, ProviderSpec):
                raise ValueError(f"provider module {name!r} has no SPEC (a ProviderSpec)")
            specs[spec.name] = spec
        return cls(specs)

    def __getitem__(self, name: str) -> ProviderSpec:
        return self.specs[name]

    def __contains__(self, name: str) -> bool:
        return name in self.specs

    def models(self) -> dict[str, ModelSpec]:
        """Every provider's models by id; two providers declaring one id must agree on it."""
        models: dict[str, ModelSpec] = {}
        for spec in self.specs.values():
            for model in spec.models:
                if models.setdefault(model.id, model) != model:
                    raise ValueError(f"model {model.id!r} is declared differently by two providers")
        return models

    def prices(self) -> dict[str, Price]:
        return {model: price for spec in self.specs.values() for model, price in spec.prices.items()}

    def fields(self) -> list[FieldSpec]:
        return [field for spec in self.specs.values() for field in spec.fields]

    def key_prefixes(self) -> tuple[str, ...]:
        return tuple(sorted({prefix for spec in self.specs.values() for prefix in spec.key_prefixes}))

    def key_patterns(self) -> tuple[str, ...]:
        return tuple(sorted({pattern for spec in self.specs.values() for pattern in spec.key_patterns}))
