"""Alibaba Cloud Model Studio (DashScope): the Qwen-Image models, synchronous, or as text2image tasks."""

from ..spec import EnvChannel, ProviderSpec
from .adapter import DashScopeOptions, DashScopeProvider
from .models import MODELS, PRICES, SERVED
from .params import FIELDS

SPEC = ProviderSpec(
    name="dashscope",
    build=DashScopeProvider,
    credential_header="Authorization",
    key_prefixes=("sk",),
    models=MODELS,
    prices=PRICES,
    fields=FIELDS,
    env=EnvChannel("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "https://dashscope-intl.aliyuncs.com", SERVED),
    channel_options=DashScopeOptions,
)

__all__ = ["SPEC", "DashScopeOptions", "DashScopeProvider"]
