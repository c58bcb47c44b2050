"""Google's Gemini API (generativelanguage.googleapis.com): the Gemini image models on generateContent."""

from ..spec import EnvChannel, ProviderSpec
from .adapter import GeminiProvider
from .models import MODELS, PRICES, SERVED

SPEC = ProviderSpec(
    name="gemini",
    build=GeminiProvider,
    credential_header="x-goog-api-key",
    key_patterns=(r"AIza[0-9A-Za-z_\-]{20,}",),
    models=MODELS,
    prices=PRICES,
    env=EnvChannel("GEMINI_API_KEY", "GEMINI_BASE_URL", "https://generativelanguage.googleapis.com", SERVED),
)

__all__ = ["SPEC", "GeminiProvider"]
