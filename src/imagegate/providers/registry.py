"""Provider types by name: the one place a new upstream protocol is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .azure import AzureOpenAIProvider
from .base import Provider
from .bfl import BFLProvider
from .fal import FalProvider
from .openai import OpenAIProvider

if TYPE_CHECKING:
    from ..router import Channel

PROVIDERS: dict[str, Callable[[Channel], Provider]] = {
    "openai": OpenAIProvider,
    "bfl": BFLProvider,
    "fal": FalProvider,
    "azure-openai": AzureOpenAIProvider,
}
