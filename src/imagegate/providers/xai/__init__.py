"""xAI's images API (api.x.ai): the Grok Imagine image models, OpenAI-shaped with xAI's own fields."""

from ..spec import EnvChannel, ProviderSpec
from .adapter import XAIProvider
from .models import MODELS, PRICES, SERVED

SPEC = ProviderSpec(
    name="xai",
    build=XAIProvider,
    credential_header="Authorization",
    key_prefixes=("xai",),
    models=MODELS,
    prices=PRICES,
    env=EnvChannel("XAI_API_KEY", "XAI_BASE_URL", "https://api.x.ai/v1", SERVED),
)

__all__ = ["SPEC", "XAIProvider"]
