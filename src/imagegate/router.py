"""Channel choice: which upstream account serves a request for a public model id."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import ChannelConfig, PollConfig
from .errors import NotFound

if TYPE_CHECKING:
    from .providers.base import Provider


@dataclass(slots=True)
class Channel:
    name: str
    provider: str
    base_url: str
    api_key: str = field(repr=False)
    models: dict[str, str]
    priority: int = 0
    weight: int = 1
    timeout: float = 600.0
    max_concurrency: int | None = None
    model_concurrency: dict[str, int] = field(default_factory=dict)
    poll: PollConfig = field(default_factory=PollConfig)
    client: Provider | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: ChannelConfig) -> Channel:
        return cls(config.name, config.provider, config.base_url, config.api_key, dict(config.models),
                   config.priority, config.weight, config.timeout, config.max_concurrency,
                   dict(config.model_concurrency), config.poll or PollConfig())


class Router:
    def __init__(self, channels: list[Channel]) -> None:
        self.channels = channels
        self._by_model: dict[str, list[Channel]] = {}
        for channel in channels:
            for model in channel.models:
                self._by_model.setdefault(model, []).append(channel)

    def served(self) -> list[str]:
        """Public model ids that at least one channel serves."""
        return sorted(self._by_model)

    def candidates(self, model: str) -> list[Channel]:
        """Channels for ``model``: highest priority first, weighted random order inside a priority."""
        channels = self._by_model.get(model)
        if not channels:
            raise NotFound(f"The model '{model}' does not exist.", param="model", code="model_not_found")
        if len(channels) == 1:
            return channels
        keyed = [(-c.priority, random.random() ** (1.0 / c.weight), c) for c in channels]
        keyed.sort(key=lambda item: (item[0], -item[1]))
        return [c for _, _, c in keyed]
