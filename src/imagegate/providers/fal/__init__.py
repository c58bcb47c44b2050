"""fal.ai's queue API: FLUX.1 Kontext [pro]/[max] (up to four images a request)."""

from ..flux import FIELDS, KONTEXT_MAX, KONTEXT_PRO, PRICES
from ..spec import EnvChannel, ProviderSpec
from .adapter import FalProvider

SPEC = ProviderSpec(
    name="fal",
    build=FalProvider,
    credential_header="Authorization",
    key_prefixes=("fal",),
    models=(KONTEXT_PRO, KONTEXT_MAX),
    prices=PRICES,
    fields=FIELDS,
    env=EnvChannel("FAL_KEY", "FAL_BASE_URL", "https://queue.fal.run",
                   {"flux-kontext-pro": "fal-ai/flux-pro/kontext", "flux-kontext-max": "fal-ai/flux-pro/kontext/max"}),
)

__all__ = ["SPEC", "FalProvider"]
