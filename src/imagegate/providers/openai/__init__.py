"""OpenAI's images API, and any upstream that speaks it (``base_url`` of a channel)."""

from ..spec import EnvChannel, ProviderSpec
from .adapter import OpenAIProvider
from .models import MODELS, PRICES, SERVED

SPEC = ProviderSpec(
    name="openai",
    build=OpenAIProvider,
    credential_header="Authorization",
    key_prefixes=("sk", "sk-proj"),
    models=MODELS,
    prices=PRICES,
    env=EnvChannel("OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1", SERVED),
)

__all__ = ["SPEC", "OpenAIProvider"]
