"""ByteDance Seedream on Volcengine Ark (ark.cn-beijing.volces.com) and BytePlus ModelArk
(ark.ap-southeast.bytepluses.com): one OpenAI-style ``images/generations`` call per image."""

from ..spec import EnvChannel, ProviderSpec
from .adapter import ArkProvider
from .models import MODELS, PRICES, SERVED

SPEC = ProviderSpec(
    name="ark",
    build=ArkProvider,
    credential_header="Authorization",
    key_patterns=(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",),
    models=MODELS,
    prices=PRICES,
    env=EnvChannel("ARK_API_KEY", "ARK_BASE_URL", "https://ark.cn-beijing.volces.com/api/v3", SERVED),
)

__all__ = ["SPEC", "ArkProvider"]
