"""Gemini image models on Google Cloud's Vertex AI: service-account OAuth2 or an express-mode API key."""

from ..gemini.models import MODELS, PRICES
from ..spec import ProviderSpec
from .adapter import VertexOptions, VertexProvider, base_url

SPEC = ProviderSpec(
    name="vertex",
    build=VertexProvider,
    credential_header="x-goog-api-key",
    key_patterns=(r"AIza[0-9A-Za-z_\-]{20,}", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    models=MODELS,
    prices=PRICES,
    channel_options=VertexOptions,
    default_base_url=lambda options: base_url(options if isinstance(options, VertexOptions) else VertexOptions()),
)

__all__ = ["SPEC", "VertexOptions", "VertexProvider"]
