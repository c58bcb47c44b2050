"""Black Forest Labs (api.bfl.ai): FLUX.1 Kontext [pro]/[max] and FLUX.1 Fill [pro], as async tasks."""

from ..flux import FIELDS, FILL_PRO, KONTEXT_MAX, KONTEXT_PRO, PRICES
from ..spec import EnvChannel, ProviderSpec
from .adapter import BFLProvider

SPEC = ProviderSpec(
    name="bfl",
    build=BFLProvider,
    credential_header="x-key",
    key_prefixes=("bfl",),
    models=(KONTEXT_PRO, KONTEXT_MAX, FILL_PRO),
    prices=PRICES,
    fields=FIELDS,
    env=EnvChannel("BFL_API_KEY", "BFL_BASE_URL", "https://api.bfl.ai",
                   {"flux-kontext-pro": "flux-kontext-pro", "flux-kontext-max": "flux-kontext-max",
                    "flux-fill-pro": "flux-pro-1.0-fill"}, priority=1),
)

__all__ = ["SPEC", "BFLProvider"]
